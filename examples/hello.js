// A code-mode snippet: a lone async function is called as fn(input, env).
// What it does, as tests/integration/examples.rs checks it:
// $ isobox run examples/hello.js --input '{"name":"demo","text":"the cat and the dog"}'
// exit 0
// stdout {"words":5,"top":[["the",2],["cat",1],["and",1]]}
// stderr hello, demo
async (input, env) => {
  console.log(`hello, ${input.name}`);
  const words = input.text.split(/\s+/).filter(Boolean);
  const counts = {};
  for (const word of words) counts[word.toLowerCase()] = (counts[word.toLowerCase()] ?? 0) + 1;
  return { words: words.length, top: Object.entries(counts).sort((a, b) => b[1] - a[1]).slice(0, 3) };
}
