// A Workers-style HTTP handler: `isobox dispatch` runs it on one request in a
// fresh sandbox; `isobox build` makes it a standalone wasi:http component.
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
