// env: the capabilities granted to the run. Evaluated once, at wizer time.
// `native.call(binding, method, args, resolve, reject)` (guest/src/bridge.rs)
// starts a call on the host and settles the promise, at once when the host
// finished it at once, else from the event loop. `makeEnv` builds a run's
// `env`; `makeError` the error a failed call rejects with.
(function installBridge(native) {
  'use strict';

  const makeEnv = (bindings) => {
    const env = Object.create(null);
    for (const { name, methods } of bindings) {
      const binding = Object.create(null);
      for (const method of methods) {
        const call = {
          [method](...args) {
            return new Promise((resolve, reject) => native.call(name, method, args, resolve, reject));
          },
        }[method];
        Object.defineProperty(binding, method, { value: call, enumerable: true });
      }
      Object.defineProperty(env, name, { value: Object.freeze(binding), enumerable: true });
    }
    return Object.freeze(env);
  };

  // An error from the host: a JS error of the right name carrying the WIT
  // error value (if any) as `value`.
  const makeError = (name, message, hasValue, value) => {
    const Ctor = { TypeError, RangeError }[name] || Error;
    const error = new Ctor(message);
    if (Ctor === Error && name !== 'Error') {
      Object.defineProperty(error, 'name', { value: name, writable: true, configurable: true });
    }
    if (hasValue) Object.defineProperty(error, 'value', { value, writable: true, enumerable: true, configurable: true });
    return error;
  };

  return { makeEnv, makeError };
})
