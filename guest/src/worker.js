// Workers-style HTTP handlers: `export default { async fetch(request, env, ctx) {...} }`,
// or a class whose instances have `fetch(request)` (Workers' WorkerEntrypoint
// form: constructed as `new Class(ctx, env)` per request).
// Evaluated once, at wizer time; returns { check, dispatch, resolved,
// later } for worker.rs.
// Its argument holds fetch.js's parts for the glue: `takeBody` moves a
// Response's body out (null, its bytes, or its ReadableStream),
// `requestFromHost` makes the Request of parts worker.rs checked,
// `responseHead` reads a Response's status and headers without its getters.
(function installWorker(fetchParts) {
  'use strict';
  const { takeBody, requestFromHost, responseHead } = fetchParts;
  // Captured now: code in a run may replace the globals.
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

  // The promises `ctx.waitUntil` was given while the current request was
  // handled. A sandbox handles one request, starting from the snapshot
  // where this is empty; a built app's instance may handle more, one after
  // another, so each dispatch starts with an empty list.
  let pending = [];
  // The handlers' `ctx`, made once (at wizer time) rather than per request.
  const ctx = Object.freeze({
    waitUntil(promise) { pending.push(Promise.resolve(promise)); },
    // Workers falls back to the origin on an exception; there is no origin here.
    passThroughOnException() {},
  });
  // Nothing when no waitUntil promise is pending, else a promise that
  // settles once every one has.
  const finish = () => (pending.length === 0 ? undefined : settleAll(pending));
  // waitUntil work ends before the error goes on.
  const fail = (error) => {
    const done = finish();
    if (done === undefined) throw error;
    return failAfter(done, error);
  };

  // The head of `response` for worker.rs: [status, [[name, value]] as
  // set, bytes or null, read or null, finish]. A body made of bytes (the
  // usual `new Response(text)`) comes whole in the head; a stream is read
  // chunk by chunk: read() gives a promise of the next chunk (a Uint8Array)
  // or of null at its end, so it can be passed on as it is made.
  const head = (response) => {
    if (!(response instanceof ResponseCtor)) {
      throw new TypeError(`the fetch handler returned ${describe(response)}, not a Response: return new Response(body, { status, headers })`);
    }
    const [status, isError, headers] = responseHead(response);
    if (isError) throw new TypeError('the fetch handler returned Response.error()');
    const content = takeBody(response);
    if (content === null || content instanceof Uint8Array) return [status, headers, content, null, finish];
    const reader = content.getReader();
    const read = async () => {
      const { done, value } = await reader.read();
      if (done) return null;
      if (!(value instanceof Uint8Array)) {
        await reader.cancel();
        throw new TypeError(`the Response body gave ${describe(value)}, not a Uint8Array: enqueue bytes (new TextEncoder().encode(text))`);
      }
      return value;
    };
    return [status, headers, null, read, finish];
  };

  // Calls app.fetch with a Request of the parts (worker.rs checked and
  // normalised them) and gives the Response's head (see `head`), or, when
  // the handler answered with anything but a Response (a promise, say),
  // [answer] for worker.rs to pass to `resolved` or `later`. A handler that
  // throws has its waitUntil work awaited before the error goes on.
  function dispatch(app, method, url, headers, body, env) {
    if (pending.length !== 0) pending = [];
    const request = requestFromHost(method, url, headers, body);
    let answer;
    try {
      answer = isClass(app) ? new app(ctx, env).fetch(request) : app.fetch(request, env, ctx);
      // A handler that answers at once (not async) needs no job run.
      if (answer instanceof ResponseCtor) return head(answer);
    } catch (error) {
      return fail(error);
    }
    return [answer];
  }

  // The head of what the handler's promise was fulfilled with, when
  // worker.rs found it fulfilled with no job pending: what `later` gives,
  // without the job its `await` would queue and run.
  function resolved(value) {
    try {
      return head(value);
    } catch (error) {
      return fail(error);
    }
  }

  // `await`, unlike `.then`, does not go through Promise.prototype, which
  // the handler's code may have changed.
  async function later(answer) {
    try {
      return head(await answer);
    } catch (error) {
      return fail(error);
    }
  }
  async function settleAll(promises) {
    for (const outcome of await allSettled(promises)) {
      if (outcome.status === 'rejected') errorLog('ctx.waitUntil promise rejected:', outcome.reason);
    }
  }
  async function failAfter(done, error) {
    await done;
    throw error;
  }

  return { check, dispatch, resolved, later };
})
