// fetch() through the host's egress filter (run with --policy examples/policy.toml).
// The policy answers the weather API itself (no network), and the SSRF defence
// refuses the cloud metadata address, whatever rule would allow it.
const response = await fetch('https://api.example.com/weather?city=Paris');
const weather = await response.json();
let metadata;
try {
  await fetch('http://169.254.169.254/latest/meta-data/');
} catch (error) {
  metadata = `${error.name}: ${error.message}`;
}
({ status: response.status, weather, metadata })
