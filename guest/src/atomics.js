// Atomics (ECMAScript): the sandbox has one thread, so every operation is a
// plain read-modify-write of an integer typed array (over an ArrayBuffer or
// a SharedArrayBuffer), with the standard's argument checks and conversions.
// Atomics.wait cannot block (no other thread could wake it): it returns
// "not-equal" when the value differs and otherwise throws, as a browser's
// main thread does; waitAsync settles "timed-out" after its timeout on the
// sandbox's timers; notify wakes nobody and returns 0. QuickJS builds
// Atomics only with C atomics, which its WASI build leaves out. Evaluated
// once, at wizer time, after timers.js.
(function installAtomics() {
  'use strict';
  const setTimeout = globalThis.setTimeout;
  const TypedArray = Object.getPrototypeOf(Int8Array);
  const toStringTag = Object.getOwnPropertyDescriptor(TypedArray.prototype, Symbol.toStringTag).get;
  const lengthOf = Object.getOwnPropertyDescriptor(TypedArray.prototype, 'length').get;
  const bufferOf = Object.getOwnPropertyDescriptor(TypedArray.prototype, 'buffer').get;
  const isShared = typeof SharedArrayBuffer === 'function'
    ? (() => {
      const byteLength = Object.getOwnPropertyDescriptor(SharedArrayBuffer.prototype, 'byteLength').get;
      return (buffer) => { try { byteLength.call(buffer); return true; } catch (_) { return false; } };
    })()
    : () => false;
  const detached = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'detached').get;

  const INTEGER = ['Int8Array', 'Uint8Array', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
    'BigInt64Array', 'BigUint64Array'];
  const WAITABLE = ['Int32Array', 'BigInt64Array'];

  // ValidateIntegerTypedArray: the array's kind ('Int32Array', ...).
  function validate(array, waitable = false) {
    const kind = ArrayBuffer.isView(array) ? toStringTag.call(array) : undefined;
    if (kind === undefined || !(waitable ? WAITABLE : INTEGER).includes(kind)) {
      throw new TypeError(waitable
        ? 'Atomics: the array must be an Int32Array or a BigInt64Array'
        : 'Atomics: the array must be an integer typed array (not Float or Uint8Clamped)');
    }
    const buffer = bufferOf.call(array);
    if (!isShared(buffer) && detached.call(buffer)) throw new TypeError('Atomics: the array\'s buffer is detached');
    return kind;
  }

  // ValidateAtomicAccess: the index, checked against the length.
  function access(array, index) {
    const position = toIndex(index);
    if (position >= lengthOf.call(array)) throw new RangeError('Atomics: the index is out of range');
    return position;
  }

  function toIndex(value) {
    if (value === undefined) return 0;
    const integer = Math.trunc(Number(value)) || 0;
    if (integer < 0 || integer > Number.MAX_SAFE_INTEGER) throw new RangeError('Atomics: the index is out of range');
    return integer;
  }

  const isBig = (kind) => kind === 'BigInt64Array' || kind === 'BigUint64Array';
  const toValue = (kind, value) => (isBig(kind) ? BigInt(value) : Math.trunc(Number(value)) || 0);

  // Revalidates after conversions, which can run user code that detaches.
  function revalidate(array, index) {
    const buffer = bufferOf.call(array);
    if (!isShared(buffer) && detached.call(buffer)) throw new TypeError('Atomics: the array\'s buffer is detached');
    if (index >= lengthOf.call(array)) throw new RangeError('Atomics: the index is out of range');
  }

  function readModifyWrite(name, operate) {
    return { [name](typedArray, index, value) {
      const kind = validate(typedArray);
      const position = access(typedArray, index);
      const operand = toValue(kind, value);
      revalidate(typedArray, position);
      const old = typedArray[position];
      typedArray[position] = operate(old, operand);
      return old;
    } }[name];
  }

  const Atomics = {};
  const define = (name, value) => Object.defineProperty(Atomics, name, {
    value, writable: true, enumerable: false, configurable: true,
  });
  define('add', readModifyWrite('add', (a, b) => a + b));
  define('and', readModifyWrite('and', (a, b) => a & b));
  define('exchange', readModifyWrite('exchange', (a, b) => b));
  define('or', readModifyWrite('or', (a, b) => a | b));
  define('sub', readModifyWrite('sub', (a, b) => a - b));
  define('xor', readModifyWrite('xor', (a, b) => a ^ b));
  define('compareExchange', function compareExchange(typedArray, index, expectedValue, replacementValue) {
    const kind = validate(typedArray);
    const position = access(typedArray, index);
    const expected = toValue(kind, expectedValue);
    const replacement = toValue(kind, replacementValue);
    revalidate(typedArray, position);
    const old = typedArray[position];
    // Compared as the element type stores them (-1 and 255 in a Uint8Array).
    const probe = new typedArray.constructor(1);
    probe[0] = expected;
    if (old === probe[0]) typedArray[position] = replacement;
    return old;
  });
  define('load', function load(typedArray, index) {
    validate(typedArray);
    const position = access(typedArray, index);
    revalidate(typedArray, position);
    return typedArray[position];
  });
  define('store', function store(typedArray, index, value) {
    const kind = validate(typedArray);
    const position = access(typedArray, index);
    const stored = isBig(kind) ? BigInt(value) : (Math.trunc(Number(value)) || 0);
    revalidate(typedArray, position);
    typedArray[position] = stored;
    return stored;
  });
  define('isLockFree', function isLockFree(size) {
    const n = Math.trunc(Number(size)) || 0;
    return n === 1 || n === 2 || n === 4 || n === 8;
  });
  define('pause', function pause(iterationNumber = undefined) {
    if (iterationNumber !== undefined && (typeof iterationNumber !== 'number' || !Number.isInteger(iterationNumber))) {
      throw new TypeError('Atomics.pause: the iteration number must be an integer');
    }
  });
  define('notify', function notify(typedArray, index, count = undefined) {
    validate(typedArray, true);
    access(typedArray, index);
    // The count is converted (its valueOf runs) and unused.
    if (count !== undefined) Number(count);
    // No agent can be waiting: waits never block here.
    return 0;
  });

  // DoWait's checks and comparison; the timeout in ms (Infinity by default).
  function prepareWait(typedArray, index, value, timeout, method) {
    const kind = validate(typedArray, true);
    const buffer = bufferOf.call(typedArray);
    const position = access(typedArray, index);
    const expected = isBig(kind) ? BigInt.asIntN(64, BigInt(value)) : (Number(value) | 0);
    const ms = timeout === undefined ? Infinity : Number(timeout);
    const wait = Number.isNaN(ms) ? Infinity : Math.max(ms, 0);
    if (method === 'wait' && !isShared(buffer)) {
      throw new TypeError('Atomics.wait: the array must be over a SharedArrayBuffer');
    }
    return { equal: typedArray[position] === expected, wait };
  }
  define('wait', function wait(typedArray, index, value, timeout) {
    const { equal, wait: ms } = prepareWait(typedArray, index, value, timeout, 'wait');
    if (!equal) return 'not-equal';
    if (ms === 0) return 'timed-out';
    throw new TypeError('Atomics.wait: the sandbox has one thread, which cannot block (use Atomics.waitAsync)');
  });
  define('waitAsync', function waitAsync(typedArray, index, value, timeout) {
    const { equal, wait: ms } = prepareWait(typedArray, index, value, timeout, 'waitAsync');
    if (!equal) return { async: false, value: 'not-equal' };
    if (ms === 0) return { async: false, value: 'timed-out' };
    // Nothing can notify it: it settles when the timeout ends, or never.
    const promise = new Promise((resolve) => {
      if (ms !== Infinity) setTimeout(() => resolve('timed-out'), ms);
    });
    return { async: true, value: promise };
  });
  Object.defineProperty(Atomics, Symbol.toStringTag, { value: 'Atomics', configurable: true });
  Object.defineProperty(globalThis, 'Atomics', {
    value: Atomics, writable: true, enumerable: false, configurable: true,
  });
})
