// Small web platform APIs: DOMException, reportError, queueMicrotask, atob,
// btoa, performance, crypto (a Crypto: getRandomValues and randomUUID) and
// isSecureContext. Evaluated once, at wizer time. `fillRandom(u8)` fills a
// Uint8Array from the host's random source; `now()` is milliseconds since
// the run started and `origin()` the wall-clock time of that start;
// `report(line)` writes an error line to the console.
(function installWeb(fillRandom, now, report, origin) {
  'use strict';
  const define = (target, name, value) => Object.defineProperty(target, name, {
    value, writable: true, enumerable: false, configurable: true,
  });

  // The legacy code of each name, and its constant's name.
  const legacyCodes = {
    IndexSizeError: [1, 'INDEX_SIZE_ERR'], DOMStringSizeError: [2, 'DOMSTRING_SIZE_ERR'],
    HierarchyRequestError: [3, 'HIERARCHY_REQUEST_ERR'], WrongDocumentError: [4, 'WRONG_DOCUMENT_ERR'],
    InvalidCharacterError: [5, 'INVALID_CHARACTER_ERR'], NoDataAllowedError: [6, 'NO_DATA_ALLOWED_ERR'],
    NoModificationAllowedError: [7, 'NO_MODIFICATION_ALLOWED_ERR'], NotFoundError: [8, 'NOT_FOUND_ERR'],
    NotSupportedError: [9, 'NOT_SUPPORTED_ERR'], InUseAttributeError: [10, 'INUSE_ATTRIBUTE_ERR'],
    InvalidStateError: [11, 'INVALID_STATE_ERR'], SyntaxError: [12, 'SYNTAX_ERR'],
    InvalidModificationError: [13, 'INVALID_MODIFICATION_ERR'], NamespaceError: [14, 'NAMESPACE_ERR'],
    InvalidAccessError: [15, 'INVALID_ACCESS_ERR'], ValidationError: [16, 'VALIDATION_ERR'],
    TypeMismatchError: [17, 'TYPE_MISMATCH_ERR'], SecurityError: [18, 'SECURITY_ERR'],
    NetworkError: [19, 'NETWORK_ERR'], AbortError: [20, 'ABORT_ERR'], URLMismatchError: [21, 'URL_MISMATCH_ERR'],
    QuotaExceededError: [22, 'QUOTA_EXCEEDED_ERR'], TimeoutError: [23, 'TIMEOUT_ERR'],
    InvalidNodeTypeError: [24, 'INVALID_NODE_TYPE_ERR'], DataCloneError: [25, 'DATA_CLONE_ERR'],
  };
  class DOMException extends Error {
    #name;
    #message;
    constructor(message = '', name = 'Error') {
      super();
      this.#message = String(message);
      this.#name = String(name);
    }
    get name() { return this.#name; }
    get message() { return this.#message; }
    get code() {
      const legacy = Object.prototype.hasOwnProperty.call(legacyCodes, this.#name) ? legacyCodes[this.#name] : null;
      return legacy === null ? 0 : legacy[0];
    }
  }
  for (const key of ['name', 'message', 'code']) {
    Object.defineProperty(DOMException.prototype, key, {
      ...Object.getOwnPropertyDescriptor(DOMException.prototype, key), enumerable: true,
    });
  }
  for (const [code, constant] of Object.values(legacyCodes)) {
    const descriptor = { value: code, writable: false, enumerable: true, configurable: false };
    Object.defineProperty(DOMException, constant, descriptor);
    Object.defineProperty(DOMException.prototype, constant, descriptor);
  }
  Object.defineProperty(DOMException.prototype, Symbol.toStringTag, { value: 'DOMException', configurable: true });
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
  // `crypto` is the one instance of the Crypto interface (subtle.js adds
  // its `subtle` attribute). Every sandbox is a secure context.
  const create = Symbol('create');
  class Crypto {
    constructor(token = undefined) {
      if (token !== create) throw new TypeError('Crypto: illegal constructor');
    }
  }
  const crypto = new Crypto(create);
  const expose = (name, value) => Object.defineProperty(Crypto.prototype, name, {
    value, writable: true, enumerable: true, configurable: true,
  });
  expose('getRandomValues', function getRandomValues(array) {
    if (!integerArrays.some((type) => array instanceof type)) {
      throw new DOMException('getRandomValues: the argument must be an integer typed array', 'TypeMismatchError');
    }
    if (array.byteLength > 65536) {
      throw new DOMException('getRandomValues: more than 65536 bytes asked for', 'QuotaExceededError');
    }
    fillRandom(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    return array;
  });
  expose('randomUUID', function randomUUID() {
    const bytes = new Uint8Array(16);
    fillRandom(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  });
  Object.defineProperty(Crypto.prototype, Symbol.toStringTag, { value: 'Crypto', configurable: true });
  define(globalThis, 'Crypto', Crypto);
  define(globalThis, 'crypto', crypto);
  Object.defineProperty(globalThis, 'isSecureContext', {
    get: Object.getOwnPropertyDescriptor({ get isSecureContext() { return true; } }, 'isSecureContext').get,
    enumerable: true,
    configurable: true,
  });

  return performance;
})
