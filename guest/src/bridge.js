// env: the capabilities granted to the run. Evaluated once, at wizer time.
// `native.call(binding, method, args)` (guest/src/bridge.rs) starts a call on
// the host and returns its id; the event loop calls the returned
// `deliver(id, ok, value)` when it finishes. `makeEnv` builds a run's `env`.
(function installBridge(native) {
  'use strict';
  const pending = new Map(); // call id -> { resolve, reject }

  const makeEnv = (bindings) => {
    const env = Object.create(null);
    for (const { name, methods } of bindings) {
      const binding = Object.create(null);
      for (const method of methods) {
        const call = {
          [method](...args) {
            return new Promise((resolve, reject) => {
              const id = native.call(name, method, args);
              pending.set(id, { resolve, reject });
            });
          },
        }[method];
        Object.defineProperty(binding, method, { value: call, enumerable: true });
      }
      Object.defineProperty(env, name, { value: Object.freeze(binding), enumerable: true });
    }
    return Object.freeze(env);
  };

  const deliver = (id, ok, value) => {
    const waiter = pending.get(id);
    if (waiter === undefined) return;
    pending.delete(id);
    if (ok) waiter.resolve(value);
    else waiter.reject(value);
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

  return { makeEnv, deliver, makeError };
})
