// crypto.subtle: SubtleCrypto and CryptoKey (W3C Web Cryptography API).
// This file does what the standard asks of the methods: normalizing
// algorithms, converting dictionaries, checking keys and usages, JWK, and
// errors as DOMExceptions; `native` (crypto/mod.rs) does the arithmetic on
// opaque key material no JS property reaches. `algorithms` (crypto/algorithms.js)
// holds the per-algorithm operations. Every method returns a promise and
// never throws. Evaluated once, at wizer time.
(function installSubtle(idl, native, defineAlgorithms) {
  'use strict';
  const create = Symbol('create');
  const hashes = ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'];
  const usageNames = ['encrypt', 'decrypt', 'sign', 'verify', 'deriveKey', 'deriveBits', 'wrapKey', 'unwrapKey'];
  const formats = ['raw', 'spki', 'pkcs8', 'jwk'];

  const upper = (text) => text.replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 32));
  const dom = (name, message) => new DOMException(message, name);

  // Calls a native function: its failures name the DOMException to throw.
  function call(name, ...args) {
    try {
      return native[name](...args);
    } catch (error) {
      if (error instanceof Error && error.constructor === Error) {
        const match = /^([A-Za-z]+Error): ([^]*)$/.exec(error.message);
        if (match) throw dom(match[1], match[2]);
      }
      throw error;
    }
  }

  // ---- Web IDL conversions ----

  function bufferSource(value, what) {
    const view = idl.bytes(value);
    if (view === null) throw new TypeError(`${what} must be an ArrayBuffer or a view of one`);
    return view.slice();
  }

  function enforceRange(max) {
    return (value, what) => {
      let number = Number(value);
      if (!Number.isFinite(number)) throw new TypeError(`${what} must be a finite number`);
      number = Math.trunc(number);
      if (number < 0 || number > max) throw new TypeError(`${what} is out of range`);
      return number;
    };
  }
  const octet = enforceRange(255);
  const unsignedShort = enforceRange(0xffff);
  const unsignedLong = enforceRange(0xffffffff);
  const string = (value) => String(value);
  const hash = (value) => normalize(value, 'digest');
  function bigInteger(value, what) {
    if (!(value instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`);
    return value.slice();
  }
  function cryptoKey(value, what) {
    if (!slots.has(value)) throw new TypeError(`${what} must be a CryptoKey`);
    return value;
  }

  // Dictionaries: [member, conversion, required], members in lexicographic order.
  const dictionaries = {
    none: [],
    AesCbcParams: [['iv', bufferSource, true]],
    AesCtrParams: [['counter', bufferSource, true], ['length', octet, true]],
    AesGcmParams: [['additionalData', bufferSource, false], ['iv', bufferSource, true], ['tagLength', octet, false]],
    RsaOaepParams: [['label', bufferSource, false]],
    RsaPssParams: [['saltLength', unsignedLong, true]],
    EcdsaParams: [['hash', hash, true]],
    RsaHashedKeyGenParams: [['hash', hash, true], ['modulusLength', unsignedLong, true], ['publicExponent', bigInteger, true]],
    EcKeyGenParams: [['namedCurve', string, true]],
    AesKeyGenParams: [['length', unsignedShort, true]],
    HmacKeyGenParams: [['hash', hash, true], ['length', unsignedLong, false]],
    RsaHashedImportParams: [['hash', hash, true]],
    EcKeyImportParams: [['namedCurve', string, true]],
    HmacImportParams: [['hash', hash, true], ['length', unsignedLong, false]],
    EcdhKeyDeriveParams: [['public', cryptoKey, true]],
    HkdfParams: [['hash', hash, true], ['info', bufferSource, true], ['salt', bufferSource, true]],
    Pbkdf2Params: [['hash', hash, true], ['iterations', unsignedLong, true], ['salt', bufferSource, true]],
    AesDerivedKeyParams: [['length', unsignedShort, true]],
  };
  const d = dictionaries;
  const rsa = { 'RSASSA-PKCS1-v1_5': d.none, 'RSA-PSS': d.RsaPssParams };
  const cipher = { 'RSA-OAEP': d.RsaOaepParams, 'AES-CTR': d.AesCtrParams, 'AES-CBC': d.AesCbcParams, 'AES-GCM': d.AesGcmParams };
  const signing = { ...rsa, ECDSA: d.EcdsaParams, HMAC: d.none, Ed25519: d.none };
  const aesGen = { 'AES-CTR': d.AesKeyGenParams, 'AES-CBC': d.AesKeyGenParams, 'AES-GCM': d.AesKeyGenParams, 'AES-KW': d.AesKeyGenParams };
  const aesImport = { 'AES-CTR': d.none, 'AES-CBC': d.none, 'AES-GCM': d.none, 'AES-KW': d.none };
  const aesLength = { 'AES-CTR': d.AesDerivedKeyParams, 'AES-CBC': d.AesDerivedKeyParams, 'AES-GCM': d.AesDerivedKeyParams, 'AES-KW': d.AesDerivedKeyParams };
  // The standard's registered algorithms, per operation.
  const registry = {
    encrypt: cipher,
    decrypt: cipher,
    sign: signing,
    verify: signing,
    digest: Object.fromEntries(hashes.map((name) => [name, d.none])),
    generateKey: {
      'RSASSA-PKCS1-v1_5': d.RsaHashedKeyGenParams, 'RSA-PSS': d.RsaHashedKeyGenParams, 'RSA-OAEP': d.RsaHashedKeyGenParams,
      ECDSA: d.EcKeyGenParams, ECDH: d.EcKeyGenParams, ...aesGen, HMAC: d.HmacKeyGenParams, Ed25519: d.none, X25519: d.none,
    },
    importKey: {
      'RSASSA-PKCS1-v1_5': d.RsaHashedImportParams, 'RSA-PSS': d.RsaHashedImportParams, 'RSA-OAEP': d.RsaHashedImportParams,
      ECDSA: d.EcKeyImportParams, ECDH: d.EcKeyImportParams, ...aesImport, HMAC: d.HmacImportParams,
      PBKDF2: d.none, HKDF: d.none, Ed25519: d.none, X25519: d.none,
    },
    deriveBits: { ECDH: d.EcdhKeyDeriveParams, X25519: d.EcdhKeyDeriveParams, HKDF: d.HkdfParams, PBKDF2: d.Pbkdf2Params },
    getKeyLength: { ...aesLength, HMAC: d.HmacImportParams, HKDF: d.none, PBKDF2: d.none },
    wrapKey: { 'AES-KW': d.none },
    unwrapKey: { 'AES-KW': d.none },
  };

  // The standard's "normalize an algorithm".
  function normalize(algorithm, op) {
    if (algorithm === null || (typeof algorithm !== 'object' && typeof algorithm !== 'function')) {
      algorithm = { name: String(algorithm) };
    }
    const given = algorithm.name;
    if (given === undefined) throw new TypeError("the algorithm has no 'name'");
    const name = upper(String(given));
    const table = registry[op];
    const registered = Object.keys(table).find((key) => upper(key) === name);
    if (registered === undefined) throw dom('NotSupportedError', `the algorithm ${String(given)} is not supported for ${op}`);
    const normalized = { name: registered };
    for (const [member, convert, required] of table[registered]) {
      const value = algorithm[member];
      if (value === undefined) {
        if (required) throw new TypeError(`the ${registered} parameters need '${member}'`);
      } else {
        normalized[member] = convert(value, `${registered} parameter '${member}'`);
      }
    }
    return normalized;
  }

  function usageList(value, what) {
    if (value === null || typeof value !== 'object' || typeof value[Symbol.iterator] !== 'function') {
      throw new TypeError(`${what}: keyUsages must be a sequence`);
    }
    const list = [];
    for (const usage of value) {
      const text = String(usage);
      if (!usageNames.includes(text)) throw new TypeError(`${what}: '${text}' is not a key usage`);
      list.push(text);
    }
    return list;
  }

  function format(value, what) {
    const text = String(value);
    if (!formats.includes(text)) throw new TypeError(`${what}: '${text}' is not a key format`);
    return text;
  }

  // ---- CryptoKey ----

  const slots = new WeakMap();
  function slot(key, what) {
    const data = slots.get(key);
    if (data === undefined) throw new TypeError(`CryptoKey.${what}: 'this' is not a CryptoKey`);
    return data;
  }

  function copyAlgorithm(algorithm) {
    const copy = {};
    for (const [name, value] of Object.entries(algorithm)) {
      if (value instanceof Uint8Array) copy[name] = value.slice();
      else if (value !== null && typeof value === 'object') copy[name] = copyAlgorithm(value);
      else copy[name] = value;
    }
    return copy;
  }

  class CryptoKey {
    constructor(token = undefined, data = undefined) {
      if (token !== create) throw idl.illegal('CryptoKey');
      slots.set(this, data);
    }
    get type() { return slot(this, 'type').type; }
    get extractable() { return slot(this, 'extractable').extractable; }
    get algorithm() {
      const data = slot(this, 'algorithm');
      if (data.algorithmCache === undefined) data.algorithmCache = copyAlgorithm(data.algorithm);
      return data.algorithmCache;
    }
    get usages() {
      const data = slot(this, 'usages');
      if (data.usagesCache === undefined) data.usagesCache = [...data.usages];
      return data.usagesCache;
    }
  }
  idl.interface(CryptoKey, 'CryptoKey');

  // A new CryptoKey. `usages` keeps each usage once, in the order given.
  function newKey(type, extractable, algorithm, usages, material) {
    return new CryptoKey(create, {
      type, extractable, algorithm, usages: [...new Set(usages)], material,
      algorithmCache: undefined, usagesCache: undefined,
    });
  }

  // ---- base64url and JWK ----

  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  function encode64(buffer) {
    const bytes = new Uint8Array(buffer);
    let text = '';
    for (let i = 0; i < bytes.length; i += 3) {
      const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
      text += alphabet[(n >> 18) & 63] + alphabet[(n >> 12) & 63];
      if (i + 1 < bytes.length) text += alphabet[(n >> 6) & 63];
      if (i + 2 < bytes.length) text += alphabet[n & 63];
    }
    return text;
  }
  function decode64(text, member) {
    if (typeof text !== 'string') throw dom('DataError', `the JWK has no '${member}'`);
    const clean = text.replace(/=+$/, '');
    if (!/^[A-Za-z0-9_-]*$/.test(clean) || clean.length % 4 === 1) {
      throw dom('DataError', `the JWK's '${member}' is not base64url`);
    }
    const bytes = new Uint8Array(Math.floor((clean.length * 3) / 4));
    let bits = 0;
    let count = 0;
    let at = 0;
    for (const c of clean) {
      bits = (bits << 6) | alphabet.indexOf(c);
      count += 6;
      if (count >= 8) {
        count -= 8;
        bytes[at++] = (bits >> count) & 0xff;
      }
    }
    return bytes;
  }

  const jwkStrings = ['alg', 'crv', 'd', 'dp', 'dq', 'e', 'k', 'kty', 'n', 'p', 'q', 'qi', 'use', 'x', 'y'];
  // The JsonWebKey dictionary of the standard, from a JS value.
  function jsonWebKey(value) {
    if (value === undefined || value === null) return {};
    if (typeof value !== 'object' && typeof value !== 'function') throw new TypeError('importKey: a JWK must be an object');
    const jwk = {};
    for (const member of ['alg', 'crv', 'd', 'dp', 'dq', 'e', 'ext', 'k', 'key_ops', 'kty', 'n', 'oth', 'p', 'q', 'qi', 'use', 'x', 'y']) {
      const item = value[member];
      if (item === undefined) continue;
      if (member === 'ext') jwk.ext = Boolean(item);
      else if (member === 'key_ops' || member === 'oth') {
        if (item === null || typeof item !== 'object' || typeof item[Symbol.iterator] !== 'function') {
          throw new TypeError(`importKey: the JWK's '${member}' must be a sequence`);
        }
        jwk[member] = member === 'key_ops' ? [...item].map(String) : [...item];
      } else if (jwkStrings.includes(member)) jwk[member] = String(item);
    }
    return jwk;
  }

  // The checks every JWK import makes.
  function checkJwk(jwk, kty, use, usages, extractable) {
    if (jwk.kty !== kty) throw dom('DataError', `the JWK's 'kty' must be '${kty}'`);
    if (usages.length > 0 && jwk.use !== undefined && jwk.use !== use) {
      throw dom('DataError', `the JWK's 'use' must be '${use}'`);
    }
    if (jwk.key_ops !== undefined) {
      if (new Set(jwk.key_ops).size !== jwk.key_ops.length) throw dom('DataError', "the JWK's 'key_ops' repeats a usage");
      for (const usage of usages) {
        if (!jwk.key_ops.includes(usage)) throw dom('DataError', `the JWK's 'key_ops' lacks '${usage}'`);
      }
    }
    if (jwk.ext === false && extractable) throw dom('DataError', 'the JWK is not extractable');
  }

  // The UTF-8 bytes of a JWK (for wrapKey) and back (for unwrapKey).
  function jwkBytes(jwk) {
    const text = unescape(encodeURIComponent(JSON.stringify(jwk)));
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }
  function parseJwk(buffer) {
    const bytes = new Uint8Array(buffer);
    let text = '';
    for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    let value;
    try {
      value = JSON.parse(decodeURIComponent(escape(text)));
    } catch {
      throw dom('DataError', 'the unwrapped data is not a JWK');
    }
    if (value === null || typeof value !== 'object') throw dom('DataError', 'the unwrapped data is not a JWK');
    const jwk = jsonWebKey(value);
    if (jwk.kty === undefined) throw dom('DataError', "the unwrapped JWK has no 'kty'");
    return jwk;
  }

  // ---- the algorithms ----

  const helpers = {
    call, dom, newKey, slots, encode64, decode64, checkJwk, hashes,
  };
  const algorithms = defineAlgorithms(helpers);

  function operation(name, op) {
    const algorithm = algorithms[name];
    const fn = algorithm && algorithm[op];
    if (typeof fn !== 'function') throw dom('NotSupportedError', `${name} does not support ${op}`);
    return fn;
  }

  // Checks that `key` is for `normalized`'s algorithm and allows `usage`.
  function checkKey(key, normalized, usage) {
    const data = slots.get(key);
    if (data.algorithm.name !== normalized.name) {
      throw dom('InvalidAccessError', `the key is for ${data.algorithm.name}, not ${normalized.name}`);
    }
    if (!data.usages.includes(usage)) throw dom('InvalidAccessError', `the key's usages do not include '${usage}'`);
    return data;
  }

  // Refuses a secret or private key without usages, or a pair whose
  // private key has none.
  function checkResult(result) {
    const key = result instanceof CryptoKey ? result : result.privateKey;
    const data = slots.get(key);
    if ((data.type === 'secret' || data.type === 'private') && data.usages.length === 0) {
      throw dom('SyntaxError', 'a secret or private key needs at least one usage');
    }
    return result;
  }

  function importKey(format, keyData, normalized, extractable, usages) {
    return checkResult(operation(normalized.name, 'importKey')(format, keyData, normalized, extractable, usages));
  }

  function exportKey(format, key) {
    const data = slots.get(key);
    const exported = operation(data.algorithm.name, 'exportKey')(format, key, data);
    if (format === 'jwk') {
      exported.key_ops = [...data.usages];
      exported.ext = data.extractable;
    }
    return exported;
  }

  // ---- SubtleCrypto ----

  // Runs `body` for a method: its result or error as a promise.
  function method(name, length, args, self, body) {
    try {
      if (!(self instanceof SubtleCrypto)) throw new TypeError(`SubtleCrypto.${name}: 'this' is not a SubtleCrypto`);
      if (args.length < length) throw new TypeError(`SubtleCrypto.${name}: ${length} arguments required`);
      return Promise.resolve(body(`SubtleCrypto.${name}`));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  class SubtleCrypto {
    constructor(token = undefined) {
      if (token !== create) throw idl.illegal('SubtleCrypto');
    }
    encrypt(algorithm, key, data) {
      return method('encrypt', 3, arguments, this, (what) => {
        cryptoKey(key, `${what}: key`);
        const bytes = bufferSource(data, `${what}: data`);
        const normalized = normalize(algorithm, 'encrypt');
        const keyData = checkKey(key, normalized, 'encrypt');
        return operation(normalized.name, 'encrypt')(normalized, keyData, bytes);
      });
    }
    decrypt(algorithm, key, data) {
      return method('decrypt', 3, arguments, this, (what) => {
        cryptoKey(key, `${what}: key`);
        const bytes = bufferSource(data, `${what}: data`);
        const normalized = normalize(algorithm, 'decrypt');
        const keyData = checkKey(key, normalized, 'decrypt');
        return operation(normalized.name, 'decrypt')(normalized, keyData, bytes);
      });
    }
    sign(algorithm, key, data) {
      return method('sign', 3, arguments, this, (what) => {
        cryptoKey(key, `${what}: key`);
        const bytes = bufferSource(data, `${what}: data`);
        const normalized = normalize(algorithm, 'sign');
        const keyData = checkKey(key, normalized, 'sign');
        return operation(normalized.name, 'sign')(normalized, keyData, bytes);
      });
    }
    verify(algorithm, key, signature, data) {
      return method('verify', 4, arguments, this, (what) => {
        cryptoKey(key, `${what}: key`);
        const sig = bufferSource(signature, `${what}: signature`);
        const bytes = bufferSource(data, `${what}: data`);
        const normalized = normalize(algorithm, 'verify');
        const keyData = checkKey(key, normalized, 'verify');
        return operation(normalized.name, 'verify')(normalized, keyData, sig, bytes);
      });
    }
    digest(algorithm, data) {
      return method('digest', 2, arguments, this, (what) => {
        const bytes = bufferSource(data, `${what}: data`);
        const normalized = normalize(algorithm, 'digest');
        return call('digest', hashes.indexOf(normalized.name), bytes);
      });
    }
    generateKey(algorithm, extractable, keyUsages) {
      return method('generateKey', 3, arguments, this, (what) => {
        const usages = usageList(keyUsages, what);
        const normalized = normalize(algorithm, 'generateKey');
        return checkResult(operation(normalized.name, 'generateKey')(normalized, Boolean(extractable), usages));
      });
    }
    deriveKey(algorithm, baseKey, derivedKeyType, extractable, keyUsages) {
      return method('deriveKey', 5, arguments, this, (what) => {
        cryptoKey(baseKey, `${what}: baseKey`);
        const usages = usageList(keyUsages, what);
        const normalized = normalize(algorithm, 'deriveBits');
        const importAlgorithm = normalize(derivedKeyType, 'importKey');
        const lengthAlgorithm = normalize(derivedKeyType, 'getKeyLength');
        const keyData = checkKey(baseKey, normalized, 'deriveKey');
        const length = operation(lengthAlgorithm.name, 'getKeyLength')(lengthAlgorithm);
        const secret = operation(normalized.name, 'deriveBits')(normalized, keyData, length);
        return importKey('raw', new Uint8Array(secret), importAlgorithm, Boolean(extractable), usages);
      });
    }
    deriveBits(algorithm, baseKey, length = null) {
      return method('deriveBits', 2, arguments, this, (what) => {
        cryptoKey(baseKey, `${what}: baseKey`);
        const bits = length === null || length === undefined ? null : unsignedLong(length, `${what}: length`);
        const normalized = normalize(algorithm, 'deriveBits');
        const keyData = checkKey(baseKey, normalized, 'deriveBits');
        return operation(normalized.name, 'deriveBits')(normalized, keyData, bits);
      });
    }
    importKey(keyFormat, keyData, algorithm, extractable, keyUsages) {
      return method('importKey', 5, arguments, this, (what) => {
        const form = format(keyFormat, what);
        let input;
        if (form === 'jwk') {
          if (idl.bytes(keyData) !== null) throw new TypeError(`${what}: a 'jwk' key must be a JsonWebKey`);
          input = jsonWebKey(keyData);
        } else {
          input = bufferSource(keyData, `${what}: keyData`);
        }
        const usages = usageList(keyUsages, what);
        const normalized = normalize(algorithm, 'importKey');
        return importKey(form, input, normalized, Boolean(extractable), usages);
      });
    }
    exportKey(keyFormat, key) {
      return method('exportKey', 2, arguments, this, (what) => {
        const form = format(keyFormat, what);
        cryptoKey(key, `${what}: key`);
        operation(slots.get(key).algorithm.name, 'exportKey');
        if (!slots.get(key).extractable) throw dom('InvalidAccessError', 'the key is not extractable');
        return exportKey(form, key);
      });
    }
    wrapKey(keyFormat, key, wrappingKey, wrapAlgorithm) {
      return method('wrapKey', 4, arguments, this, (what) => {
        const form = format(keyFormat, what);
        cryptoKey(key, `${what}: key`);
        cryptoKey(wrappingKey, `${what}: wrappingKey`);
        let normalized;
        let op = 'wrapKey';
        try {
          normalized = normalize(wrapAlgorithm, 'wrapKey');
        } catch (error) {
          if (!(error instanceof DOMException && error.name === 'NotSupportedError')) throw error;
          normalized = normalize(wrapAlgorithm, 'encrypt');
          op = 'encrypt';
        }
        const wrapping = checkKey(wrappingKey, normalized, 'wrapKey');
        operation(slots.get(key).algorithm.name, 'exportKey');
        if (!slots.get(key).extractable) throw dom('InvalidAccessError', 'the key is not extractable');
        const exported = exportKey(form, key);
        const bytes = form === 'jwk' ? jwkBytes(exported) : new Uint8Array(exported);
        return operation(normalized.name, op)(normalized, wrapping, bytes);
      });
    }
    unwrapKey(keyFormat, wrappedKey, unwrappingKey, unwrapAlgorithm, unwrappedKeyAlgorithm, extractable, keyUsages) {
      return method('unwrapKey', 7, arguments, this, (what) => {
        const form = format(keyFormat, what);
        const wrapped = bufferSource(wrappedKey, `${what}: wrappedKey`);
        cryptoKey(unwrappingKey, `${what}: unwrappingKey`);
        const usages = usageList(keyUsages, what);
        let normalized;
        let op = 'unwrapKey';
        try {
          normalized = normalize(unwrapAlgorithm, 'unwrapKey');
        } catch (error) {
          if (!(error instanceof DOMException && error.name === 'NotSupportedError')) throw error;
          normalized = normalize(unwrapAlgorithm, 'decrypt');
          op = 'decrypt';
        }
        const importAlgorithm = normalize(unwrappedKeyAlgorithm, 'importKey');
        const unwrapping = checkKey(unwrappingKey, normalized, 'unwrapKey');
        const bytes = operation(normalized.name, op)(normalized, unwrapping, wrapped);
        const input = form === 'jwk' ? parseJwk(bytes) : new Uint8Array(bytes);
        return importKey(form, input, importAlgorithm, Boolean(extractable), usages);
      });
    }
  }
  idl.interface(SubtleCrypto, 'SubtleCrypto');
  const subtle = new SubtleCrypto(create);
  // An attribute of the Crypto interface (web.js made `crypto` its instance).
  Object.defineProperty(Object.getPrototypeOf(globalThis.crypto), 'subtle', {
    get: Object.getOwnPropertyDescriptor({ get subtle() { return subtle; } }, 'subtle').get,
    enumerable: true,
    configurable: true,
  });
})
