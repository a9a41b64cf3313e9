// fetch() through the host's egress filter (run with --policy examples/policy.toml).
// The policy answers the weather API itself (no network), and the SSRF defence
// refuses the cloud metadata address, whatever rule would allow it.
// What it does, as tests/integration/examples.rs checks it:
// $ isobox run examples/fetch.js
// exit 1
// stderr blocked by the egress policy: this run has no network access
// $ isobox run examples/fetch.js --policy examples/policy.toml
// exit 0
// stdout "temperature_c": 11
// stdout "metadata": "TypeError: fetch failed: blocked by the egress policy: 169.254.169.254 is a non-public address (cloud metadata)"
const response = await fetch('https://api.example.com/weather?city=Paris');
const weather = await response.json();
let metadata;
try {
  await fetch('http://169.254.169.254/latest/meta-data/');
} catch (error) {
  metadata = `${error.name}: ${error.message}`;
}
({ status: response.status, weather, metadata })
