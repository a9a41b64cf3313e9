// Capabilities granted to this run (see `make demo`): the built-in kv and
// todo, and the text plugin, a Wasm component written in Rust.
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
({ tenant: await env.text.tenant(), top: stats.top, todo, stored: await env.kv.list('last'), missing, refused })
