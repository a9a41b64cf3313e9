// Small web platform APIs: DOMException, reportError, queueMicrotask, atob,
// btoa, performance, crypto.getRandomValues and crypto.randomUUID. Evaluated
// once, at wizer time. `fillRandom(u8)` fills a Uint8Array from the host's
// random source; `now()` is milliseconds since the run started and
// `origin()` the wall-clock time of that start; `report(line)` writes an error
// line to the console.
(function installWeb(fillRandom, now, report, utf8Encode, utf8Decode, origin) {
  'use strict';
  const define = (target, name, value) => Object.defineProperty(target, name, {
    value, writable: true, enumerable: false, configurable: true,
  });

  const legacyCodes = {
    IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5,
    NoModificationAllowedError: 7, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11,
    SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15,
    TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20, URLMismatchError: 21,
    QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25,
  };
  class DOMException extends Error {
    #name;
    constructor(message = '', name = 'Error') {
      super(String(message));
      this.#name = String(name);
    }
    get name() { return this.#name; }
    get code() { return legacyCodes[this.#name] || 0; }
  }
  define(globalThis, 'DOMException', DOMException);

  const describe = (error) => {
    if (error instanceof Error) {
      const stack = typeof error.stack === 'string' ? error.stack.trimEnd() : '';
      return `${error.name}: ${error.message}` + (stack ? '\n' + stack : '');
    }
    try { return String(error); } catch (_) { return 'a thrown value'; }
  };
  define(globalThis, 'reportError', function reportError(error) {
    report('Uncaught ' + describe(error));
  });

  define(globalThis, 'queueMicrotask', function queueMicrotask(callback) {
    if (typeof callback !== 'function') throw new TypeError('queueMicrotask: the callback must be a function');
    Promise.resolve().then(() => {
      try { callback(); } catch (error) { globalThis.reportError(error); }
    });
  });

  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const invalid = (what) => new DOMException(what, 'InvalidCharacterError');
  define(globalThis, 'btoa', function btoa(data) {
    if (arguments.length === 0) throw new TypeError('btoa: 1 argument required');
    const text = String(data);
    let out = '';
    for (let i = 0; i < text.length; i += 3) {
      const codes = [text.charCodeAt(i), text.charCodeAt(i + 1), text.charCodeAt(i + 2)];
      for (let j = 0; j < 3 && i + j < text.length; j++) {
        if (codes[j] > 255) throw invalid('btoa: the string has characters outside Latin-1');
      }
      const [a, b = 0, c = 0] = codes.map((x) => (Number.isNaN(x) ? 0 : x));
      out += alphabet[a >> 2] + alphabet[((a & 3) << 4) | (b >> 4)];
      out += i + 1 < text.length ? alphabet[((b & 15) << 2) | (c >> 6)] : '=';
      out += i + 2 < text.length ? alphabet[c & 63] : '=';
    }
    return out;
  });
  define(globalThis, 'atob', function atob(data) {
    if (arguments.length === 0) throw new TypeError('atob: 1 argument required');
    let text = String(data).replace(/[\t\n\f\r ]/g, '');
    if (text.length % 4 === 0) text = text.replace(/==?$/, '');
    if (text.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(text)) {
      throw invalid('atob: the string is not correctly encoded base64');
    }
    let out = '';
    let buffer = 0;
    let bits = 0;
    for (let i = 0; i < text.length; i++) {
      buffer = (buffer << 6) | alphabet.indexOf(text[i]);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out += String.fromCharCode((buffer >> bits) & 255);
      }
    }
    return out;
  });

  const performance = {};
  define(performance, 'now', function now_() { return now(); });
  Object.defineProperty(performance, 'timeOrigin', { get: () => origin(), enumerable: true, configurable: true });
  define(globalThis, 'performance', performance);

  const integerArrays = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array,
    Int32Array, Uint32Array, BigInt64Array, BigUint64Array];
  const crypto = {};
  define(crypto, 'getRandomValues', function getRandomValues(array) {
    if (!integerArrays.some((type) => array instanceof type)) {
      throw new DOMException('getRandomValues: the argument must be an integer typed array', 'TypeMismatchError');
    }
    if (array.byteLength > 65536) {
      throw new DOMException('getRandomValues: more than 65536 bytes asked for', 'QuotaExceededError');
    }
    fillRandom(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    return array;
  });
  define(crypto, 'randomUUID', function randomUUID() {
    const bytes = new Uint8Array(16);
    fillRandom(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  });
  define(globalThis, 'crypto', crypto);

  // TextEncoder and TextDecoder, UTF-8 only (the only encoding TextEncoder
  // has; TextDecoder refuses other labels with a RangeError).
  const utf8Labels = new Set(['unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'utf-8', 'utf8', 'x-unicode20utf8']);
  const bytesOf = (input) => {
    if (input === undefined) return new Uint8Array(0);
    if (input instanceof ArrayBuffer) return new Uint8Array(input);
    if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    throw new TypeError('TextDecoder.decode: the input must be an ArrayBuffer or a view of one');
  };
  // The length of `bytes` without an incomplete sequence at its end.
  const completeLength = (bytes) => {
    for (let back = 1; back <= 3 && back <= bytes.length; back++) {
      const byte = bytes[bytes.length - back];
      if ((byte & 0xc0) === 0x80) continue;
      const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
      return needed > back ? bytes.length - back : bytes.length;
    }
    return bytes.length;
  };
  // Lone surrogates become U+FFFD before encoding, as USVString conversion does.
  const wellFormed = (text) => (typeof text.toWellFormed === 'function'
    ? text.toWellFormed()
    : text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'));
  class TextEncoder {
    get encoding() { return 'utf-8'; }
    encode(input = '') { return utf8Encode(wellFormed(String(input))); }
    encodeInto(source, destination) {
      if (!(destination instanceof Uint8Array)) throw new TypeError('TextEncoder.encodeInto: the destination must be a Uint8Array');
      let read = 0;
      let written = 0;
      for (const char of wellFormed(String(source))) {
        const bytes = utf8Encode(char);
        if (written + bytes.length > destination.length) break;
        destination.set(bytes, written);
        written += bytes.length;
        read += char.length;
      }
      return { read, written };
    }
  }
  class TextDecoder {
    #fatal;
    #ignoreBOM;
    #pending = null;
    #started = false;
    constructor(label = 'utf-8', options = undefined) {
      if (!utf8Labels.has(String(label).trim().toLowerCase())) {
        throw new RangeError(`TextDecoder: the encoding "${label}" is not supported (only utf-8 is)`);
      }
      this.#fatal = Boolean(options && options.fatal);
      this.#ignoreBOM = Boolean(options && options.ignoreBOM);
    }
    get encoding() { return 'utf-8'; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    decode(input = undefined, options = undefined) {
      let bytes = bytesOf(input);
      if (this.#pending !== null) {
        const joined = new Uint8Array(this.#pending.length + bytes.length);
        joined.set(this.#pending);
        joined.set(bytes, this.#pending.length);
        bytes = joined;
        this.#pending = null;
      }
      const stream = Boolean(options && options.stream);
      const end = stream ? completeLength(bytes) : bytes.length;
      if (end < bytes.length) this.#pending = bytes.slice(end);
      let text = utf8Decode(bytes.subarray(0, end), this.#fatal);
      if (!this.#started && text.length > 0) {
        if (!this.#ignoreBOM && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        this.#started = true;
      }
      if (!stream) this.#started = false;
      return text;
    }
  }
  define(globalThis, 'TextEncoder', TextEncoder);
  define(globalThis, 'TextDecoder', TextDecoder);
  return performance;
})
