// A Workers-style HTTP handler: `isobox dispatch` runs it on one request in a
// fresh sandbox; `isobox build` makes it a standalone wasi:http component.
// What it does, as tests/integration/examples.rs checks it:
// $ isobox dispatch examples/worker.js --method POST --path '/greet?name=demo' -H 'accept-language: fr' --body 'a note'
// exit 0
// stdout {"greeting":"bonjour, demo","note":"a note"}
// stderr HTTP 200
// stderr greeted demo
const greetings = { en: 'hello', fr: 'bonjour', de: 'hallo' };

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname !== '/greet') return new Response('not found', { status: 404 });
    const name = url.searchParams.get('name') ?? 'world';
    const lang = request.headers.get('accept-language')?.slice(0, 2) ?? 'en';
    const note = request.method === 'POST' ? await request.text() : null;
    ctx.waitUntil(Promise.resolve().then(() => console.log(`greeted ${name}`)));
    return Response.json({ greeting: `${greetings[lang] ?? greetings.en}, ${name}`, note });
  },
};
