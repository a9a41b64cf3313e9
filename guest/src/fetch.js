// fetch, Headers, Request and Response. Evaluated once, at wizer time.
// `native` is guest/src/fetch.rs: send(method, url, headers, body, redirect)
// starts a request over wasi:http and returns its id; readChunk(id) asks for
// the next chunk (at most 64 KiB) of a response body, and is false when the
// body is gone; cancel(id) drops the request or body (the host then frees
// its connection). The event loop calls the returned deliver(id, kind,
// value) when something arrives: a response head, a body chunk (a
// Uint8Array), or null at the end of a body.
//
// `streams` are the streams prelude's helpers (guest/src/streams/): every
// body is, or becomes when asked for through `body`, a ReadableStream. `bodies` are formdata.js's hooks:
// Blob and FormData bodies, `blob()` and `formData()`.
(function installFetch(native, streams, bodies) {
  'use strict';
  const define = (target, name, value) => Object.defineProperty(target, name, {
    value, writable: true, enumerable: false, configurable: true,
  });
  // Captured now: code in a run may replace the globals.
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const DOMExceptionCtor = globalThis.DOMException;
  const isArray = Array.isArray;

  // ---- Headers -------------------------------------------------------------
  // Native (fetch.rs): one linear pass over the text, no regular expression.
  const checkName = (name) => native.headerName(String(name));
  const checkValue = (value) => native.headerValue(String(value));
  // Over a Headers' own list of [name, value] pairs, with index loops: no
  // closure or iterator per call, and nothing a script can patch on
  // Array.prototype is used.
  const indexOfName = (list, key) => {
    for (let i = 0; i < list.length; i++) if (list[i][0] === key) return i;
    return -1;
  };
  const valuesOf = (list, key) => {
    const values = [];
    for (let i = 0; i < list.length; i++) if (list[i][0] === key) values.push(list[i][1]);
    return values;
  };
  const copyPairs = (list) => {
    const copy = [];
    for (let i = 0; i < list.length; i++) copy.push([list[i][0], list[i][1]]);
    return copy;
  };

  class Headers {
    #list = []; // [lowercase name, value] in insertion order
    #immutable = false;
    constructor(init = undefined) {
      if (init === undefined || init === null) return;
      if (init instanceof Headers) {
        this.#list = copyPairs(init.#list);
      } else if (typeof init === 'object' && typeof init[Symbol.iterator] === 'function') {
        for (const pair of init) {
          const entry = [...pair];
          if (entry.length !== 2) throw new TypeError('Headers: each header must be a [name, value] pair');
          this.append(entry[0], entry[1]);
        }
      } else if (typeof init === 'object') {
        for (const name of Object.keys(init)) this.append(name, init[name]);
      } else {
        throw new TypeError('Headers: init must be an object, an array of pairs or a Headers');
      }
    }
    #mutable() {
      if (this.#immutable) throw new TypeError('Headers: these headers are immutable');
    }
    append(name, value) {
      this.#mutable();
      this.#list.push([checkName(name), checkValue(value)]);
    }
    delete(name) {
      this.#mutable();
      const key = checkName(name);
      const list = this.#list;
      if (indexOfName(list, key) < 0) return;
      const kept = [];
      for (let i = 0; i < list.length; i++) if (list[i][0] !== key) kept.push(list[i]);
      this.#list = kept;
    }
    get(name) {
      const values = valuesOf(this.#list, checkName(name));
      return values.length === 0 ? null : values.join(', ');
    }
    getSetCookie() {
      return valuesOf(this.#list, 'set-cookie');
    }
    has(name) {
      return indexOfName(this.#list, checkName(name)) >= 0;
    }
    set(name, value) {
      this.#mutable();
      const key = checkName(name);
      const text = checkValue(value);
      const list = this.#list;
      const index = indexOfName(list, key);
      if (index < 0) {
        list.push([key, text]);
        return;
      }
      // The first pair of that name takes the value; later ones go.
      const next = [];
      for (let i = 0; i < list.length; i++) {
        if (i === index) next.push([key, text]);
        else if (list[i][0] !== key) next.push(list[i]);
      }
      this.#list = next;
    }
    forEach(callback, thisArg = undefined) {
      for (const [name, value] of this) callback.call(thisArg, value, name, this);
    }
    *entries() {
      // Sorted and combined in one pass over the list (not a scan per name).
      const grouped = new Map();
      const list = this.#list;
      for (let i = 0; i < list.length; i++) {
        const name = list[i][0];
        const value = list[i][1];
        const values = grouped.get(name);
        if (values === undefined) grouped.set(name, [value]);
        else values.push(value);
      }
      for (const name of [...grouped.keys()].sort()) {
        const values = grouped.get(name);
        if (name === 'set-cookie') {
          for (const value of values) yield [name, value];
        } else {
          yield [name, values.join(', ')];
        }
      }
    }
    *keys() { for (const [name] of this.entries()) yield name; }
    *values() { for (const [, value] of this.entries()) yield value; }
    [Symbol.iterator]() { return this.entries(); }
    get [Symbol.toStringTag]() { return 'Headers'; }
    static _list(headers) { return copyPairs(headers.#list); }
    static _freeze(headers) { headers.#immutable = true; return headers; }
    // Headers over `list`, [lowercase name, value] pairs already checked
    // (the worker glue's request headers), taken as they are.
    static _adopt(list) {
      const headers = new Headers();
      headers.#list = list;
      return headers;
    }
    // Appends a pair known to be valid (a body's content type).
    static _add(headers, name, value) { headers.#list.push([name, value]); }
  }
  const headerList = Headers._list;
  const freeze = Headers._freeze;
  const adoptHeaders = Headers._adopt;
  const addHeader = Headers._add;
  delete Headers._list;
  delete Headers._freeze;
  delete Headers._adopt;
  delete Headers._add;

  // ---- Bodies --------------------------------------------------------------
  // A body is null, bytes (a Uint8Array the body owns) or a ReadableStream.
  // `extractBody` gives { body, type } for what a user may pass.
  const extractBody = (body) => {
    if (body === undefined || body === null) return { body: null, type: null };
    if (typeof body === 'string') return { body: encoder.encode(body), type: 'text/plain;charset=UTF-8' };
    if (body instanceof ArrayBuffer) return { body: new Uint8Array(body.slice(0)), type: null };
    if (ArrayBuffer.isView(body)) {
      const view = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
      return { body: view.slice(), type: null };
    }
    if (bodies.isBlob(body)) {
      // A copy: the Body hands its bytes out, and a Blob's never change.
      const type = bodies.blobType(body);
      return { body: bodies.blobBytes(body).slice(), type: type === '' ? null : type };
    }
    if (bodies.isFormData(body)) {
      const { bytes, type } = bodies.serializeFormData(body);
      return { body: bytes, type };
    }
    if (typeof URLSearchParams === 'function' && body instanceof URLSearchParams) {
      return { body: encoder.encode(body.toString()), type: 'application/x-www-form-urlencoded;charset=UTF-8' };
    }
    if (streams.isReadableStream(body)) {
      if (streams.isDisturbed(body) || streams.isLocked(body)) {
        throw new TypeError('the body stream is locked or has already been read');
      }
      return { body, type: null };
    }
    if (typeof body === 'object' && typeof body.getReader === 'function') {
      throw new TypeError('the body is a stream that is not a ReadableStream of this sandbox; wrap it with ReadableStream.from()');
    }
    return { body: encoder.encode(String(body)), type: 'text/plain;charset=UTF-8' };
  };
  const empty = new Uint8Array(0);

  const pending = new Map(); // request id -> { resolve, reject, detach }

  const watchSignal = (signal, onAbort) => {
    if (!signal || typeof signal.addEventListener !== 'function') return () => {};
    signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
  };

  // The body of the response to request `id`, read chunk by chunk from the
  // host as the consumer pulls. Aborting `signal` errors it and drops the
  // host's body.
  const networkBody = (id, signal) => {
    let finished = false;
    let detach = () => {};
    const finish = () => {
      finished = true;
      pending.delete(id);
      detach();
    };
    const pull = () => new Promise((resolve, reject) => {
      if (finished || !native.readChunk(id)) {
        resolve(null);
        return;
      }
      pending.set(id, {
        resolve: (chunk) => {
          if (chunk === null) finish();
          resolve(chunk);
        },
        reject: (error) => {
          finish();
          reject(error);
        },
        detach: () => {},
      });
    });
    const cancel = () => {
      const waiter = pending.get(id);
      finish();
      native.cancel(id);
      if (waiter !== undefined) waiter.resolve(null);
    };
    const stream = streams.fromPull(pull, cancel);
    detach = watchSignal(signal, () => {
      const waiter = pending.get(id);
      const reason = abortReason(signal);
      finish();
      native.cancel(id);
      streams.errorStream(stream, reason);
      if (waiter !== undefined) waiter.reject(reason);
    });
    return stream;
  };

  class Body {
    // The bytes, until a stream is made of them (by `body`, or to tee).
    #bytes = null;
    // The ReadableStream, once there is one.
    #stream = null;
    // Set when the bytes were read without a stream.
    #used = false;
    // No bytes, no stream and never read is no body: derived, not a flag of
    // its own (one private field less to make per Body). The test is written
    // out where it is needed: as a static private method it cost about
    // 4,800 fuel more per trivial worker request (measured).
    _initBody(body) {
      this.#bytes = null;
      this.#stream = null;
      this.#used = false;
      if (body === null || body === undefined) return;
      if (body instanceof Uint8Array) this.#bytes = body;
      else this.#stream = body;
    }
    get bodyUsed() {
      return this.#used || (this.#stream !== null && streams.isDisturbed(this.#stream));
    }
    get body() {
      if (this.#bytes === null && this.#stream === null && !this.#used) return null;
      if (this.#stream === null) {
        this.#stream = this.#used ? streams.usedStream() : streams.fromBytes(this.#bytes);
        this.#bytes = null;
      }
      return this.#stream;
    }
    // True when the body can be read: not read already, not locked.
    #unusable() {
      return this.bodyUsed || (this.#stream !== null && streams.isLocked(this.#stream));
    }
    // The whole body, read through the same state as `body`.
    #consume() {
      if (this.#bytes === null && this.#stream === null && !this.#used) return Promise.resolve(empty);
      if (this.#unusable()) return Promise.reject(new TypeError('Body: the body has already been read (or its stream is locked)'));
      if (this.#stream === null) {
        const bytes = this.#bytes;
        this.#bytes = null;
        this.#used = true;
        return Promise.resolve(bytes);
      }
      return streams.readAll(this.#stream);
    }
    async arrayBuffer() {
      const bytes = await this.#consume();
      if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes.buffer;
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    }
    async bytes() { return new Uint8Array(await this.arrayBuffer()); }
    async text() { return decoder.decode(await this.#consume()); }
    async json() { return JSON.parse(await this.text()); }
    async blob() {
      const bytes = await this.#consume();
      const type = this.headers.get('content-type');
      return bodies.makeBlob(bytes.slice(), type === null ? '' : type);
    }
    async formData() {
      const type = this.headers.get('content-type');
      const bytes = await this.#consume();
      if (type === null) throw new TypeError('Body: formData() needs a Content-Type (multipart/form-data or application/x-www-form-urlencoded)');
      return bodies.parseFormData(bytes, type);
    }
    // The body for a clone of `source`: a copy of the bytes, or one branch
    // of a tee of the stream (the source keeps the other).
    static _clone(source) {
      if (source.#bytes === null && source.#stream === null && !source.#used) return null;
      if (source.#unusable()) throw new TypeError('clone: the body has already been read (or its stream is locked)');
      if (source.#stream === null) return source.#bytes.slice();
      const [mine, theirs] = streams.tee(source.#stream);
      source.#stream = mine;
      return theirs;
    }
    // Moves the body out of `source` (which is then used).
    static _take(source) {
      if (source.#bytes === null && source.#stream === null && !source.#used) return null;
      if (source.#unusable()) throw new TypeError('the body has already been read (or its stream is locked)');
      const body = source.#stream === null ? source.#bytes : source.#stream;
      source.#bytes = null;
      source.#stream = null;
      source.#used = true;
      return body;
    }
  }
  const cloneBody = Body._clone;
  const takeBody = Body._take;
  delete Body._clone;
  delete Body._take;

  // ---- Request -------------------------------------------------------------
  // Native (fetch.rs), the check worker.rs makes of a host's request too.
  const normaliseMethod = (method) => native.requestMethod(String(method));
  const REDIRECTS = ['follow', 'error', 'manual'];
  // The first argument of the worker glue's Requests (`fromHost`): its init
  // holds parts the host and worker.rs already checked and normalised.
  const FROM_HOST = Object.freeze({});

  class Request extends Body {
    #url;
    #method;
    // A Headers; for a Request from the host, its [lowercase name, value]
    // pairs until `headers` is first read.
    #headers;
    #redirect;
    #signal;
    constructor(input, init = {}) {
      super();
      if (input === FROM_HOST) {
        // init is [method, url, headers, body] (an array is cheaper to make
        // than an object of four properties).
        this.#method = init[0];
        this.#url = init[1];
        this.#headers = init[2];
        this.#redirect = 'follow';
        this.#signal = null;
        this._initBody(init[3]);
        return;
      }
      if (init === null || typeof init !== 'object') init = {};
      let body = null;
      let source = null;
      if (input instanceof Request) {
        source = input;
        this.#url = input.#url;
      } else {
        this.#url = parseUrl(input);
      }
      this.#method = init.method !== undefined ? normaliseMethod(init.method) : source ? source.#method : 'GET';
      this.#headers = new Headers(init.headers !== undefined ? init.headers : source ? source.headers : undefined);
      this.#redirect = init.redirect !== undefined ? String(init.redirect) : source ? source.#redirect : 'follow';
      if (!REDIRECTS.includes(this.#redirect)) throw new TypeError(`Request: redirect must be one of ${REDIRECTS.join(', ')}`);
      this.#signal = init.signal !== undefined ? init.signal : source ? source.#signal : null;
      if (init.body !== undefined && init.body !== null) {
        if (this.#method === 'GET' || this.#method === 'HEAD') {
          throw new TypeError(`Request: a ${this.#method} request cannot have a body`);
        }
        const extracted = extractBody(init.body);
        body = extracted.body;
        if (streams.isReadableStream(init.body) && init.duplex !== 'half') {
          throw new TypeError("Request: a stream body needs duplex: 'half' in the init");
        }
        if (extracted.type !== null) setContentType(this.#headers, init.headers === undefined && !source, extracted.type);
      } else if (source && init.body === undefined) {
        body = takeBody(source);
      }
      this._initBody(body);
    }
    get url() { return this.#url; }
    get method() { return this.#method; }
    get headers() {
      if (isArray(this.#headers)) this.#headers = adoptHeaders(this.#headers);
      return this.#headers;
    }
    get redirect() { return this.#redirect; }
    get signal() { return this.#signal; }
    get credentials() { return 'omit'; }
    get mode() { return 'cors'; }
    get cache() { return 'default'; }
    get duplex() { return 'half'; }
    clone() {
      const body = cloneBody(this);
      const copy = new Request(this.#url, {
        method: this.#method, headers: this.headers, redirect: this.#redirect, signal: this.#signal,
      });
      copy._initBody(body);
      return copy;
    }
    get [Symbol.toStringTag]() { return 'Request'; }
  }
  // A Request of the worker glue: `method`, `url` and `headers` as
  // worker.rs normalised them, `body` null or bytes the Request owns.
  const requestFromHost = (method, url, headers, body) => new Request(FROM_HOST, [method, url, headers, body]);

  // Gives a body's content type to `headers` unless they have one; `empty`
  // says they were made from no init (nothing to look for).
  const setContentType = (headers, empty, type) => {
    if (empty) addHeader(headers, 'content-type', type);
    else if (!headers.has('content-type')) headers.set('content-type', type);
  };

  const parseUrl = (input) => {
    const text = input instanceof URLClass() ? input.href : String(input);
    const parsed = native.parseUrl(text);
    if (parsed === null) throw new TypeError(`fetch: "${text.slice(0, 200)}" is not an absolute URL`);
    return parsed;
  };
  // URL may be defined after this file; look it up lazily.
  const URLClass = () => (typeof globalThis.URL === 'function' ? globalThis.URL : class NoUrl {});

  // ---- Response ------------------------------------------------------------
  const NULL_BODY = [101, 204, 205, 304];
  const REDIRECT_STATUS = [301, 302, 303, 307, 308];
  const freezeObject = Object.freeze;
  const ERROR_ORIGIN = freezeObject({ url: '', redirected: false, type: 'error' });
  // The init of a Response made without one: nothing to read on it.
  const NO_INIT = freezeObject({});
  class Response extends Body {
    #status;
    #statusText;
    // A Headers; or, until `headers` is first read, the [lowercase name,
    // value] pairs of a Response made without init headers (most are never
    // read before the Response is sent).
    #headers;
    // null for a Response made here; { url, redirected, type } for one from
    // the network or Response.error() (one field, not three, to make).
    #origin = null;
    constructor(body = null, init = undefined) {
      super();
      if (init === null || typeof init !== 'object') init = NO_INIT;
      const status = init.status === undefined ? 200 : Number(init.status);
      if (!Number.isInteger(status) || status < 200 || status > 599) {
        throw new RangeError(`Response: status ${init.status} is outside 200-599`);
      }
      this.#status = status;
      this.#statusText = init.statusText === undefined ? '' : String(init.statusText);
      const given = init.headers !== undefined;
      this.#headers = given ? new Headers(init.headers) : [];
      let content = null;
      if (body !== null && body !== undefined) {
        if (NULL_BODY.includes(status)) throw new TypeError(`Response: status ${status} cannot have a body`);
        let type;
        if (typeof body === 'string') {
          // The common case, without extractBody's record.
          content = encoder.encode(body);
          type = 'text/plain;charset=UTF-8';
        } else {
          const extracted = extractBody(body);
          content = extracted.body;
          type = extracted.type;
        }
        if (type !== null) {
          if (given) setContentType(this.#headers, false, type);
          else this.#headers[this.#headers.length] = ['content-type', type];
        }
      }
      this._initBody(content);
    }
    get status() { return this.#status; }
    get ok() { return this.#status >= 200 && this.#status <= 299; }
    get statusText() { return this.#statusText; }
    get headers() { return headersOf(this); }
    get url() { return this.#origin === null ? '' : this.#origin.url; }
    get redirected() { return this.#origin === null ? false : this.#origin.redirected; }
    get type() { return this.#origin === null ? 'default' : this.#origin.type; }
    clone() {
      const body = cloneBody(this);
      const copy = new Response(null, { status: 200, headers: headersOf(this) });
      copy.#status = this.#status;
      copy.#statusText = this.#statusText;
      copy.#origin = this.#origin;
      copy._initBody(body);
      return copy;
    }
    static error() {
      const response = new Response(null, { status: 200 });
      response.#status = 0;
      response.#origin = ERROR_ORIGIN;
      response.#headers = freeze(adoptHeaders(response.#headers));
      return response;
    }
    static redirect(url, status = 302) {
      if (!REDIRECT_STATUS.includes(status)) throw new RangeError(`Response.redirect: ${status} is not a redirect status`);
      const response = new Response(null, { status, headers: { location: parseUrl(url) } });
      freeze(response.#headers);
      return response;
    }
    static json(data, init = {}) {
      const text = JSON.stringify(data);
      if (text === undefined) throw new TypeError('Response.json: the data cannot be serialised to JSON');
      if (init === null || typeof init !== 'object' || init.headers === undefined) {
        // No headers given (the usual call): the content type is the only
        // header, and the bytes are the Response's own, with no copy.
        const response = new Response(null, init);
        if (NULL_BODY.includes(response.#status)) {
          throw new TypeError(`Response: status ${response.#status} cannot have a body`);
        }
        response.#headers[response.#headers.length] = ['content-type', 'application/json'];
        response._initBody(encoder.encode(text));
        return response;
      }
      const headers = new Headers(init && init.headers);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      return new Response(text, { ...init, headers });
    }
    // [status, whether it is Response.error(), [[name, value]] as set]
    // for the worker glue, without the getters.
    static _head(response) {
      const headers = response.#headers;
      return [response.#status, response.#origin === ERROR_ORIGIN, isArray(headers) ? headers : headerList(headers)];
    }
    // The Headers of `response`, made now if they were pairs: the `headers`
    // getter, and what the class's own code calls instead of a getter a
    // script may have replaced.
    static _headersOf(response) {
      if (isArray(response.#headers)) response.#headers = adoptHeaders(response.#headers);
      return response.#headers;
    }
    static _fromNetwork(id, head, signal) {
      const response = new Response(null, {});
      response.#status = head.status;
      response.#statusText = head.statusText;
      response.#headers = freeze(new Headers(head.headers));
      response.#origin = freezeObject({ url: head.url, redirected: head.redirected, type: 'basic' });
      response._initBody(head.hasBody ? networkBody(id, signal) : null);
      return response;
    }
    get [Symbol.toStringTag]() { return 'Response'; }
  }
  const fromNetwork = Response._fromNetwork;
  const responseHead = Response._head;
  const headersOf = Response._headersOf;
  delete Response._fromNetwork;
  delete Response._head;
  delete Response._headersOf;

  // ---- fetch ---------------------------------------------------------------
  const abortReason = (signal) => (signal.reason !== undefined
    ? signal.reason
    : new DOMExceptionCtor('This operation was aborted', 'AbortError'));

  function fetch(input, init = undefined) {
    return new Promise((resolve, reject) => {
      const request = new Request(input, init);
      const signal = request.signal;
      if (signal && signal.aborted) {
        reject(abortReason(signal));
        return;
      }
      const body = takeBody(request);
      const send = (bytes) => {
        const id = native.send(request.method, request.url, headerList(request.headers), bytes, request.redirect);
        const detach = watchSignal(signal, () => {
          pending.delete(id);
          native.cancel(id);
          reject(abortReason(signal));
        });
        pending.set(id, {
          resolve: (head) => resolve(fromNetwork(id, head, signal)),
          reject,
          detach,
        });
        return id;
      };
      if (body === null || body instanceof Uint8Array) {
        send(body);
        return;
      }
      // A stream body goes out as it is read: the request leaves at once
      // and each chunk follows (the host counts them against the egress
      // policy's cap on request body bytes). A chunk that is not a
      // Uint8Array, or an error of the stream, fails the request.
      let id;
      try {
        id = send(true);
      } catch (error) {
        reject(error);
        return;
      }
      const reader = body.getReader();
      const fail = (error) => {
        native.cancel(id);
        const waiter = pending.get(id);
        if (waiter !== undefined) {
          pending.delete(id);
          waiter.detach();
        }
        reject(error);
      };
      const pump = () => reader.read().then(({ done, value }) => {
        if (done) {
          native.finishBody(id);
          return;
        }
        if (!(value instanceof Uint8Array)) {
          reader.cancel().catch(() => {});
          fail(new TypeError('fetch: a request body stream must yield Uint8Array chunks'));
          return;
        }
        if (!native.writeBody(id, value)) {
          // The host stopped taking the body (the request failed, was
          // refused or aborted); the response, if any, says why.
          reader.cancel().catch(() => {});
          native.finishBody(id);
          return;
        }
        pump();
      }, fail);
      pump();
    });
  }
  define(globalThis, 'fetch', fetch);
  define(globalThis, 'Headers', Headers);
  define(globalThis, 'Request', Request);
  define(globalThis, 'Response', Response);

  // `deliver` is called by the event loop (guest/src/fetch.rs); `worker`
  // is for worker.js: `takeBody` gives a handler's Response body as its
  // bytes when it has not been made a stream, so answering needs no stream
  // or reader; `requestFromHost` and `responseHead` skip the checks and
  // getters the host's parts and the glue do not need.
  return {
    deliver(id, kind, value) {
      const waiter = pending.get(id);
      if (waiter === undefined) return;
      pending.delete(id);
      waiter.detach();
      if (kind === 'error') waiter.reject(new TypeError(value));
      else waiter.resolve(value);
    },
    worker: { takeBody, requestFromHost, responseHead },
  };
})
