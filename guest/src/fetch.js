// fetch, Headers, Request and Response. Evaluated once, at wizer time.
// `native` is guest/src/fetch.rs: send(method, url, headers, body, redirect)
// starts a request over wasi:http and returns its id; readBody(id) starts
// reading a response body; cancel(id) drops the request or body. The event
// loop calls the returned deliver(id, kind, value) when something arrives.
(function installFetch(native) {
  'use strict';
  const define = (target, name, value) => Object.defineProperty(target, name, {
    value, writable: true, enumerable: false, configurable: true,
  });
  // Captured now: code in a run may replace the globals.
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const DOMExceptionCtor = globalThis.DOMException;

  // ---- Headers -------------------------------------------------------------
  const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  // Native (fetch.rs): one linear pass over the text, no regular expression.
  const checkName = (name) => native.headerName(String(name));
  const checkValue = (value) => native.headerValue(String(value));

  class Headers {
    #list = []; // [lowercase name, value] in insertion order
    #immutable = false;
    constructor(init = undefined) {
      if (init === undefined || init === null) return;
      if (init instanceof Headers) {
        for (const [name, value] of init.#list) this.#list.push([name, value]);
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
      this.#list = this.#list.filter(([n]) => n !== key);
    }
    get(name) {
      const key = checkName(name);
      const values = this.#list.filter(([n]) => n === key).map(([, v]) => v);
      return values.length === 0 ? null : values.join(', ');
    }
    getSetCookie() {
      return this.#list.filter(([n]) => n === 'set-cookie').map(([, v]) => v);
    }
    has(name) {
      const key = checkName(name);
      return this.#list.some(([n]) => n === key);
    }
    set(name, value) {
      this.#mutable();
      const key = checkName(name);
      const text = checkValue(value);
      const index = this.#list.findIndex(([n]) => n === key);
      if (index < 0) {
        this.#list.push([key, text]);
        return;
      }
      this.#list[index] = [key, text];
      this.#list = this.#list.filter(([n], i) => n !== key || i === index);
    }
    forEach(callback, thisArg = undefined) {
      for (const [name, value] of this) callback.call(thisArg, value, name, this);
    }
    *entries() {
      // Sorted and combined in one pass over the list (not a scan per name).
      const grouped = new Map();
      for (const [name, value] of this.#list) {
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
    static _list(headers) { return headers.#list.map(([n, v]) => [n, v]); }
    static _freeze(headers) { headers.#immutable = true; return headers; }
  }
  const headerList = Headers._list;
  const freeze = Headers._freeze;
  delete Headers._list;
  delete Headers._freeze;

  // ---- Bodies --------------------------------------------------------------
  // A body is null, bytes (Uint8Array) or a pending network body: { id }.
  const extractBody = (body) => {
    if (body === undefined || body === null) return { bytes: null, type: null };
    if (typeof body === 'string') return { bytes: encoder.encode(body), type: 'text/plain;charset=UTF-8' };
    if (body instanceof ArrayBuffer) return { bytes: new Uint8Array(body.slice(0)), type: null };
    if (ArrayBuffer.isView(body)) {
      const view = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
      return { bytes: view.slice(), type: null };
    }
    if (typeof URLSearchParams === 'function' && body instanceof URLSearchParams) {
      return { bytes: encoder.encode(body.toString()), type: 'application/x-www-form-urlencoded;charset=UTF-8' };
    }
    if (typeof body === 'object' && typeof body.getReader === 'function') {
      throw new TypeError('fetch: stream bodies are not supported in isobox; pass a string or bytes');
    }
    return { bytes: encoder.encode(String(body)), type: 'text/plain;charset=UTF-8' };
  };

  const pending = new Map(); // request id -> { resolve, reject, detach }

  const readNetworkBody = (id, signal) => new Promise((resolve, reject) => {
    if (signal && signal.aborted) {
      native.cancel(id);
      reject(signal.reason);
      return;
    }
    const detach = watchSignal(signal, () => {
      pending.delete(id);
      native.cancel(id);
      reject(signal.reason);
    });
    pending.set(id, { resolve, reject, detach });
    native.readBody(id);
  });

  const watchSignal = (signal, onAbort) => {
    if (!signal || typeof signal.addEventListener !== 'function') return () => {};
    signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
  };

  class Body {
    #body;
    #used = false;
    #signal;
    _initBody(body, signal) {
      this.#body = body;
      this.#signal = signal;
    }
    get bodyUsed() { return this.#used; }
    get body() {
      // No ReadableStream in isobox: the body is read whole by the methods.
      return null;
    }
    async #consume() {
      if (this.#used) throw new TypeError('Body: the body has already been read');
      this.#used = true;
      const body = this.#body;
      this.#body = null;
      if (body === null || body === undefined) return new Uint8Array(0);
      if (body instanceof Uint8Array) return body;
      return readNetworkBody(body.id, this.#signal);
    }
    async arrayBuffer() {
      const bytes = await this.#consume();
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    }
    async bytes() { return new Uint8Array(await this.arrayBuffer()); }
    async text() { return decoder.decode(await this.#consume()); }
    async json() { return JSON.parse(await this.text()); }
    async blob() { throw new TypeError('Body: Blob is not supported in isobox; use arrayBuffer() or bytes()'); }
    async formData() { throw new TypeError('Body: FormData is not supported in isobox; use text()'); }
    static _clone(source) {
      if (source.#used) throw new TypeError('clone: the body has already been read');
      const body = source.#body;
      if (body !== null && body !== undefined && !(body instanceof Uint8Array)) {
        throw new TypeError('clone: a network body cannot be cloned before it is read; read it with arrayBuffer() first');
      }
      return body;
    }
    static _take(source) {
      if (source.#used) throw new TypeError('the body has already been read');
      const body = source.#body;
      source.#used = body !== null && body !== undefined;
      source.#body = null;
      return body;
    }
    static _hasBody(source) { return source.#body !== null && source.#body !== undefined; }
  }
  const cloneBody = Body._clone;
  const takeBody = Body._take;
  const hasBody = Body._hasBody;
  delete Body._clone;
  delete Body._take;
  delete Body._hasBody;

  // ---- Request -------------------------------------------------------------
  const METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH'];
  const normaliseMethod = (method) => {
    const text = String(method);
    if (!TOKEN.test(text)) throw new TypeError(`Request: "${text.slice(0, 32)}" is not a valid method`);
    const upper = text.toUpperCase();
    if (['CONNECT', 'TRACE', 'TRACK'].includes(upper)) {
      throw new TypeError(`Request: the method ${upper} is forbidden`);
    }
    return METHODS.includes(upper) ? upper : text;
  };
  const REDIRECTS = ['follow', 'error', 'manual'];

  class Request extends Body {
    #url;
    #method;
    #headers;
    #redirect;
    #signal;
    constructor(input, init = {}) {
      super();
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
      this.#headers = new Headers(init.headers !== undefined ? init.headers : source ? source.#headers : undefined);
      this.#redirect = init.redirect !== undefined ? String(init.redirect) : source ? source.#redirect : 'follow';
      if (!REDIRECTS.includes(this.#redirect)) throw new TypeError(`Request: redirect must be one of ${REDIRECTS.join(', ')}`);
      this.#signal = init.signal !== undefined ? init.signal : source ? source.#signal : null;
      if (init.body !== undefined && init.body !== null) {
        if (this.#method === 'GET' || this.#method === 'HEAD') {
          throw new TypeError(`Request: a ${this.#method} request cannot have a body`);
        }
        const extracted = extractBody(init.body);
        body = extracted.bytes;
        if (extracted.type !== null && !this.#headers.has('content-type')) {
          this.#headers.set('content-type', extracted.type);
        }
      } else if (source && init.body === undefined) {
        body = takeBody(source);
      }
      this._initBody(body, this.#signal);
    }
    get url() { return this.#url; }
    get method() { return this.#method; }
    get headers() { return this.#headers; }
    get redirect() { return this.#redirect; }
    get signal() { return this.#signal; }
    get credentials() { return 'omit'; }
    get mode() { return 'cors'; }
    get cache() { return 'default'; }
    clone() {
      const body = cloneBody(this);
      const copy = new Request(this.#url, {
        method: this.#method, headers: this.#headers, redirect: this.#redirect, signal: this.#signal,
      });
      copy._initBody(body === null || body === undefined ? null : body.slice(), this.#signal);
      return copy;
    }
    get [Symbol.toStringTag]() { return 'Request'; }
  }

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
  class Response extends Body {
    #status;
    #statusText;
    #headers;
    #url = '';
    #redirected = false;
    #type = 'default';
    constructor(body = null, init = {}) {
      super();
      if (init === null || typeof init !== 'object') init = {};
      const status = init.status === undefined ? 200 : Number(init.status);
      if (!Number.isInteger(status) || status < 200 || status > 599) {
        throw new RangeError(`Response: status ${init.status} is outside 200-599`);
      }
      this.#status = status;
      this.#statusText = init.statusText === undefined ? '' : String(init.statusText);
      this.#headers = new Headers(init.headers);
      let bytes = null;
      if (body !== null && body !== undefined) {
        if (NULL_BODY.includes(status)) throw new TypeError(`Response: status ${status} cannot have a body`);
        const extracted = extractBody(body);
        bytes = extracted.bytes;
        if (extracted.type !== null && !this.#headers.has('content-type')) {
          this.#headers.set('content-type', extracted.type);
        }
      }
      this._initBody(bytes, null);
    }
    get status() { return this.#status; }
    get ok() { return this.#status >= 200 && this.#status <= 299; }
    get statusText() { return this.#statusText; }
    get headers() { return this.#headers; }
    get url() { return this.#url; }
    get redirected() { return this.#redirected; }
    get type() { return this.#type; }
    clone() {
      const body = cloneBody(this);
      const copy = new Response(null, { status: 200, headers: this.#headers });
      copy.#status = this.#status;
      copy.#statusText = this.#statusText;
      copy.#url = this.#url;
      copy.#redirected = this.#redirected;
      copy.#type = this.#type;
      copy._initBody(body === null || body === undefined ? null : body.slice(), null);
      return copy;
    }
    static error() {
      const response = new Response(null, { status: 200 });
      response.#status = 0;
      response.#type = 'error';
      freeze(response.#headers);
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
      const headers = new Headers(init && init.headers);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      return new Response(text, { ...init, headers });
    }
    static _fromNetwork(id, head, signal) {
      const response = new Response(null, {});
      response.#status = head.status;
      response.#statusText = head.statusText;
      response.#headers = freeze(new Headers(head.headers));
      response.#url = head.url;
      response.#redirected = head.redirected;
      response.#type = 'basic';
      response._initBody(head.hasBody ? { id } : null, signal);
      return response;
    }
    get [Symbol.toStringTag]() { return 'Response'; }
  }
  const fromNetwork = Response._fromNetwork;
  delete Response._fromNetwork;

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
      if (body !== null && body !== undefined && !(body instanceof Uint8Array)) {
        throw new TypeError('fetch: the request body is a network body that was not read');
      }
      const id = native.send(request.method, request.url, headerList(request.headers), body, request.redirect);
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
    });
  }
  define(globalThis, 'fetch', fetch);
  define(globalThis, 'Headers', Headers);
  define(globalThis, 'Request', Request);
  define(globalThis, 'Response', Response);

  // Called by the event loop (guest/src/fetch.rs).
  return function deliver(id, kind, value) {
    const waiter = pending.get(id);
    if (waiter === undefined) return;
    pending.delete(id);
    waiter.detach();
    if (kind === 'error') waiter.reject(new TypeError(value));
    else waiter.resolve(value);
  };
})
