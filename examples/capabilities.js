// Capabilities granted to this run (see `make demo`): the built-in kv and
// todo, and the text plugin, a Wasm component written in Rust.
// What it does, as tests/integration/examples.rs checks it:
// $ isobox run examples/capabilities.js --grant kv --grant todo --plugin text=target/plugins/wasm32-wasip2/release/isobox_plugin_text.wasm:plugins/text/wit --props text='{"tenant":"acme"}' --input '{"text":"the cat sat on the mat with the hat"}'
// exit 0
// stdout "tenant": "acme"
// stdout "title": "review \"the\""
// stdout "refused": "TypeError: kv.put: args[1]: expected string, got 42"
const stats = await env.text.summarize(input.text, 3);
await env.kv.put('last-summary', JSON.stringify(stats.top));
const todo = await env.todo.add({ title: `review "${stats.top[0].word}"`, priority: 'high', labels: { work: true } });
let missing;
try {
  await env.todo.complete(999);
} catch (error) {
  missing = error.value; // the WIT error value: { tag: 'not-found', val: 999 }
}
let refused;
try {
  await env.kv.put('n', 42);
} catch (error) {
  refused = `${error.name}: ${error.message}`;
}
({ tenant: await env.text.tenant(), top: stats.top, todo, stored: (await env.kv.list({ prefix: 'last' })).keys.map((k) => k.name), missing, refused })
