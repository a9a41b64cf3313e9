// Helpers that give JS classes the shape Web IDL gives interfaces, shared by
// the web platform preludes (events.js, abort.js, url.js, clone.js,
// subtle.js, encoding.js). Evaluated once, at wizer time.
(function installIdl() {
  'use strict';
  const define = (target, name, value, enumerable = false) => Object.defineProperty(target, name, {
    value, writable: true, enumerable, configurable: true,
  });

  // Makes `Class` a global interface: its prototype's operations and
  // attributes enumerable (classes make them non-enumerable), a
  // Symbol.toStringTag of `name`, and the global binding.
  function iface(Class, name, { global = true } = {}) {
    for (const key of Reflect.ownKeys(Class.prototype)) {
      if (key === 'constructor' || typeof key === 'symbol') continue;
      const descriptor = Object.getOwnPropertyDescriptor(Class.prototype, key);
      if (!descriptor.enumerable && descriptor.configurable) {
        descriptor.enumerable = true;
        Object.defineProperty(Class.prototype, key, descriptor);
      }
    }
    for (const key of Reflect.ownKeys(Class)) {
      if (['length', 'name', 'prototype'].includes(key) || typeof key === 'symbol') continue;
      const descriptor = Object.getOwnPropertyDescriptor(Class, key);
      if (!descriptor.enumerable && descriptor.configurable && typeof descriptor.value === 'function') {
        descriptor.enumerable = true;
        Object.defineProperty(Class, key, descriptor);
      }
    }
    Object.defineProperty(Class.prototype, Symbol.toStringTag, { value: name, configurable: true });
    Object.defineProperty(Class.prototype, platform, { value: true });
    if (global) define(globalThis, name, Class);
    return Class;
  }

  // Marks the prototypes of the interfaces defined here: their instances
  // are platform objects, which structuredClone refuses.
  const platform = Symbol('platform object');
  const isPlatformObject = (value) => value[platform] === true;

  // A constant on the interface object and its prototype.
  function constant(Class, name, value) {
    const descriptor = { value, writable: false, enumerable: true, configurable: false };
    Object.defineProperty(Class, name, descriptor);
    Object.defineProperty(Class.prototype, name, descriptor);
  }

  // A dictionary argument: undefined and null are an empty dictionary,
  // anything else that is not an object is a TypeError.
  function dictionary(value, what) {
    if (value === undefined || value === null) return {};
    if (typeof value !== 'object' && typeof value !== 'function') {
      throw new TypeError(`${what}: the options argument must be an object`);
    }
    return value;
  }

  // A USVString: lone surrogates become U+FFFD.
  const usv = (value) => String(value).toWellFormed();

  // An interface whose objects only the platform creates.
  const illegal = (name) => new TypeError(`${name}: illegal constructor`);

  // A BufferSource as a Uint8Array over the same bytes (no copy); null when
  // it is neither an ArrayBuffer nor a view of one.
  function bytes(source) {
    if (source instanceof ArrayBuffer) return new Uint8Array(source);
    if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    if (typeof SharedArrayBuffer === 'function' && source instanceof SharedArrayBuffer) return new Uint8Array(source);
    return null;
  }

  return { define, interface: iface, constant, dictionary, usv, illegal, bytes, isPlatformObject };
})
