// Blob and File (W3C File API), FileReader and ProgressEvent. A Blob holds
// its bytes in one Uint8Array that nothing writes to after construction:
// the constructor copies its parts in, slices share their parent's bytes.
// Evaluated once, at wizer time; returns the hooks formdata.js (and through
// it fetch) uses.
//
// `native.encode(text)` is a fresh Uint8Array of UTF-8 (text well formed);
// `native.decode(bytes, stripBOM)` decodes UTF-8 with U+FFFD for errors;
// `native.parseMime(text)` is [essence, name, value, ...] or undefined.
(function installBlob(idl, native) {
  'use strict';
  const { encode, decode, parseMime } = native;
  const empty = new Uint8Array(0);
  // Taken now: code in a run cannot change what a read does.
  const TextDecoderClass = TextDecoder;
  const btoaFunction = btoa;
  const setTimeoutFunction = setTimeout;
  const dateNow = Date.now;
  const dispatch = EventTarget.prototype.dispatchEvent;
  const addListener = EventTarget.prototype.addEventListener;
  const removeListener = EventTarget.prototype.removeEventListener;

  // The internal constructor path: a Blob or File made from bytes that are
  // already owned (no conversion, no copy).
  const internal = Symbol('internal');
  let pending = null;

  // A DOMString converted by Web IDL: ToString, which refuses symbols.
  const string = (value) => `${value}`;
  const usv = (value) => string(value).toWellFormed();

  // A Blob's type as the constructor and slice() keep it: printable ASCII
  // lower-cased, anything else the empty string.
  function normaliseType(text) {
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code < 0x20 || code > 0x7e) return '';
    }
    return text.toLowerCase();
  }

  // sequence<BlobPart>: each item converted as it is produced (a Blob, a
  // BufferSource, or a USVString). BufferSources are copied later, when
  // the parts are processed, as the standard reads them.
  function blobParts(value, what) {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
      throw new TypeError(`${what}: the parts argument must be a sequence (an iterable object)`);
    }
    const method = value[Symbol.iterator];
    if (typeof method !== 'function') throw new TypeError(`${what}: the parts argument is not iterable`);
    const iterator = method.call(value);
    if (iterator === null || (typeof iterator !== 'object' && typeof iterator !== 'function')) {
      throw new TypeError(`${what}: the parts iterator is not an object`);
    }
    const next = iterator.next;
    const parts = [];
    for (;;) {
      const step = next.call(iterator);
      if (step === null || (typeof step !== 'object' && typeof step !== 'function')) {
        throw new TypeError(`${what}: the parts iterator's result is not an object`);
      }
      if (step.done) return parts;
      const item = step.value;
      if (item !== null && typeof item === 'object') {
        if (isBlob(item)) {
          parts.push(item);
          continue;
        }
        const view = idl.bytes(item);
        if (view !== null) {
          parts.push(view);
          continue;
        }
      }
      parts.push(usv(item));
    }
  }

  // The options both constructors share, in Web IDL's (lexicographic) order.
  function blobOptions(init, what) {
    let endings = 'transparent';
    if (init.endings !== undefined) {
      endings = string(init.endings);
      if (endings !== 'transparent' && endings !== 'native') {
        throw new TypeError(`${what}: endings must be 'transparent' or 'native', not '${endings}'`);
      }
    }
    const type = init.type === undefined ? '' : normaliseType(string(init.type));
    return { endings, type };
  }

  // The File API's "process blob parts": one new Uint8Array.
  function processParts(parts, endings) {
    const chunks = [];
    let total = 0;
    for (const part of parts) {
      let chunk;
      if (typeof part === 'string') {
        chunk = encode(endings === 'native' ? part.replace(/\r\n|\r/g, '\n') : part);
      } else if (part instanceof Uint8Array) {
        chunk = part;
      } else {
        chunk = bytesOf(part);
      }
      chunks.push(chunk);
      total += chunk.length;
    }
    if (chunks.length === 1 && typeof parts[0] === 'string') return chunks[0];
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    return bytes;
  }

  // Web IDL's [Clamp] long long, for slice().
  function clampLongLong(value) {
    let number = Number(value);
    if (Number.isNaN(number)) return 0;
    number = Math.min(Math.max(number, -(2 ** 63)), 2 ** 63 - 1);
    const floor = Math.floor(number);
    const fraction = number - floor;
    if (fraction > 0.5 || (fraction === 0.5 && floor % 2 !== 0)) return floor + 1;
    return floor;
  }

  // Web IDL's long long, for lastModified.
  function longLong(value) {
    const number = Number(value);
    if (!Number.isFinite(number)) return 0;
    return Number(BigInt.asIntN(64, BigInt(Math.trunc(number))));
  }

  const brand = (blob, what) => {
    if (!isBlob(blob)) throw new TypeError(`Blob.${what}: 'this' is not a Blob`);
    return bytesOf(blob);
  };

  // Set by the classes' static blocks: the only code that sees their fields.
  let isBlob, bytesOf, typeOf, isFile, nameOf, lastModifiedOf;

  class Blob {
    #bytes = empty;
    #type = '';

    constructor(blobPartsArgument = undefined, options = undefined) {
      if (blobPartsArgument === internal) {
        this.#bytes = pending.bytes;
        this.#type = pending.type;
        pending = null;
        return;
      }
      const parts = blobPartsArgument === undefined ? [] : blobParts(blobPartsArgument, 'Blob');
      const { endings, type } = blobOptions(idl.dictionary(options, 'Blob'), 'Blob');
      this.#bytes = processParts(parts, endings);
      this.#type = type;
    }
    get size() { return brand(this, 'size').length; }
    get type() {
      brand(this, 'type');
      return this.#type;
    }
    slice(start = undefined, end = undefined, contentType = undefined) {
      const bytes = brand(this, 'slice');
      const size = bytes.length;
      const relative = (value, fallback) => {
        if (value === undefined) return fallback;
        const n = clampLongLong(value);
        return n < 0 ? Math.max(size + n, 0) : Math.min(n, size);
      };
      const from = relative(start, 0);
      const to = relative(end, size);
      const type = contentType === undefined ? '' : normaliseType(string(contentType));
      return makeBlob(bytes.subarray(from, Math.max(to, from)), type);
    }
    stream() {
      const bytes = brand(this, 'stream');
      const ReadableStream = globalThis.ReadableStream;
      if (typeof ReadableStream !== 'function') {
        throw new TypeError('Blob.stream: ReadableStream is not available in this sandbox');
      }
      return blobStream(ReadableStream, bytes);
    }
    async text() { return decode(brand(this, 'text'), true); }
    async arrayBuffer() { return brand(this, 'arrayBuffer').slice().buffer; }
    async bytes() { return brand(this, 'bytes').slice(); }

    static {
      bytesOf = (blob) => blob.#bytes;
      typeOf = (blob) => blob.#type;
      isBlob = (value) => value !== null && typeof value === 'object' && #bytes in value;
    }
  }
  idl.interface(Blob, 'Blob');

  // The bytes in chunks of 64 KiB (each a fresh copy the stream may own),
  // as a byte stream when the streams in this sandbox have them.
  const CHUNK = 65536;
  function blobStream(ReadableStream, bytes) {
    let offset = 0;
    const source = {
      pull(controller) {
        if (offset >= bytes.length) {
          controller.close();
          const request = controller.byobRequest;
          if (request) request.respond(0);
          return;
        }
        const end = Math.min(offset + CHUNK, bytes.length);
        controller.enqueue(bytes.slice(offset, end));
        offset = end;
      },
    };
    try {
      return new ReadableStream({ ...source, type: 'bytes' });
    } catch (error) {
      if (!(error instanceof RangeError) && !(error instanceof TypeError)) throw error;
      return new ReadableStream(source);
    }
  }

  function makeBlob(bytes, type) {
    pending = { bytes, type };
    return new Blob(internal);
  }

  class File extends Blob {
    #name;
    #lastModified;

    constructor(fileBits, fileName, options = undefined) {
      if (fileBits === internal) {
        const { name, lastModified } = pending;
        super(internal);
        this.#name = name;
        this.#lastModified = lastModified;
        return;
      }
      if (arguments.length < 2) {
        throw new TypeError(`File: 2 arguments required, but only ${arguments.length} present`);
      }
      const parts = blobParts(fileBits, 'File');
      const name = usv(fileName);
      const init = idl.dictionary(options, 'File');
      const { endings, type } = blobOptions(init, 'File');
      const lastModified = init.lastModified === undefined ? dateNow() : longLong(init.lastModified);
      pending = { bytes: processParts(parts, endings), type, name, lastModified };
      super(internal);
      this.#name = name;
      this.#lastModified = lastModified;
    }
    get name() {
      if (!isFile(this)) throw new TypeError("File.name: 'this' is not a File");
      return this.#name;
    }
    get lastModified() {
      if (!isFile(this)) throw new TypeError("File.lastModified: 'this' is not a File");
      return this.#lastModified;
    }
    get webkitRelativePath() {
      if (!isFile(this)) throw new TypeError("File.webkitRelativePath: 'this' is not a File");
      return '';
    }

    static {
      isFile = (value) => value !== null && typeof value === 'object' && #name in value;
      nameOf = (file) => file.#name;
      lastModifiedOf = (file) => file.#lastModified;
    }
  }
  idl.interface(File, 'File');

  function makeFile(bytes, name, type, lastModified) {
    pending = { bytes, type, name, lastModified };
    return new File(internal);
  }

  // ProgressEvent (XHR standard), which FileReader fires.
  class ProgressEvent extends Event {
    #lengthComputable;
    #loaded;
    #total;
    constructor(type, eventInitDict = undefined) {
      if (arguments.length < 1) throw new TypeError('ProgressEvent: 1 argument required, but only 0 present');
      const init = idl.dictionary(eventInitDict, 'ProgressEvent');
      super(type, init);
      this.#lengthComputable = Boolean(init.lengthComputable);
      this.#loaded = init.loaded === undefined ? 0 : Math.max(0, Math.trunc(Number(init.loaded)) || 0);
      this.#total = init.total === undefined ? 0 : Math.max(0, Math.trunc(Number(init.total)) || 0);
    }
    get lengthComputable() { return this.#lengthComputable; }
    get loaded() { return this.#loaded; }
    get total() { return this.#total; }
  }
  idl.interface(ProgressEvent, 'ProgressEvent');

  // FileReader (File API). Each read runs as tasks (timers of 0 ms): one
  // for loadstart, one for progress, one that settles and fires load (or
  // error), one for loadend; abort() or a new read makes the queued tasks
  // of the old one do nothing.
  const EMPTY = 0;
  const LOADING = 1;
  const DONE = 2;

  // The encoding of readAsText: the label given, else the charset of the
  // Blob's type, else UTF-8; a byte order mark overrides all three.
  function decodeText(bytes, label, type) {
    let encoding = 'utf-8';
    const valid = (candidate) => {
      try {
        const name = new TextDecoderClass(candidate).encoding;
        return name;
      } catch (_) {
        return null;
      }
    };
    const fromLabel = label === undefined ? null : valid(label);
    if (fromLabel !== null) {
      encoding = fromLabel;
    } else {
      const mime = parseMime(type);
      if (mime !== undefined) {
        for (let i = 1; i + 1 < mime.length; i += 2) {
          if (mime[i] === 'charset') {
            encoding = valid(mime[i + 1]) ?? encoding;
            break;
          }
        }
      }
    }
    let start = 0;
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
      encoding = 'utf-8';
      start = 3;
    } else if (bytes[0] === 0xfe && bytes[1] === 0xff) {
      encoding = 'utf-16be';
      start = 2;
    } else if (bytes[0] === 0xff && bytes[1] === 0xfe) {
      encoding = 'utf-16le';
      start = 2;
    }
    if (encoding === 'utf-8') return decode(bytes.subarray(start), false);
    return new TextDecoderClass(encoding, { ignoreBOM: true }).decode(bytes.subarray(start));
  }

  function binaryString(bytes) {
    let out = '';
    for (let i = 0; i < bytes.length; i += 8192) {
      out += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
    }
    return out;
  }

  const progress = (type, loaded, total) => new ProgressEvent(type, { lengthComputable: true, loaded, total });

  class FileReader extends EventTarget {
    #state = EMPTY;
    #result = null;
    #error = null;
    // Bumped by every read and abort: a queued task of an older read ends.
    #generation = 0;

    constructor() {
      super();
    }
    get readyState() { return this.#state; }
    get result() { return this.#result; }
    get error() { return this.#error; }
    readAsArrayBuffer(blob) { this.#read(blob, 'readAsArrayBuffer', (bytes) => bytes.slice().buffer); }
    readAsBinaryString(blob) { this.#read(blob, 'readAsBinaryString', binaryString); }
    readAsText(blob, encoding = undefined) {
      const label = encoding === undefined ? undefined : string(encoding);
      this.#read(blob, 'readAsText', (bytes, type) => decodeText(bytes, label, type));
    }
    readAsDataURL(blob) {
      this.#read(blob, 'readAsDataURL', (bytes, type) => {
        return `data:${type === '' ? 'application/octet-stream' : type};base64,${btoaFunction(binaryString(bytes))}`;
      });
    }
    abort() {
      if (this.#state === EMPTY || this.#state === DONE) {
        this.#result = null;
        return;
      }
      this.#state = DONE;
      this.#result = null;
      this.#generation++;
      dispatch.call(this, progress('abort', 0, 0));
      if (this.#state !== LOADING) dispatch.call(this, progress('loadend', 0, 0));
    }

    #read(blob, what, pack) {
      if (!isBlob(blob)) throw new TypeError(`FileReader.${what}: parameter 1 is not of type 'Blob'`);
      if (this.#state === LOADING) {
        throw new DOMException(`FileReader.${what}: a read is already in progress`, 'InvalidStateError');
      }
      this.#state = LOADING;
      this.#result = null;
      this.#error = null;
      const generation = ++this.#generation;
      const bytes = bytesOf(blob);
      const type = typeOf(blob);
      const total = bytes.length;
      const task = (step) => setTimeoutFunction(() => {
        if (this.#generation === generation) step();
      }, 0);
      task(() => {
        dispatch.call(this, progress('loadstart', 0, total));
        task(() => {
          if (total > 0) dispatch.call(this, progress('progress', total, total));
          task(() => {
            this.#state = DONE;
            let failed = false;
            try {
              this.#result = pack(bytes, type);
            } catch (error) {
              failed = true;
              this.#error = error instanceof DOMException ? error : new DOMException(String(error), 'EncodingError');
            }
            dispatch.call(this, progress(failed ? 'error' : 'load', total, total));
            // A task of its own, as the microtasks a browser runs after the
            // load listeners come first; a read started by them skips it.
            task(() => {
              if (this.#state !== LOADING) dispatch.call(this, progress('loadend', total, total));
            });
          });
        });
      });
    }
  }
  for (const [name, value] of [['EMPTY', EMPTY], ['LOADING', LOADING], ['DONE', DONE]]) {
    idl.constant(FileReader, name, value);
  }
  // Event handler attributes: the first function set adds one listener,
  // later values replace what it calls, null removes it.
  const slots = new WeakMap();
  for (const name of ['loadstart', 'progress', 'load', 'abort', 'error', 'loadend']) {
    const key = 'on' + name;
    Object.defineProperty(FileReader.prototype, key, {
      get() {
        const slot = slots.get(this);
        return (slot && slot[key] && slot[key].value) || null;
      },
      set(value) {
        if (!(this instanceof FileReader)) throw new TypeError(`FileReader.${key}: 'this' is not a FileReader`);
        let slot = slots.get(this);
        if (!slot) slots.set(this, (slot = {}));
        const callable = typeof value === 'function' || (value !== null && typeof value === 'object') ? value : null;
        const current = slot[key];
        if (callable === null) {
          if (current) removeListener.call(this, name, current.listener);
          slot[key] = undefined;
          return;
        }
        if (current) {
          current.value = callable;
          return;
        }
        const entry = { value: callable };
        entry.listener = function (event) {
          if (typeof entry.value !== 'function') return;
          if (entry.value.call(this, event) === false) event.preventDefault();
        };
        addListener.call(this, name, entry.listener);
        slot[key] = entry;
      },
      enumerable: true,
      configurable: true,
    });
  }
  idl.interface(FileReader, 'FileReader');

  // structuredClone copies a Blob or File (sharing its immutable bytes).
  idl.serializable(isBlob, (blob) => (isFile(blob)
    ? makeFile(bytesOf(blob), nameOf(blob), typeOf(blob), lastModifiedOf(blob))
    : makeBlob(bytesOf(blob), typeOf(blob))));

  return {
    isBlob,
    isFile,
    bytesOf,
    typeOf,
    nameOf,
    lastModifiedOf,
    makeBlob,
    makeFile,
    now: dateNow,
  };
})
