// FormData (XHR standard), without the form element argument (there is no
// DOM). Evaluated once, at wizer time, after blob.js, whose internal hooks
// it receives with blob.rs's natives (`encode`, `decode`, `parseMime`,
// `parseMultipart(bytes, boundary)`: the parts of a body flat, five items
// each: name, filename or undefined, Content-Type or undefined, start, end).
//
// Returns the hooks fetch uses for bodies, frozen:
//   isBlob(value) -> boolean
//   blobBytes(blob) -> Uint8Array: the Blob's own bytes (shared: never write to them)
//   blobType(blob) -> string
//   makeBlob(bytes: Uint8Array, type: string) -> Blob (keeps `bytes`: pass a copy you own)
//   isFormData(value) -> boolean
//   serializeFormData(fd) -> { bytes: Uint8Array, type: string }: multipart/form-data
//     with a fresh random boundary (crypto.getRandomValues, at each call)
//   parseFormData(bytes: Uint8Array, contentType: string) -> FormData, for
//     multipart/form-data and application/x-www-form-urlencoded; a TypeError
//     for any other type, a missing boundary or a malformed body
(function installFormData(idl, native, blobs) {
  'use strict';
  const { encode, decode, parseMime, parseMultipart } = native;
  const { isBlob, isFile, bytesOf, typeOf, nameOf, lastModifiedOf, makeBlob, makeFile, now } = blobs;
  // Taken now, so code in a run cannot change what a body looks like.
  const getRandomValues = crypto.getRandomValues.bind(crypto);
  const URLSearchParamsClass = URLSearchParams;
  const searchParamsEntries = URLSearchParams.prototype.entries;

  const usv = (value) => `${value}`.toWellFormed();

  // The XHR standard's "create an entry".
  function entry(name, value, filename) {
    if (!isBlob(value)) return [name, value];
    if (!isFile(value)) {
      value = makeFile(bytesOf(value), filename === undefined ? 'blob' : filename, typeOf(value), now());
    } else if (filename !== undefined) {
      value = makeFile(bytesOf(value), filename, typeOf(value), lastModifiedOf(value));
    }
    return [name, value];
  }

  // The arguments of append() and set(): (name, value) or (name, blob,
  // filename), converted in order.
  function entryArguments(args, what) {
    if (args.length < 2) throw new TypeError(`FormData.${what}: 2 arguments required, but only ${args.length} present`);
    const name = usv(args[0]);
    if (args.length > 2 && args[2] !== undefined) {
      if (!isBlob(args[1])) throw new TypeError(`FormData.${what}: parameter 2 is not of type 'Blob'`);
      return entry(name, args[1], usv(args[2]));
    }
    return entry(name, isBlob(args[1]) ? args[1] : usv(args[1]), undefined);
  }

  let listOf, isFormData;

  class FormData {
    #list = [];

    constructor(form = undefined, submitter = undefined) {
      if (form !== undefined) {
        throw new TypeError("FormData: parameter 1 is not of type 'HTMLFormElement' (isobox has no DOM; build the FormData with append())");
      }
      void submitter;
    }
    append(name, value) {
      this.#list.push(entryArguments(arguments, 'append'));
    }
    delete(name) {
      if (arguments.length < 1) throw new TypeError('FormData.delete: 1 argument required, but only 0 present');
      name = usv(name);
      this.#list = this.#list.filter(([n]) => n !== name);
    }
    get(name) {
      if (arguments.length < 1) throw new TypeError('FormData.get: 1 argument required, but only 0 present');
      name = usv(name);
      const found = this.#list.find(([n]) => n === name);
      return found === undefined ? null : found[1];
    }
    getAll(name) {
      if (arguments.length < 1) throw new TypeError('FormData.getAll: 1 argument required, but only 0 present');
      name = usv(name);
      return this.#list.filter(([n]) => n === name).map(([, v]) => v);
    }
    has(name) {
      if (arguments.length < 1) throw new TypeError('FormData.has: 1 argument required, but only 0 present');
      name = usv(name);
      return this.#list.some(([n]) => n === name);
    }
    set(name, value) {
      const added = entryArguments(arguments, 'set');
      const index = this.#list.findIndex(([n]) => n === added[0]);
      if (index < 0) {
        this.#list.push(added);
      } else {
        this.#list[index] = added;
        this.#list = this.#list.filter(([n], i) => i <= index || n !== added[0]);
      }
    }
    forEach(callback, thisArg = undefined) {
      this.#list;
      if (typeof callback !== 'function') throw new TypeError('FormData.forEach: the callback must be a function');
      for (let i = 0; i < this.#list.length; i++) {
        const [name, value] = this.#list[i];
        callback.call(thisArg, value, name, this);
      }
    }
    entries() { return iterator(this, 'entries'); }
    keys() { return iterator(this, 'keys'); }
    values() { return iterator(this, 'values'); }

    static {
      listOf = (formData) => formData.#list;
      isFormData = (value) => value !== null && typeof value === 'object' && #list in value;
    }
  }
  idl.interface(FormData, 'FormData');
  idl.define(FormData.prototype, Symbol.iterator, FormData.prototype.entries);

  // Web IDL's iterator for `iterable<USVString, FormDataEntryValue>`: live
  // over the list, by index.
  const IteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
  const iterators = new WeakMap();
  const iteratorPrototype = Object.create(IteratorPrototype, {
    next: {
      value: function next() {
        const state = iterators.get(this);
        if (state === undefined) throw new TypeError("next: 'this' is not a FormData iterator");
        const list = listOf(state.formData);
        if (state.index >= list.length) return { value: undefined, done: true };
        const [name, value] = list[state.index++];
        const item = state.kind === 'keys' ? name : state.kind === 'values' ? value : [name, value];
        return { value: item, done: false };
      },
      writable: true,
      enumerable: true,
      configurable: true,
    },
    [Symbol.toStringTag]: { value: 'FormData Iterator', configurable: true },
  });
  function iterator(formData, kind) {
    listOf(formData);
    const it = Object.create(iteratorPrototype);
    iterators.set(it, { formData, kind, index: 0 });
    return it;
  }

  // HTML's multipart/form-data encoding: line breaks in names and string
  // values become CRLF; in the Content-Disposition header, names and
  // filenames have LF, CR and `"` percent-encoded.
  const crlf = (text) => text.replace(/\r\n|\r|\n/g, '\r\n');
  const escape = (text) => text.replace(/[\n\r"]/g, (c) => (c === '\n' ? '%0A' : c === '\r' ? '%0D' : '%22'));

  function concat(chunks) {
    let total = 0;
    for (const chunk of chunks) total += chunk.length;
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    return bytes;
  }

  function serializeFormData(formData) {
    const random = new Uint8Array(16);
    getRandomValues(random);
    let boundary = '----isoboxFormBoundary';
    for (const byte of random) boundary += (byte < 16 ? '0' : '') + byte.toString(16);
    const chunks = [];
    for (const [name, value] of listOf(formData)) {
      let head = `--${boundary}\r\nContent-Disposition: form-data; name="${escape(crlf(name))}"`;
      if (typeof value === 'string') {
        chunks.push(encode(`${head}\r\n\r\n${crlf(value)}\r\n`));
      } else {
        const type = typeOf(value) === '' ? 'application/octet-stream' : typeOf(value);
        head += `; filename="${escape(nameOf(value))}"\r\nContent-Type: ${type}\r\n\r\n`;
        chunks.push(encode(head), bytesOf(value), encode('\r\n'));
      }
    }
    chunks.push(encode(`--${boundary}--\r\n`));
    return { bytes: concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
  }

  function parseFormData(bytes, contentType) {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('FormData: the body must be a Uint8Array');
    const mime = parseMime(String(contentType));
    if (mime === undefined) {
      throw new TypeError(`FormData: cannot parse a body whose Content-Type "${contentType}" is not a MIME type`);
    }
    const formData = new FormData();
    const list = listOf(formData);
    if (mime[0] === 'multipart/form-data') {
      let boundary;
      for (let i = 1; i + 1 < mime.length; i += 2) {
        if (mime[i] === 'boundary') boundary = mime[i + 1];
      }
      if (boundary === undefined) {
        throw new TypeError('FormData: the multipart/form-data Content-Type has no boundary parameter');
      }
      // One copy of the body, which the Files made from it share.
      const body = bytes.slice();
      const parts = parseMultipart(body, boundary);
      const time = now();
      for (let i = 0; i < parts.length; i += 5) {
        const [name, filename, type, start, end] = parts.slice(i, i + 5);
        const content = body.subarray(start, end);
        if (filename === undefined) {
          list.push([name, decode(content, false)]);
        } else {
          const fileType = type === undefined ? 'text/plain' : type;
          list.push([name, makeFile(content, filename, normaliseType(fileType), time)]);
        }
      }
      return formData;
    }
    if (mime[0] === 'application/x-www-form-urlencoded') {
      const params = new URLSearchParamsClass(decode(bytes, false));
      const entries = searchParamsEntries.call(params);
      for (let step = entries.next(); !step.done; step = entries.next()) list.push(step.value);
      return formData;
    }
    throw new TypeError(`FormData: cannot parse a body of type ${mime[0]} (only multipart/form-data and application/x-www-form-urlencoded)`);
  }

  // What the Blob constructor keeps of a type.
  function normaliseType(text) {
    return /^[\x20-\x7e]*$/.test(text) ? text.toLowerCase() : '';
  }

  return Object.freeze({
    isBlob,
    blobBytes: bytesOf,
    blobType: typeOf,
    makeBlob: (bytes, type) => makeBlob(bytes, normaliseType(String(type))),
    isFormData,
    serializeFormData,
    parseFormData,
  });
})
