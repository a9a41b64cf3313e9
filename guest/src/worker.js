// Workers-style HTTP handlers: `export default { async fetch(request, env, ctx) {...} }`,
// or a class whose instances have `fetch(request)` (Workers' WorkerEntrypoint
// form: constructed as `new Class(ctx, env)` per request).
// Evaluated once, at wizer time; returns { check, dispatch } for worker.rs.
(function installWorker() {
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
  // Response as { status, headers: [[name, value]], body: Uint8Array } once
  // its body is read and every ctx.waitUntil promise has settled.
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
    try {
      const response = isClass(app)
        ? await new app(ctx, env).fetch(request)
        : await app.fetch(request, env, ctx);
      if (!(response instanceof ResponseCtor)) {
        throw new TypeError(`the fetch handler returned ${describe(response)}, not a Response: return new Response(body, { status, headers })`);
      }
      if (response.type === 'error') {
        throw new TypeError('the fetch handler returned Response.error()');
      }
      const bytes = new Uint8Array(await response.arrayBuffer());
      return { status: response.status, headers: [...response.headers], body: bytes };
    } finally {
      // waitUntil work ends before the run does, whatever the handler did.
      for (const outcome of await allSettled(pending)) {
        if (outcome.status === 'rejected') errorLog('ctx.waitUntil promise rejected:', outcome.reason);
      }
    }
  }

  return { check, dispatch };
})
