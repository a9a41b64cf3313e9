// Workers-style HTTP handlers: `export default { async fetch(request, env, ctx) {...} }`,
// or a class whose instances have `fetch(request)` (Workers' WorkerEntrypoint
// form: constructed as `new Class(ctx, env)` per request).
// Evaluated once, at wizer time; returns { check, dispatch } for worker.rs.
// `takeBody` (fetch.js) moves a Response's body out: null, its bytes, or its
// ReadableStream.
(function installWorker(takeBody) {
  'use strict';
  // Captured now: code in a run may replace the globals.
  const RequestCtor = globalThis.Request;
  const ResponseCtor = globalThis.Response;
  const allSettled = Promise.allSettled.bind(Promise);
  const errorLog = globalThis.console.error;
  const sourceOf = Function.prototype.toString;
  const isClass = (value) => typeof value === 'function' && /^class[\s{]/.test(sourceOf.call(value));

  const describe = (value) => {
    if (value === null) return 'null';
    if (value === undefined) return 'undefined';
    if (typeof value === 'object') {
      const name = value.constructor && typeof value.constructor.name === 'string' ? value.constructor.name : 'Object';
      return `an object (${name})`;
    }
    return `a ${typeof value}`;
  };

  // Throws unless `app` (a module's default export) has a fetch handler.
  function check(app) {
    if (app === undefined) {
      throw new TypeError('the module has no default export: write `export default { async fetch(request, env, ctx) { return new Response("hello") } }`');
    }
    if (isClass(app)) {
      if (app.prototype === null || typeof app.prototype !== 'object' || typeof app.prototype.fetch !== 'function') {
        throw new TypeError('the default export is a class with no fetch method: write `export default class extends WorkerEntrypoint { async fetch(request) { ... } }`');
      }
      return;
    }
    if (app === null || (typeof app !== 'object' && typeof app !== 'function') || typeof app.fetch !== 'function') {
      throw new TypeError(`the default export is ${describe(app)} with no fetch handler: write \`export default { async fetch(request, env, ctx) { ... } }\``);
    }
  }

  // Calls app.fetch with a Request built from the parts, and gives the
  // Response's head as { status, headers: [[name, value]], read, finish }:
  // read() gives a promise of the body's next chunk (a Uint8Array) or null
  // at its end, so the body can be passed on as it is made; finish() gives a
  // promise that settles once every ctx.waitUntil promise has. A handler
  // that throws has its waitUntil work awaited before the error goes on.
  async function dispatch(app, method, url, headers, body, env) {
    check(app);
    const init = { method, headers };
    if (body.length > 0 && method !== 'GET' && method !== 'HEAD') init.body = body;
    const request = new RequestCtor(url, init);
    const pending = [];
    const ctx = Object.freeze({
      waitUntil(promise) { pending.push(Promise.resolve(promise)); },
      // Workers falls back to the origin on an exception; there is no origin here.
      passThroughOnException() {},
    });
    // waitUntil work ends before the run does, whatever the handler did.
    const finish = async () => {
      for (const outcome of await allSettled(pending)) {
        if (outcome.status === 'rejected') errorLog('ctx.waitUntil promise rejected:', outcome.reason);
      }
    };
    let response;
    try {
      response = isClass(app)
        ? await new app(ctx, env).fetch(request)
        : await app.fetch(request, env, ctx);
      if (!(response instanceof ResponseCtor)) {
        throw new TypeError(`the fetch handler returned ${describe(response)}, not a Response: return new Response(body, { status, headers })`);
      }
      if (response.type === 'error') {
        throw new TypeError('the fetch handler returned Response.error()');
      }
    } catch (error) {
      await finish();
      throw error;
    }
    // Bytes the Response was made with go out as they are (the usual
    // `new Response(text)`); a stream is read chunk by chunk.
    const content = takeBody(response);
    let bytes = content instanceof Uint8Array ? content : null;
    const reader = content === null || bytes !== null ? null : content.getReader();
    const read = async () => {
      if (bytes !== null) {
        const chunk = bytes;
        bytes = null;
        if (chunk.length > 0) return chunk;
      }
      if (reader === null) return null;
      const { done, value } = await reader.read();
      if (done) return null;
      if (!(value instanceof Uint8Array)) {
        await reader.cancel();
        throw new TypeError(`the Response body gave ${describe(value)}, not a Uint8Array: enqueue bytes (new TextEncoder().encode(text))`);
      }
      return value;
    };
    return { status: response.status, headers: [...response.headers], read, finish };
  }

  return { check, dispatch };
})
