// URL and URLSearchParams (WHATWG URL standard). Parsing, setters and the
// application/x-www-form-urlencoded format are the `url` crate's (url.rs);
// this file gives them their Web IDL shape and keeps a URL and its
// searchParams in step both ways. Evaluated once, at wizer time.
//
// `parse(input, base)` returns the components below or undefined on
// failure; `set(href, which, value)` applies a setter and returns the new
// components; `formParse(text)` returns [name, value, name, value, ...];
// `formSerialize(flat)` is the inverse.
(function installUrl(idl, parse, set, formParse, formSerialize) {
  'use strict';
  // Indices into the components array from url.rs.
  const HREF = 0;
  const ORIGIN = 1;
  const PROTOCOL = 2;
  const USERNAME = 3;
  const PASSWORD = 4;
  const HOST = 5;
  const HOSTNAME = 6;
  const PORT = 7;
  const PATHNAME = 8;
  const SEARCH = 9;
  const HASH = 10;

  const create = Symbol('create');
  let paramsInternals;

  class URL {
    #parts;
    #params = null;

    constructor(url, base = undefined) {
      if (url === create) {
        // URL.parse's result, already parsed.
        this.#parts = base;
        return;
      }
      if (arguments.length === 0) throw new TypeError("URL constructor: 1 argument required, but only 0 present");
      const parts = parseOrNull(url, base);
      if (parts === null) throw new TypeError(`URL constructor: ${idl.usv(url)} is not a valid URL`);
      this.#parts = parts;
    }
    static parse(url, base = undefined) {
      if (arguments.length === 0) throw new TypeError("URL.parse: 1 argument required, but only 0 present");
      const parts = parseOrNull(url, base);
      return parts === null ? null : new URL(create, parts);
    }
    static canParse(url, base = undefined) {
      if (arguments.length === 0) throw new TypeError("URL.canParse: 1 argument required, but only 0 present");
      return parseOrNull(url, base) !== null;
    }
    get href() { return this.#parts[HREF]; }
    set href(value) {
      const parts = parse(idl.usv(value));
      if (parts === undefined) throw new TypeError(`URL.href setter: ${idl.usv(value)} is not a valid URL`);
      this.#parts = parts;
      this.#syncParams();
    }
    get origin() { return this.#parts[ORIGIN]; }
    get protocol() { return this.#parts[PROTOCOL]; }
    set protocol(value) { this.#set(PROTOCOL, value); }
    get username() { return this.#parts[USERNAME]; }
    set username(value) { this.#set(USERNAME, value); }
    get password() { return this.#parts[PASSWORD]; }
    set password(value) { this.#set(PASSWORD, value); }
    get host() { return this.#parts[HOST]; }
    set host(value) { this.#set(HOST, value); }
    get hostname() { return this.#parts[HOSTNAME]; }
    set hostname(value) { this.#set(HOSTNAME, value); }
    get port() { return this.#parts[PORT]; }
    set port(value) { this.#set(PORT, value); }
    get pathname() { return this.#parts[PATHNAME]; }
    set pathname(value) { this.#set(PATHNAME, value); }
    get search() { return this.#parts[SEARCH]; }
    set search(value) {
      this.#set(SEARCH, value);
      this.#syncParams();
    }
    get searchParams() {
      if (this.#params === null) {
        this.#params = new URLSearchParams(create);
        paramsInternals.attach(this.#params, (serialised) => {
          // The URLSearchParams's update steps: an empty list clears the query.
          this.#parts = set(this.#parts[HREF], SEARCH, serialised) || this.#parts;
        });
        this.#syncParams();
      }
      return this.#params;
    }
    get hash() { return this.#parts[HASH]; }
    set hash(value) { this.#set(HASH, value); }
    toString() { return this.#parts[HREF]; }
    toJSON() { return this.#parts[HREF]; }

    #set(which, value) {
      this.#parts = set(this.#parts[HREF], which, idl.usv(value)) || this.#parts;
    }
    #syncParams() {
      if (this.#params !== null) paramsInternals.reset(this.#params, this.#parts[SEARCH].slice(1));
    }
  }

  function parseOrNull(url, base) {
    const input = idl.usv(url);
    const parts = base === undefined ? parse(input) : parse(input, idl.usv(base));
    return parts === undefined ? null : parts;
  }
  idl.interface(URL, 'URL');

  // URLSearchParams: a list of [name, value] pairs.
  class URLSearchParams {
    #list = [];
    #update = null;

    constructor(init = '') {
      if (init === create) return;
      if (init !== null && (typeof init === 'object' || typeof init === 'function')) {
        const iterator = init[Symbol.iterator];
        if (iterator !== undefined && iterator !== null) {
          if (typeof iterator !== 'function') throw new TypeError('URLSearchParams: the init object is not iterable');
          for (const pair of init) {
            if (pair === null || (typeof pair !== 'object' && typeof pair !== 'function')
              || typeof pair[Symbol.iterator] !== 'function') {
              throw new TypeError('URLSearchParams: each init pair must be a sequence');
            }
            const items = Array.from(pair, (item) => idl.usv(item));
            if (items.length !== 2) throw new TypeError('URLSearchParams: each init pair must have exactly two items');
            this.#list.push(items);
          }
        } else {
          // A record<USVString, USVString>: keys that become equal once
          // converted keep the first one's place and the last one's value.
          const record = new Map();
          for (const key of Reflect.ownKeys(init)) {
            const descriptor = Reflect.getOwnPropertyDescriptor(init, key);
            if (descriptor === undefined || !descriptor.enumerable) continue;
            if (typeof key === 'symbol') throw new TypeError('URLSearchParams: a record key cannot be a symbol');
            record.set(idl.usv(key), idl.usv(init[key]));
          }
          this.#list = Array.from(record);
        }
      } else {
        let text = idl.usv(init);
        if (text.startsWith('?')) text = text.slice(1);
        this.#list = pairs(formParse(text));
      }
    }
    get size() { return this.#list.length; }
    append(name, value) {
      if (arguments.length < 2) throw new TypeError('URLSearchParams.append: 2 arguments required');
      this.#list.push([idl.usv(name), idl.usv(value)]);
      this.#updated();
    }
    delete(name, value = undefined) {
      if (arguments.length < 1) throw new TypeError('URLSearchParams.delete: 1 argument required');
      name = idl.usv(name);
      if (value === undefined) {
        this.#list = this.#list.filter(([n]) => n !== name);
      } else {
        value = idl.usv(value);
        this.#list = this.#list.filter(([n, v]) => n !== name || v !== value);
      }
      this.#updated();
    }
    get(name) {
      if (arguments.length < 1) throw new TypeError('URLSearchParams.get: 1 argument required');
      name = idl.usv(name);
      const found = this.#list.find(([n]) => n === name);
      return found === undefined ? null : found[1];
    }
    getAll(name) {
      if (arguments.length < 1) throw new TypeError('URLSearchParams.getAll: 1 argument required');
      name = idl.usv(name);
      return this.#list.filter(([n]) => n === name).map(([, v]) => v);
    }
    has(name, value = undefined) {
      if (arguments.length < 1) throw new TypeError('URLSearchParams.has: 1 argument required');
      name = idl.usv(name);
      if (value === undefined) return this.#list.some(([n]) => n === name);
      value = idl.usv(value);
      return this.#list.some(([n, v]) => n === name && v === value);
    }
    set(name, value) {
      if (arguments.length < 2) throw new TypeError('URLSearchParams.set: 2 arguments required');
      name = idl.usv(name);
      value = idl.usv(value);
      const index = this.#list.findIndex(([n]) => n === name);
      if (index < 0) {
        this.#list.push([name, value]);
      } else {
        this.#list[index][1] = value;
        this.#list = this.#list.filter(([n], i) => i <= index || n !== name);
      }
      this.#updated();
    }
    sort() {
      // Stable, by code units of the names (Array.prototype.sort is stable).
      this.#list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      this.#updated();
    }
    forEach(callback, thisArg = undefined) {
      if (typeof callback !== 'function') throw new TypeError('URLSearchParams.forEach: the callback must be a function');
      for (let i = 0; i < this.#list.length; i++) {
        const [name, value] = this.#list[i];
        callback.call(thisArg, value, name, this);
      }
    }
    entries() { return iterator(this, 'entries'); }
    keys() { return iterator(this, 'keys'); }
    values() { return iterator(this, 'values'); }
    toString() { return formSerialize(this.#list.flat()); }

    #updated() {
      if (this.#update !== null) this.#update(this.#list.length === 0 ? '' : formSerialize(this.#list.flat()));
    }
    static {
      paramsInternals = {
        attach(params, update) { params.#update = update; },
        reset(params, query) { params.#list = pairs(formParse(query)); },
        list(params) { return params.#list; },
      };
    }
  }
  const pairs = (flat) => {
    const list = [];
    for (let i = 0; i + 1 < flat.length; i += 2) list.push([flat[i], flat[i + 1]]);
    return list;
  };
  idl.interface(URLSearchParams, 'URLSearchParams');
  idl.define(URLSearchParams.prototype, Symbol.iterator, URLSearchParams.prototype.entries);

  // The iterator Web IDL's `iterable<USVString, USVString>` gives: live over
  // the list, by index.
  const IteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
  const iterators = new WeakMap();
  const iteratorPrototype = Object.create(IteratorPrototype, {
    next: {
      value: function next() {
        const state = iterators.get(this);
        if (state === undefined) throw new TypeError("next: 'this' is not a URLSearchParams iterator");
        const list = paramsInternals.list(state.params);
        if (state.index >= list.length) return { value: undefined, done: true };
        const [name, value] = list[state.index++];
        const item = state.kind === 'keys' ? name : state.kind === 'values' ? value : [name, value];
        return { value: item, done: false };
      },
      writable: true,
      enumerable: true,
      configurable: true,
    },
    [Symbol.toStringTag]: { value: 'URLSearchParams Iterator', configurable: true },
  });
  function iterator(params, kind) {
    paramsInternals.list(params);
    const it = Object.create(iteratorPrototype);
    iterators.set(it, { params, kind, index: 0 });
    return it;
  }
})
