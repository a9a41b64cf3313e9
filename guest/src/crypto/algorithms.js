// The per-algorithm operations of crypto.subtle (subtle.js calls them with
// normalized algorithms and checked keys): generateKey, importKey,
// exportKey, sign, verify, encrypt, decrypt, deriveBits, getKeyLength,
// wrapKey, unwrapKey, as the Web Cryptography API defines them for each
// algorithm. `h` is subtle.js's helpers; the arithmetic is native.
// Evaluated once, at wizer time.
(function defineAlgorithms(h) {
  'use strict';
  const { call, dom, newKey, slots, encode64, decode64, checkJwk, hashes } = h;
  const curves = ['P-256', 'P-384', 'P-521'];
  const hashBits = [160, 256, 384, 512];
  const blockBits = [512, 512, 1024, 1024];

  const hashIndex = (algorithm) => hashes.indexOf(algorithm.name);
  const syntax = (message) => dom('SyntaxError', message);
  const data = (message) => dom('DataError', message);
  const operationError = (message) => dom('OperationError', message);
  const notSupported = (message) => dom('NotSupportedError', message);
  const access = (message) => dom('InvalidAccessError', message);

  function allow(usages, allowed, name) {
    for (const usage of usages) {
      if (!allowed.includes(usage)) throw syntax(`${name} keys cannot be used to ${usage}`);
    }
  }
  const only = (usages, allowed) => usages.filter((usage) => allowed.includes(usage));
  const pair = (publicKey, privateKey) => ({ publicKey, privateKey });

  // Keeps the first `bits` bits of a derived secret.
  function truncate(buffer, bits) {
    if (bits === null) return buffer;
    if (bits > buffer.byteLength * 8) throw operationError('the length is more than the derived secret');
    const bytes = new Uint8Array(buffer, 0, Math.ceil(bits / 8)).slice();
    if (bits % 8 !== 0) bytes[bytes.length - 1] &= 0xff << (8 - (bits % 8));
    return bytes.buffer;
  }

  // ---- AES ----

  function aes(name, usagesAllowed, suffix, crypt) {
    const jwkAlg = (bits) => `A${bits}${suffix}`;
    return {
      generateKey(algorithm, extractable, usages) {
        allow(usages, usagesAllowed, name);
        if (![128, 192, 256].includes(algorithm.length)) throw operationError('the AES key length must be 128, 192 or 256');
        const material = call('generateSecret', algorithm.length / 8);
        return newKey('secret', extractable, { name, length: algorithm.length }, usages, material);
      },
      importKey(format, keyData, algorithm, extractable, usages) {
        allow(usages, usagesAllowed, name);
        let bytes;
        if (format === 'raw') {
          bytes = keyData;
        } else if (format === 'jwk') {
          checkJwk(keyData, 'oct', 'enc', usages, extractable);
          bytes = decode64(keyData.k, 'k');
          if (keyData.alg !== undefined && keyData.alg !== jwkAlg(bytes.length * 8)) {
            throw data(`the JWK's 'alg' does not match a ${bytes.length * 8}-bit ${name} key`);
          }
        } else {
          throw notSupported(`${name} keys cannot be imported as ${format}`);
        }
        if (![16, 24, 32].includes(bytes.length)) throw data('the AES key length must be 128, 192 or 256 bits');
        return newKey('secret', extractable, { name, length: bytes.length * 8 }, usages, call('secret', bytes));
      },
      exportKey(format, key, keyData) {
        const bytes = call('secretBytes', keyData.material);
        if (format === 'raw') return bytes;
        if (format === 'jwk') return { kty: 'oct', k: encode64(bytes), alg: jwkAlg(keyData.algorithm.length) };
        throw notSupported(`${name} keys cannot be exported as ${format}`);
      },
      getKeyLength(algorithm) {
        if (![128, 192, 256].includes(algorithm.length)) throw operationError('the AES key length must be 128, 192 or 256');
        return algorithm.length;
      },
      ...crypt,
    };
  }

  const aesCipher = ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'];
  function gcm(encrypt) {
    return (algorithm, keyData, bytes) => {
      const tagLength = algorithm.tagLength ?? 128;
      if (![32, 64, 96, 104, 112, 120, 128].includes(tagLength)) throw operationError('AES-GCM: bad tagLength');
      const aad = algorithm.additionalData ?? new Uint8Array(0);
      return call('aesGcm', encrypt, keyData.material, algorithm.iv, aad, tagLength / 8, bytes);
    };
  }
  function cbc(encrypt) {
    return (algorithm, keyData, bytes) => {
      if (algorithm.iv.length !== 16) throw operationError('AES-CBC: the iv must be 16 bytes');
      return call('aesCbc', encrypt, keyData.material, algorithm.iv, bytes);
    };
  }
  function ctr(algorithm, keyData, bytes) {
    if (algorithm.counter.length !== 16) throw operationError('AES-CTR: the counter must be 16 bytes');
    if (algorithm.length === 0 || algorithm.length > 128) throw operationError('AES-CTR: the length must be 1 to 128');
    return call('aesCtr', keyData.material, algorithm.counter, algorithm.length, bytes);
  }
  function kw(wrap) {
    return (algorithm, keyData, bytes) => {
      if (bytes.length % 8 !== 0) throw operationError('AES-KW: the data must be a multiple of 64 bits');
      return call('aesKw', wrap, keyData.material, bytes);
    };
  }

  // ---- HMAC, PBKDF2, HKDF ----

  const hmacAlg = ['HS1', 'HS256', 'HS384', 'HS512'];
  const hmac = {
    generateKey(algorithm, extractable, usages) {
      allow(usages, ['sign', 'verify'], 'HMAC');
      const index = hashIndex(algorithm.hash);
      let length = algorithm.length;
      if (length === undefined) length = blockBits[index];
      else if (length === 0) throw operationError('HMAC: the length must not be zero');
      if (length > 65536) throw operationError('HMAC: isobox makes keys of at most 65536 bits');
      const material = call('generateSecret', Math.ceil(length / 8));
      return newKey('secret', extractable, { name: 'HMAC', length, hash: { name: algorithm.hash.name } }, usages, material);
    },
    importKey(format, keyData, algorithm, extractable, usages) {
      allow(usages, ['sign', 'verify'], 'HMAC');
      const index = hashIndex(algorithm.hash);
      let bytes;
      if (format === 'raw') {
        bytes = keyData;
      } else if (format === 'jwk') {
        checkJwk(keyData, 'oct', 'sig', usages, extractable);
        bytes = decode64(keyData.k, 'k');
        if (keyData.alg !== undefined && keyData.alg !== hmacAlg[index]) throw data("the JWK's 'alg' does not match the hash");
      } else {
        throw notSupported(`HMAC keys cannot be imported as ${format}`);
      }
      let length = bytes.length * 8;
      if (length === 0) throw data('HMAC: the key is empty');
      if (algorithm.length !== undefined) {
        if (algorithm.length > length || algorithm.length <= length - 8) throw data('HMAC: the length does not match the key');
        length = algorithm.length;
      }
      return newKey('secret', extractable, { name: 'HMAC', length, hash: { name: algorithm.hash.name } }, usages, call('secret', bytes));
    },
    exportKey(format, key, keyData) {
      const bytes = call('secretBytes', keyData.material);
      if (format === 'raw') return bytes;
      if (format === 'jwk') return { kty: 'oct', k: encode64(bytes), alg: hmacAlg[hashIndex(keyData.algorithm.hash)] };
      throw notSupported(`HMAC keys cannot be exported as ${format}`);
    },
    sign(algorithm, keyData, bytes) {
      return call('hmacSign', keyData.material, hashIndex(keyData.algorithm.hash), bytes);
    },
    verify(algorithm, keyData, signature, bytes) {
      return call('hmacVerify', keyData.material, hashIndex(keyData.algorithm.hash), bytes, signature);
    },
    getKeyLength(algorithm) {
      if (algorithm.length === undefined) return blockBits[hashIndex(algorithm.hash)];
      if (algorithm.length === 0) throw new TypeError('HMAC: the length must not be zero');
      return algorithm.length;
    },
  };

  function kdf(name, derive) {
    return {
      importKey(format, keyData, algorithm, extractable, usages) {
        if (format !== 'raw') throw notSupported(`${name} keys can only be imported as raw`);
        allow(usages, ['deriveKey', 'deriveBits'], name);
        if (extractable) throw syntax(`${name} keys cannot be extractable`);
        return newKey('secret', false, { name }, usages, call('secret', keyData));
      },
      deriveBits(algorithm, keyData, length) {
        if (length === null || length % 8 !== 0) throw operationError(`${name}: the length must be a multiple of 8`);
        // The standard now lets HKDF and PBKDF2 derive zero bits; PBKDF2
        // refuses them still in browsers and in the WPT copy run here.
        if (length === 0 && name === 'PBKDF2') throw operationError('PBKDF2: the length must not be zero');
        if (length === 0) return new ArrayBuffer(0);
        return derive(algorithm, keyData, length);
      },
      getKeyLength() {
        return null;
      },
    };
  }
  const pbkdf2 = kdf('PBKDF2', (algorithm, keyData, length) => {
    if (algorithm.iterations === 0) throw operationError('PBKDF2: the iterations must not be zero');
    return call('pbkdf2', keyData.material, hashIndex(algorithm.hash), algorithm.salt, algorithm.iterations, length / 8);
  });
  const hkdf = kdf('HKDF', (algorithm, keyData, length) =>
    call('hkdf', keyData.material, hashIndex(algorithm.hash), algorithm.salt, algorithm.info, length / 8));

  // ---- RSA ----

  const rsaAlgs = {
    'RSASSA-PKCS1-v1_5': ['RS1', 'RS256', 'RS384', 'RS512'],
    'RSA-PSS': ['PS1', 'PS256', 'PS384', 'PS512'],
    'RSA-OAEP': ['RSA-OAEP', 'RSA-OAEP-256', 'RSA-OAEP-384', 'RSA-OAEP-512'],
  };

  function rsaAlgorithm(name, hash, material) {
    const [modulusLength, exponent] = call('rsaInfo', material);
    return { name, modulusLength, publicExponent: new Uint8Array(exponent), hash: { name: hash.name } };
  }

  function rsa(name, publicUsages, privateUsages, use, ops) {
    const all = [...publicUsages, ...privateUsages];
    return {
      generateKey(algorithm, extractable, usages) {
        allow(usages, all, name);
        const [privateMaterial, publicMaterial] = call('rsaGenerate', algorithm.modulusLength, algorithm.publicExponent);
        const keyAlgorithm = rsaAlgorithm(name, algorithm.hash, publicMaterial);
        return pair(
          newKey('public', true, keyAlgorithm, only(usages, publicUsages), publicMaterial),
          newKey('private', extractable, keyAlgorithm, only(usages, privateUsages), privateMaterial),
        );
      },
      importKey(format, keyData, algorithm, extractable, usages) {
        let material;
        let type;
        if (format === 'spki' || format === 'pkcs8') {
          type = format === 'spki' ? 'public' : 'private';
          allow(usages, type === 'public' ? publicUsages : privateUsages, `${name} ${type}`);
          material = call('rsaImport', format, keyData);
        } else if (format === 'jwk') {
          type = keyData.d !== undefined ? 'private' : 'public';
          allow(usages, type === 'public' ? publicUsages : privateUsages, `${name} ${type}`);
          checkJwk(keyData, 'RSA', use, usages, extractable);
          if (keyData.alg !== undefined) {
            const index = rsaAlgs[name].indexOf(keyData.alg);
            if (index < 0 || hashes[index] !== algorithm.hash.name) throw data("the JWK's 'alg' does not match the hash");
          }
          if (keyData.oth !== undefined) throw notSupported('multi-prime RSA keys are not supported');
          const members = type === 'public' ? ['n', 'e'] : ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'];
          material = call('rsaImportJwk', members.map((member) => decode64(keyData[member], member)));
        } else {
          throw notSupported(`${name} keys cannot be imported as ${format}`);
        }
        return newKey(type, extractable, rsaAlgorithm(name, algorithm.hash, material), usages, material);
      },
      exportKey(format, key, keyData) {
        if (format === 'spki' || format === 'pkcs8') {
          if (keyData.type !== (format === 'spki' ? 'public' : 'private')) throw access(`a ${keyData.type} key cannot be exported as ${format}`);
          return call('rsaExport', keyData.material, format);
        }
        if (format !== 'jwk') throw notSupported(`${name} keys cannot be exported as ${format}`);
        const parts = call('rsaJwk', keyData.material);
        const jwk = { kty: 'RSA', alg: rsaAlgs[name][hashIndex(keyData.algorithm.hash)] };
        ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'].forEach((member, index) => {
          if (parts[index] !== undefined) jwk[member] = encode64(parts[index]);
        });
        return jwk;
      },
      ...ops,
    };
  }

  function rsaSign(pss) {
    return (algorithm, keyData, bytes) => {
      if (keyData.type !== 'private') throw access('signing needs a private key');
      return call('rsaSign', pss, keyData.material, hashIndex(keyData.algorithm.hash), algorithm.saltLength ?? 0, bytes);
    };
  }
  function rsaVerify(pss) {
    return (algorithm, keyData, signature, bytes) => {
      if (keyData.type !== 'public') throw access('verifying needs a public key');
      return call('rsaVerify', pss, keyData.material, hashIndex(keyData.algorithm.hash), algorithm.saltLength ?? 0, bytes, signature);
    };
  }
  function oaep(encrypt) {
    return (algorithm, keyData, bytes) => {
      if (keyData.type !== (encrypt ? 'public' : 'private')) throw access(`RSA-OAEP needs a ${encrypt ? 'public' : 'private'} key`);
      const label = algorithm.label ?? new Uint8Array(0);
      return call('rsaOaep', encrypt, keyData.material, hashIndex(keyData.algorithm.hash), label, bytes);
    };
  }

  // ---- EC ----

  function curveIndex(namedCurve) {
    const index = curves.indexOf(namedCurve);
    if (index < 0) throw notSupported(`the curve ${namedCurve} is not supported`);
    return index;
  }

  function ec(name, publicUsages, privateUsages, use, jwkAlgs, ops) {
    const all = [...publicUsages, ...privateUsages];
    return {
      generateKey(algorithm, extractable, usages) {
        allow(usages, all, name);
        const curve = curveIndex(algorithm.namedCurve);
        const [privateMaterial, publicMaterial] = call('ecGenerate', curve);
        const keyAlgorithm = { name, namedCurve: curves[curve] };
        return pair(
          newKey('public', true, keyAlgorithm, only(usages, publicUsages), publicMaterial),
          newKey('private', extractable, keyAlgorithm, only(usages, privateUsages), privateMaterial),
        );
      },
      importKey(format, keyData, algorithm, extractable, usages) {
        const curve = curveIndex(algorithm.namedCurve);
        let type;
        let material;
        if (format === 'raw' || format === 'spki' || format === 'pkcs8') {
          type = format === 'pkcs8' ? 'private' : 'public';
          allow(usages, type === 'public' ? publicUsages : privateUsages, `${name} ${type}`);
          material = call('ecImport', curve, format, keyData);
        } else if (format === 'jwk') {
          type = keyData.d !== undefined ? 'private' : 'public';
          allow(usages, type === 'public' ? publicUsages : privateUsages, `${name} ${type}`);
          checkJwk(keyData, 'EC', use, usages, extractable);
          if (keyData.crv !== curves[curve]) throw data("the JWK's 'crv' does not match the namedCurve");
          if (jwkAlgs && keyData.alg !== undefined && keyData.alg !== jwkAlgs[curve]) throw data("the JWK's 'alg' does not match the curve");
          const x = decode64(keyData.x, 'x');
          const y = decode64(keyData.y, 'y');
          material = type === 'public'
            ? call('ecImportJwk', curve, x, y, undefined)
            : call('ecImportJwk', curve, x, y, decode64(keyData.d, 'd'));
        } else {
          throw notSupported(`${name} keys cannot be imported as ${format}`);
        }
        return newKey(type, extractable, { name, namedCurve: curves[curve] }, usages, material);
      },
      exportKey(format, key, keyData) {
        if (format === 'raw' || format === 'spki' || format === 'pkcs8') {
          if (keyData.type !== (format === 'pkcs8' ? 'private' : 'public')) throw access(`a ${keyData.type} key cannot be exported as ${format}`);
          return call('ecExport', keyData.material, format);
        }
        if (format !== 'jwk') throw notSupported(`${name} keys cannot be exported as ${format}`);
        const [x, y, d] = call('ecJwk', keyData.material);
        const jwk = { kty: 'EC', crv: keyData.algorithm.namedCurve, x: encode64(x), y: encode64(y) };
        if (d !== undefined) jwk.d = encode64(d);
        return jwk;
      },
      ...ops,
    };
  }

  // The public key of an ECDH or X25519 derivation, checked against the base key.
  function peer(algorithm, keyData) {
    const other = slots.get(algorithm.public);
    if (other.type !== 'public') throw access('the public member must be a public key');
    if (other.algorithm.name !== keyData.algorithm.name) throw access('the public key is for another algorithm');
    if (other.algorithm.namedCurve !== keyData.algorithm.namedCurve) throw access('the public key is on another curve');
    if (keyData.type !== 'private') throw access('the base key must be a private key');
    return other;
  }

  // ---- Ed25519 and X25519 ----

  function okp(name, index, publicUsages, privateUsages, use, ops) {
    const all = [...publicUsages, ...privateUsages];
    return {
      generateKey(algorithm, extractable, usages) {
        allow(usages, all, name);
        const [privateMaterial, publicMaterial] = call('okpGenerate', index);
        return pair(
          newKey('public', true, { name }, only(usages, publicUsages), publicMaterial),
          newKey('private', extractable, { name }, only(usages, privateUsages), privateMaterial),
        );
      },
      importKey(format, keyData, algorithm, extractable, usages) {
        let type;
        let material;
        if (format === 'raw' || format === 'spki' || format === 'pkcs8') {
          type = format === 'pkcs8' ? 'private' : 'public';
          allow(usages, type === 'public' ? publicUsages : privateUsages, `${name} ${type}`);
          material = call('okpImport', index, format, keyData);
        } else if (format === 'jwk') {
          type = keyData.d !== undefined ? 'private' : 'public';
          allow(usages, type === 'public' ? publicUsages : privateUsages, `${name} ${type}`);
          checkJwk(keyData, 'OKP', use, usages, extractable);
          if (keyData.crv !== name) throw data(`the JWK's 'crv' must be '${name}'`);
          const x = decode64(keyData.x, 'x');
          material = type === 'public'
            ? call('okpImportJwk', index, x, undefined)
            : call('okpImportJwk', index, x, decode64(keyData.d, 'd'));
        } else {
          throw notSupported(`${name} keys cannot be imported as ${format}`);
        }
        return newKey(type, extractable, { name }, usages, material);
      },
      exportKey(format, key, keyData) {
        if (format === 'raw' || format === 'spki' || format === 'pkcs8') {
          if (keyData.type !== (format === 'pkcs8' ? 'private' : 'public')) throw access(`a ${keyData.type} key cannot be exported as ${format}`);
          return call('okpExport', keyData.material, format);
        }
        if (format !== 'jwk') throw notSupported(`${name} keys cannot be exported as ${format}`);
        const [x, d] = call('okpJwk', keyData.material);
        const jwk = { kty: 'OKP', crv: name, x: encode64(x) };
        if (d !== undefined) jwk.d = encode64(d);
        return jwk;
      },
      ...ops,
    };
  }

  // ---- the table ----

  return {
    'AES-GCM': aes('AES-GCM', aesCipher, 'GCM', { encrypt: gcm(true), decrypt: gcm(false) }),
    'AES-CBC': aes('AES-CBC', aesCipher, 'CBC', { encrypt: cbc(true), decrypt: cbc(false) }),
    'AES-CTR': aes('AES-CTR', aesCipher, 'CTR', { encrypt: ctr, decrypt: ctr }),
    'AES-KW': aes('AES-KW', ['wrapKey', 'unwrapKey'], 'KW', { wrapKey: kw(true), unwrapKey: kw(false) }),
    HMAC: hmac,
    PBKDF2: pbkdf2,
    HKDF: hkdf,
    'RSASSA-PKCS1-v1_5': rsa('RSASSA-PKCS1-v1_5', ['verify'], ['sign'], 'sig', { sign: rsaSign(false), verify: rsaVerify(false) }),
    'RSA-PSS': rsa('RSA-PSS', ['verify'], ['sign'], 'sig', { sign: rsaSign(true), verify: rsaVerify(true) }),
    'RSA-OAEP': rsa('RSA-OAEP', ['encrypt', 'wrapKey'], ['decrypt', 'unwrapKey'], 'enc', { encrypt: oaep(true), decrypt: oaep(false) }),
    ECDSA: ec('ECDSA', ['verify'], ['sign'], 'sig', ['ES256', 'ES384', 'ES512'], {
      sign(algorithm, keyData, bytes) {
        if (keyData.type !== 'private') throw access('signing needs a private key');
        return call('ecSign', keyData.material, hashIndex(algorithm.hash), bytes);
      },
      verify(algorithm, keyData, signature, bytes) {
        if (keyData.type !== 'public') throw access('verifying needs a public key');
        return call('ecVerify', keyData.material, hashIndex(algorithm.hash), bytes, signature);
      },
    }),
    ECDH: ec('ECDH', [], ['deriveKey', 'deriveBits'], 'enc', null, {
      deriveBits(algorithm, keyData, length) {
        const other = peer(algorithm, keyData);
        return truncate(call('ecdh', keyData.material, other.material), length);
      },
    }),
    Ed25519: okp('Ed25519', 0, ['verify'], ['sign'], 'sig', {
      sign(algorithm, keyData, bytes) {
        if (keyData.type !== 'private') throw access('signing needs a private key');
        return call('edSign', keyData.material, bytes);
      },
      verify(algorithm, keyData, signature, bytes) {
        if (keyData.type !== 'public') throw access('verifying needs a public key');
        return call('edVerify', keyData.material, bytes, signature);
      },
    }),
    X25519: okp('X25519', 1, [], ['deriveKey', 'deriveBits'], 'enc', {
      deriveBits(algorithm, keyData, length) {
        const other = peer(algorithm, keyData);
        return truncate(call('x25519', keyData.material, other.material), length);
      },
    }),
  };
})
