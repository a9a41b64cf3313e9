// crypto.subtle: a SubtleCrypto with digest(algorithm, data) for SHA-1,
// SHA-256, SHA-384 and SHA-512 (Web Crypto API). `digest(index, bytes)`
// hashes a Uint8Array with the algorithm at that index of `names` and
// returns an ArrayBuffer (subtle.rs). Evaluated once, at wizer time.
(function installSubtle(idl, digest) {
  'use strict';
  const names = ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'];
  const create = Symbol('create');

  // The standard's "normalize an algorithm" for the digest operation.
  function normalize(algorithm) {
    let name;
    if (typeof algorithm === 'string') {
      name = algorithm;
    } else if (algorithm !== null && (typeof algorithm === 'object' || typeof algorithm === 'function')) {
      if (algorithm.name === undefined) throw new TypeError("SubtleCrypto.digest: the algorithm has no 'name'");
      name = String(algorithm.name);
    } else {
      name = String(algorithm);
    }
    const upper = name.replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 32));
    const index = names.indexOf(upper);
    if (index < 0) {
      throw new DOMException(`SubtleCrypto.digest: the algorithm ${name} is not supported`, 'NotSupportedError');
    }
    return index;
  }

  class SubtleCrypto {
    constructor(token = undefined) {
      if (token !== create) throw idl.illegal('SubtleCrypto');
    }
    digest(algorithm, data) {
      try {
        if (!(this instanceof SubtleCrypto)) throw new TypeError("SubtleCrypto.digest: 'this' is not a SubtleCrypto");
        if (arguments.length < 2) throw new TypeError('SubtleCrypto.digest: 2 arguments required');
        const index = normalize(algorithm);
        const bytes = idl.bytes(data);
        if (bytes === null) throw new TypeError('SubtleCrypto.digest: the data must be an ArrayBuffer or a view of one');
        return Promise.resolve(digest(index, bytes));
      } catch (error) {
        return Promise.reject(error);
      }
    }
  }
  idl.interface(SubtleCrypto, 'SubtleCrypto');
  const subtle = new SubtleCrypto(create);
  Object.defineProperty(globalThis.crypto, 'subtle', {
    get: Object.getOwnPropertyDescriptor({ get subtle() { return subtle; } }, 'subtle').get,
    enumerable: true,
    configurable: true,
  });
})
