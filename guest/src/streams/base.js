// WHATWG Streams: ReadableStream (default and byte streams, readers,
// controllers, tee, pipeTo, pipeThrough, async iteration, from),
// WritableStream, TransformStream, the two queuing strategies,
// TextEncoderStream, TextDecoderStream, CompressionStream and
// DecompressionStream. Evaluated once, at wizer time.
//
// The abstract operations follow the standard's algorithms, step for step
// where the order is observable. Every platform object is a thin shell: its
// internal slots live in a record kept in `slots` (a WeakMap), which user
// code cannot reach. Records point at records; `pub` is a record's object.
//
// `native` (guest/src/streams.rs): newCodec(kind, format) makes a
// compressor ('compress') or decompressor ('decompress') for 'gzip',
// 'deflate' or 'deflate-raw'; codecWrite(codec, bytes) and
// codecFinish(codec) give the output bytes so far (a Uint8Array) and throw a
// TypeError for corrupt, truncated or trailing input.
//
// Returns the helpers fetch.js builds bodies with.
//
// The prelude is one function in six files, joined in this order by
// guest/src/streams.rs: base.js (this: captured intrinsics, internal slots,
// promises, Web IDL conversions, queues), readable.js, readable_ops.js,
// writable.js, transform.js and platform.js (which closes the function).
(function installStreams(idl, native) {
  'use strict';
  // Captured now: code in a run may replace the globals.
  const PromiseCtor = Promise;
  const promiseThen = Promise.prototype.then;
  const promiseResolve = Promise.resolve.bind(Promise);
  const promiseReject = Promise.reject.bind(Promise);
  const promiseAll = Promise.all.bind(Promise);
  const queueMicrotask = globalThis.queueMicrotask;
  const structuredClone = globalThis.structuredClone;
  const AbortControllerCtor = globalThis.AbortController;
  const AbortSignalCtor = globalThis.AbortSignal;
  const abortControllerAbort = AbortControllerCtor.prototype.abort;
  const abortControllerSignal = Object.getOwnPropertyDescriptor(AbortControllerCtor.prototype, 'signal').get;
  const signalAborted = Object.getOwnPropertyDescriptor(AbortSignalCtor.prototype, 'aborted').get;
  const signalReason = Object.getOwnPropertyDescriptor(AbortSignalCtor.prototype, 'reason').get;
  const addListener = globalThis.EventTarget.prototype.addEventListener;
  const removeListener = globalThis.EventTarget.prototype.removeEventListener;
  const TextEncoderCtor = globalThis.TextEncoder;
  const TextDecoderCtor = globalThis.TextDecoder;
  const textDecode = TextDecoderCtor.prototype.decode;
  const ArrayBufferCtor = ArrayBuffer;
  const arrayBufferSlice = ArrayBuffer.prototype.slice;
  const arrayBufferTransfer = ArrayBuffer.prototype.transfer;
  const byteLengthOf = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength').get;
  const detachedOf = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'detached');
  const TypedArray = Object.getPrototypeOf(Uint8Array);
  const typedArrayName = Object.getOwnPropertyDescriptor(TypedArray.prototype, Symbol.toStringTag).get;
  const AsyncIteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf(async function* () {}).prototype);
  const noop = () => {};
  // Function.prototype.call and apply may be replaced by user code; these
  // may not.
  const reflectApply = Reflect.apply;
  const call = (f, thisArg, ...args) => reflectApply(f, thisArg, args);

  const slots = new WeakMap();
  const slot = (object, kind) => {
    if ((typeof object !== 'object' && typeof object !== 'function') || object === null) return undefined;
    const record = slots.get(object);
    return record !== undefined && record.kind === kind ? record : undefined;
  };
  const brand = (object, kind, what) => {
    const record = slot(object, kind);
    if (record === undefined) throw new TypeError(`${what}: 'this' is not a ${kind}`);
    return record;
  };
  // A platform object of class `Class` for `record`.
  const shell = (Class, record) => {
    const object = Object.create(Class.prototype);
    record.pub = object;
    slots.set(object, record);
    return object;
  };

  // ---- Promises (not interceptable by patched then/Promise) ---------------
  const then = (promise, onFulfilled, onRejected) => call(promiseThen, promise, onFulfilled, onRejected);
  const setHandled = (promise) => { call(promiseThen, promise, undefined, noop); };
  const resolvedWith = (value) => promiseResolve(value);
  const rejectedWith = (reason) => {
    const promise = promiseReject(reason);
    return promise;
  };
  // Reacts to `promise` without creating an unhandled rejection.
  const upon = (promise, onFulfilled, onRejected) => {
    setHandled(then(promise, onFulfilled, onRejected));
  };
  // A promise with its resolving functions and its state, as the standard's
  // promise slots need ("if promise is pending").
  function deferred() {
    const record = { promise: undefined, resolve: undefined, reject: undefined, state: 'pending' };
    record.promise = new PromiseCtor((resolve, reject) => {
      record.resolve = (value) => {
        if (record.state !== 'pending') return;
        record.state = 'fulfilled';
        resolve(value);
      };
      record.reject = (reason) => {
        if (record.state !== 'pending') return;
        record.state = 'rejected';
        reject(reason);
      };
    });
    return record;
  }
  const resolvedDeferred = (value) => {
    const d = deferred();
    d.resolve(value);
    return d;
  };
  const rejectedDeferred = (reason) => {
    const d = deferred();
    d.reject(reason);
    setHandled(d.promise);
    return d;
  };
  // Calls `method` of `object` (if any) and gives its result as a promise.
  const promiseCall = (method, object, args) => {
    if (method === undefined) return resolvedWith(undefined);
    try {
      return resolvedWith(reflectApply(method, object, args));
    } catch (error) {
      return rejectedWith(error);
    }
  };

  // ---- Web IDL conversions -------------------------------------------------
  const isObject = (value) => (typeof value === 'object' && value !== null) || typeof value === 'function';
  const dict = (value, what) => {
    if (value === undefined || value === null) return {};
    if (!isObject(value)) throw new TypeError(`${what} must be an object`);
    return value;
  };
  const callback = (value, what) => {
    if (value === undefined) return undefined;
    if (typeof value !== 'function') throw new TypeError(`${what} must be a function`);
    return value;
  };
  // [EnforceRange] unsigned long long.
  const enforceRange = (value, what) => {
    const number = Number(value);
    if (!Number.isFinite(number)) throw new TypeError(`${what} must be a finite number`);
    const integer = Math.trunc(number);
    if (integer < 0 || integer > Number.MAX_SAFE_INTEGER) throw new TypeError(`${what} is out of range`);
    return integer === 0 ? 0 : integer;
  };
  const isDetached = (buffer) => (detachedOf !== undefined ? call(detachedOf.get, buffer) : false);
  const isArrayBufferView = (value) => ArrayBuffer.isView(value);
  const viewName = (view) => call(typedArrayName, view);
  // TransferArrayBuffer: a new ArrayBuffer with the bytes; the old one
  // detached.
  const transferBuffer = (buffer) => {
    if (isDetached(buffer)) throw new TypeError('the ArrayBuffer is detached');
    return call(arrayBufferTransfer, buffer);
  };
  const bufferByteLength = (buffer) => call(byteLengthOf, buffer);
  const copyBytes = (to, toIndex, from, fromIndex, count) => {
    new Uint8Array(to, toIndex, count).set(new Uint8Array(from, fromIndex, count));
  };
  const elementSizeOf = (view) => (viewName(view) === undefined ? 1 : view.BYTES_PER_ELEMENT);
  const viewConstructorOf = (view) => {
    const name = viewName(view);
    return name === undefined ? DataView : globalThis[name] || view.constructor;
  };

  // ---- Queuing strategies and queues --------------------------------------
  const strategyDict = (strategy) => {
    const init = dict(strategy, 'the queuing strategy');
    const highWaterMark = init.highWaterMark;
    const size = init.size;
    return {
      highWaterMark: highWaterMark === undefined ? undefined : Number(highWaterMark),
      size: callback(size, 'the queuing strategy\'s size'),
    };
  };
  const extractHighWaterMark = (strategy, fallback) => {
    if (strategy.highWaterMark === undefined) return fallback;
    const hwm = strategy.highWaterMark;
    if (Number.isNaN(hwm) || hwm < 0) throw new RangeError('the highWaterMark must be a non-negative number');
    return hwm;
  };
  const extractSizeAlgorithm = (strategy) => {
    const size = strategy.size;
    if (size === undefined) return () => 1;
    return (chunk) => call(size, undefined, chunk);
  };
  const resetQueue = (c) => {
    c.queue = [];
    c.queueTotalSize = 0;
  };
  const dequeueValue = (c) => {
    const pair = c.queue.shift();
    c.queueTotalSize -= pair.size;
    if (c.queueTotalSize < 0) c.queueTotalSize = 0;
    return pair.value;
  };
  const enqueueValueWithSize = (c, value, size) => {
    if (typeof size !== 'number' || Number.isNaN(size) || size < 0 || size === Infinity) {
      throw new RangeError('the chunk size must be a finite, non-negative number');
    }
    c.queue.push({ value, size });
    c.queueTotalSize += size;
  };

