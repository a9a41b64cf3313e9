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

  // ==== ReadableStream ======================================================
  const RS = 'ReadableStream';
  const RSDR = 'ReadableStreamDefaultReader';
  const RSBR = 'ReadableStreamBYOBReader';
  const RSDC = 'ReadableStreamDefaultController';
  const RBSC = 'ReadableByteStreamController';
  const BYOBREQ = 'ReadableStreamBYOBRequest';
  const WS = 'WritableStream';
  const WSDW = 'WritableStreamDefaultWriter';
  const WSDC = 'WritableStreamDefaultController';
  const TS = 'TransformStream';
  const TSDC = 'TransformStreamDefaultController';

  const newReadableRecord = () => ({
    kind: RS, pub: undefined, state: 'readable', reader: undefined, storedError: undefined,
    disturbed: false, controller: undefined,
  });
  const isLocked = (stream) => stream.reader !== undefined;

  function createReadableStream(start, pull, cancel, highWaterMark = 1, size = () => 1) {
    const stream = newReadableRecord();
    shell(ReadableStream, stream);
    const controller = { kind: RSDC };
    shell(ReadableStreamDefaultController, controller);
    setUpDefaultController(stream, controller, start, pull, cancel, highWaterMark, size);
    return stream;
  }
  function createReadableByteStream(start, pull, cancel) {
    const stream = newReadableRecord();
    shell(ReadableStream, stream);
    const controller = { kind: RBSC };
    shell(ReadableByteStreamController, controller);
    setUpByteController(stream, controller, start, pull, cancel, 0, undefined);
    return stream;
  }

  function readableStreamCancel(stream, reason) {
    stream.disturbed = true;
    if (stream.state === 'closed') return resolvedWith(undefined);
    if (stream.state === 'errored') return rejectedWith(stream.storedError);
    readableStreamClose(stream);
    const reader = stream.reader;
    if (reader !== undefined && reader.kind === RSBR) {
      const requests = reader.readIntoRequests;
      reader.readIntoRequests = [];
      for (const request of requests) request.close(undefined);
    }
    const sourceCancelPromise = stream.controller.cancelSteps(reason);
    return then(sourceCancelPromise, noop);
  }
  function readableStreamClose(stream) {
    stream.state = 'closed';
    const reader = stream.reader;
    if (reader === undefined) return;
    reader.closed.resolve(undefined);
    if (reader.kind === RSDR) {
      const requests = reader.readRequests;
      reader.readRequests = [];
      for (const request of requests) request.close();
    }
  }
  function readableStreamError(stream, e) {
    stream.state = 'errored';
    stream.storedError = e;
    const reader = stream.reader;
    if (reader === undefined) return;
    reader.closed.reject(e);
    setHandled(reader.closed.promise);
    if (reader.kind === RSDR) defaultReaderErrorReadRequests(reader, e);
    else byobReaderErrorReadIntoRequests(reader, e);
  }
  const addReadRequest = (stream, request) => { stream.reader.readRequests.push(request); };
  const addReadIntoRequest = (stream, request) => { stream.reader.readIntoRequests.push(request); };
  function fulfillReadRequest(stream, chunk, done) {
    const request = stream.reader.readRequests.shift();
    if (done) request.close();
    else request.chunk(chunk);
  }
  function fulfillReadIntoRequest(stream, chunk, done) {
    const request = stream.reader.readIntoRequests.shift();
    if (done) request.close(chunk);
    else request.chunk(chunk);
  }
  const numReadRequests = (stream) => stream.reader.readRequests.length;
  const numReadIntoRequests = (stream) => stream.reader.readIntoRequests.length;
  const hasDefaultReader = (stream) => stream.reader !== undefined && stream.reader.kind === RSDR;
  const hasBYOBReader = (stream) => stream.reader !== undefined && stream.reader.kind === RSBR;

  // ---- Readers -------------------------------------------------------------
  function readerGenericInitialize(reader, stream) {
    reader.stream = stream;
    stream.reader = reader;
    if (stream.state === 'readable') reader.closed = deferred();
    else if (stream.state === 'closed') reader.closed = resolvedDeferred(undefined);
    else reader.closed = rejectedDeferred(stream.storedError);
  }
  function readerGenericRelease(reader) {
    const stream = reader.stream;
    const error = new TypeError('the reader was released');
    if (stream.state === 'readable') reader.closed.reject(error);
    else reader.closed = rejectedDeferred(error);
    setHandled(reader.closed.promise);
    stream.controller.releaseSteps();
    stream.reader = undefined;
    reader.stream = undefined;
  }
  function defaultReaderErrorReadRequests(reader, e) {
    const requests = reader.readRequests;
    reader.readRequests = [];
    for (const request of requests) request.error(e);
  }
  function byobReaderErrorReadIntoRequests(reader, e) {
    const requests = reader.readIntoRequests;
    reader.readIntoRequests = [];
    for (const request of requests) request.error(e);
  }
  function defaultReaderRead(reader, request) {
    const stream = reader.stream;
    stream.disturbed = true;
    if (stream.state === 'closed') request.close();
    else if (stream.state === 'errored') request.error(stream.storedError);
    else stream.controller.pullSteps(request);
  }
  function defaultReaderRelease(reader) {
    readerGenericRelease(reader);
    defaultReaderErrorReadRequests(reader, new TypeError('the reader was released'));
  }
  function byobReaderRelease(reader) {
    readerGenericRelease(reader);
    byobReaderErrorReadIntoRequests(reader, new TypeError('the reader was released'));
  }
  function setUpDefaultReader(reader, stream) {
    if (isLocked(stream)) throw new TypeError('the ReadableStream is locked to a reader');
    readerGenericInitialize(reader, stream);
    reader.readRequests = [];
  }
  function setUpBYOBReader(reader, stream) {
    if (isLocked(stream)) throw new TypeError('the ReadableStream is locked to a reader');
    if (stream.controller.kind !== RBSC) throw new TypeError('a BYOB reader needs a byte stream (type: "bytes")');
    readerGenericInitialize(reader, stream);
    reader.readIntoRequests = [];
  }
  function acquireDefaultReader(stream) {
    const reader = { kind: RSDR };
    shell(ReadableStreamDefaultReader, reader);
    setUpDefaultReader(reader, stream);
    return reader;
  }
  function acquireBYOBReader(stream) {
    const reader = { kind: RSBR };
    shell(ReadableStreamBYOBReader, reader);
    setUpBYOBReader(reader, stream);
    return reader;
  }
  function byobReaderRead(reader, view, min, request) {
    const stream = reader.stream;
    stream.disturbed = true;
    if (stream.state === 'errored') request.error(stream.storedError);
    else byteControllerPullInto(stream.controller, view, min, request);
  }

  class ReadableStreamDefaultReader {
    constructor(stream) {
      if (arguments.length === 0) throw new TypeError('ReadableStreamDefaultReader: 1 argument required');
      const s = slot(stream, RS);
      if (s === undefined) throw new TypeError('ReadableStreamDefaultReader: the argument is not a ReadableStream');
      const reader = { kind: RSDR, pub: this };
      setUpDefaultReader(reader, s);
      slots.set(this, reader);
    }
    get closed() {
      const reader = slot(this, RSDR);
      if (reader === undefined) return rejectedWith(new TypeError("closed: 'this' is not a ReadableStreamDefaultReader"));
      return reader.closed.promise;
    }
    cancel(reason = undefined) {
      const reader = slot(this, RSDR);
      if (reader === undefined) return rejectedWith(new TypeError("cancel: 'this' is not a ReadableStreamDefaultReader"));
      if (reader.stream === undefined) return rejectedWith(new TypeError('cancel: the reader was released'));
      return readableStreamCancel(reader.stream, reason);
    }
    read() {
      const reader = slot(this, RSDR);
      if (reader === undefined) return rejectedWith(new TypeError("read: 'this' is not a ReadableStreamDefaultReader"));
      if (reader.stream === undefined) return rejectedWith(new TypeError('read: the reader was released'));
      const d = deferred();
      defaultReaderRead(reader, {
        chunk: (chunk) => d.resolve({ value: chunk, done: false }),
        close: () => d.resolve({ value: undefined, done: true }),
        error: (e) => d.reject(e),
      });
      return d.promise;
    }
    releaseLock() {
      const reader = brand(this, RSDR, 'releaseLock');
      if (reader.stream === undefined) return;
      defaultReaderRelease(reader);
    }
  }

  class ReadableStreamBYOBReader {
    constructor(stream) {
      if (arguments.length === 0) throw new TypeError('ReadableStreamBYOBReader: 1 argument required');
      const s = slot(stream, RS);
      if (s === undefined) throw new TypeError('ReadableStreamBYOBReader: the argument is not a ReadableStream');
      const reader = { kind: RSBR, pub: this };
      setUpBYOBReader(reader, s);
      slots.set(this, reader);
    }
    get closed() {
      const reader = slot(this, RSBR);
      if (reader === undefined) return rejectedWith(new TypeError("closed: 'this' is not a ReadableStreamBYOBReader"));
      return reader.closed.promise;
    }
    cancel(reason = undefined) {
      const reader = slot(this, RSBR);
      if (reader === undefined) return rejectedWith(new TypeError("cancel: 'this' is not a ReadableStreamBYOBReader"));
      if (reader.stream === undefined) return rejectedWith(new TypeError('cancel: the reader was released'));
      return readableStreamCancel(reader.stream, reason);
    }
    read(view, options = undefined) {
      const reader = slot(this, RSBR);
      if (reader === undefined) return rejectedWith(new TypeError("read: 'this' is not a ReadableStreamBYOBReader"));
      if (!isArrayBufferView(view)) return rejectedWith(new TypeError('read: the argument must be an ArrayBufferView'));
      let min;
      try {
        const init = dict(options, 'read options');
        min = init.min === undefined ? 1 : enforceRange(init.min, 'read: min');
      } catch (error) {
        return rejectedWith(error);
      }
      if (view.byteLength === 0) return rejectedWith(new TypeError('read: the view is empty'));
      if (bufferByteLength(view.buffer) === 0) return rejectedWith(new TypeError('read: the view\'s buffer is detached or empty'));
      if (min === 0) return rejectedWith(new TypeError('read: min must be greater than 0'));
      if (viewName(view) !== undefined) {
        if (min > view.length) return rejectedWith(new RangeError('read: min is more than the view\'s length'));
      } else if (min > view.byteLength) {
        return rejectedWith(new RangeError('read: min is more than the view\'s byteLength'));
      }
      if (reader.stream === undefined) return rejectedWith(new TypeError('read: the reader was released'));
      const d = deferred();
      byobReaderRead(reader, view, min, {
        chunk: (chunk) => d.resolve({ value: chunk, done: false }),
        close: (chunk) => d.resolve({ value: chunk, done: true }),
        error: (e) => d.reject(e),
      });
      return d.promise;
    }
    releaseLock() {
      const reader = brand(this, RSBR, 'releaseLock');
      if (reader.stream === undefined) return;
      byobReaderRelease(reader);
    }
  }

  // ---- ReadableStreamDefaultController ------------------------------------
  function setUpDefaultController(stream, c, start, pull, cancel, highWaterMark, size) {
    c.stream = stream;
    resetQueue(c);
    c.started = false;
    c.closeRequested = false;
    c.pullAgain = false;
    c.pulling = false;
    c.strategySizeAlgorithm = size;
    c.strategyHWM = highWaterMark;
    c.pullAlgorithm = pull;
    c.cancelAlgorithm = cancel;
    c.cancelSteps = (reason) => {
      resetQueue(c);
      const result = c.cancelAlgorithm(reason);
      defaultControllerClearAlgorithms(c);
      return result;
    };
    c.pullSteps = (request) => {
      if (c.queue.length > 0) {
        const chunk = dequeueValue(c);
        if (c.closeRequested && c.queue.length === 0) {
          defaultControllerClearAlgorithms(c);
          readableStreamClose(stream);
        } else {
          defaultControllerCallPullIfNeeded(c);
        }
        request.chunk(chunk);
      } else {
        addReadRequest(stream, request);
        defaultControllerCallPullIfNeeded(c);
      }
    };
    c.releaseSteps = noop;
    stream.controller = c;
    const startResult = start();
    upon(resolvedWith(startResult), () => {
      c.started = true;
      defaultControllerCallPullIfNeeded(c);
    }, (r) => defaultControllerError(c, r));
  }
  function defaultControllerCallPullIfNeeded(c) {
    if (!defaultControllerShouldCallPull(c)) return;
    if (c.pulling) {
      c.pullAgain = true;
      return;
    }
    c.pulling = true;
    upon(c.pullAlgorithm(), () => {
      c.pulling = false;
      if (c.pullAgain) {
        c.pullAgain = false;
        defaultControllerCallPullIfNeeded(c);
      }
    }, (e) => defaultControllerError(c, e));
  }
  function defaultControllerShouldCallPull(c) {
    const stream = c.stream;
    if (!defaultControllerCanCloseOrEnqueue(c)) return false;
    if (!c.started) return false;
    if (isLocked(stream) && numReadRequests(stream) > 0) return true;
    return defaultControllerGetDesiredSize(c) > 0;
  }
  function defaultControllerClearAlgorithms(c) {
    c.pullAlgorithm = undefined;
    c.cancelAlgorithm = undefined;
    c.strategySizeAlgorithm = undefined;
  }
  function defaultControllerClose(c) {
    if (!defaultControllerCanCloseOrEnqueue(c)) return;
    c.closeRequested = true;
    if (c.queue.length === 0) {
      defaultControllerClearAlgorithms(c);
      readableStreamClose(c.stream);
    }
  }
  function defaultControllerEnqueue(c, chunk) {
    if (!defaultControllerCanCloseOrEnqueue(c)) return;
    const stream = c.stream;
    if (isLocked(stream) && numReadRequests(stream) > 0) {
      fulfillReadRequest(stream, chunk, false);
    } else {
      let size;
      try {
        size = c.strategySizeAlgorithm(chunk);
      } catch (error) {
        defaultControllerError(c, error);
        throw error;
      }
      try {
        enqueueValueWithSize(c, chunk, size);
      } catch (error) {
        defaultControllerError(c, error);
        throw error;
      }
    }
    defaultControllerCallPullIfNeeded(c);
  }
  function defaultControllerError(c, e) {
    const stream = c.stream;
    if (stream.state !== 'readable') return;
    resetQueue(c);
    defaultControllerClearAlgorithms(c);
    readableStreamError(stream, e);
  }
  function defaultControllerGetDesiredSize(c) {
    const state = c.stream.state;
    if (state === 'errored') return null;
    if (state === 'closed') return 0;
    return c.strategyHWM - c.queueTotalSize;
  }
  const defaultControllerHasBackpressure = (c) => !defaultControllerShouldCallPull(c);
  const defaultControllerCanCloseOrEnqueue = (c) => !c.closeRequested && c.stream.state === 'readable';

  class ReadableStreamDefaultController {
    constructor() { throw idl.illegal('ReadableStreamDefaultController'); }
    get desiredSize() {
      return defaultControllerGetDesiredSize(brand(this, RSDC, 'desiredSize'));
    }
    close() {
      const c = brand(this, RSDC, 'close');
      if (!defaultControllerCanCloseOrEnqueue(c)) throw new TypeError('close: the stream is closed or closing');
      defaultControllerClose(c);
    }
    enqueue(chunk = undefined) {
      const c = brand(this, RSDC, 'enqueue');
      if (!defaultControllerCanCloseOrEnqueue(c)) throw new TypeError('enqueue: the stream is closed or closing');
      defaultControllerEnqueue(c, chunk);
    }
    error(e = undefined) {
      defaultControllerError(brand(this, RSDC, 'error'), e);
    }
  }

  // ---- ReadableByteStreamController ---------------------------------------
  function setUpByteController(stream, c, start, pull, cancel, highWaterMark, autoAllocateChunkSize) {
    c.stream = stream;
    c.pullAgain = false;
    c.pulling = false;
    c.byobRequest = null;
    resetQueue(c);
    c.closeRequested = false;
    c.started = false;
    c.strategyHWM = highWaterMark;
    c.pullAlgorithm = pull;
    c.cancelAlgorithm = cancel;
    c.autoAllocateChunkSize = autoAllocateChunkSize;
    c.pendingPullIntos = [];
    c.cancelSteps = (reason) => {
      byteControllerClearPendingPullIntos(c);
      resetQueue(c);
      const result = c.cancelAlgorithm(reason);
      byteControllerClearAlgorithms(c);
      return result;
    };
    c.pullSteps = (request) => {
      if (c.queueTotalSize > 0) {
        byteControllerFillReadRequestFromQueue(c, request);
        return;
      }
      const size = c.autoAllocateChunkSize;
      if (size !== undefined) {
        let buffer;
        try {
          buffer = new ArrayBufferCtor(size);
        } catch (error) {
          request.error(error);
          return;
        }
        c.pendingPullIntos.push({
          buffer, bufferByteLength: size, byteOffset: 0, byteLength: size, bytesFilled: 0,
          minimumFill: 1, elementSize: 1, viewConstructor: Uint8Array, readerType: 'default',
        });
      }
      addReadRequest(stream, request);
      byteControllerCallPullIfNeeded(c);
    };
    c.releaseSteps = () => {
      if (c.pendingPullIntos.length > 0) {
        const first = c.pendingPullIntos[0];
        first.readerType = 'none';
        c.pendingPullIntos = [first];
      }
    };
    stream.controller = c;
    const startResult = start();
    upon(resolvedWith(startResult), () => {
      c.started = true;
      byteControllerCallPullIfNeeded(c);
    }, (r) => byteControllerError(c, r));
  }
  function byteControllerCallPullIfNeeded(c) {
    if (!byteControllerShouldCallPull(c)) return;
    if (c.pulling) {
      c.pullAgain = true;
      return;
    }
    c.pulling = true;
    upon(c.pullAlgorithm(), () => {
      c.pulling = false;
      if (c.pullAgain) {
        c.pullAgain = false;
        byteControllerCallPullIfNeeded(c);
      }
    }, (e) => byteControllerError(c, e));
  }
  function byteControllerShouldCallPull(c) {
    const stream = c.stream;
    if (stream.state !== 'readable') return false;
    if (c.closeRequested) return false;
    if (!c.started) return false;
    if (hasDefaultReader(stream) && numReadRequests(stream) > 0) return true;
    if (hasBYOBReader(stream) && numReadIntoRequests(stream) > 0) return true;
    return byteControllerGetDesiredSize(c) > 0;
  }
  function byteControllerClearAlgorithms(c) {
    c.pullAlgorithm = undefined;
    c.cancelAlgorithm = undefined;
  }
  function byteControllerClearPendingPullIntos(c) {
    byteControllerInvalidateBYOBRequest(c);
    c.pendingPullIntos = [];
  }
  function byteControllerClose(c) {
    const stream = c.stream;
    if (c.closeRequested || stream.state !== 'readable') return;
    if (c.queueTotalSize > 0) {
      c.closeRequested = true;
      return;
    }
    if (c.pendingPullIntos.length > 0) {
      const first = c.pendingPullIntos[0];
      if (first.bytesFilled % first.elementSize !== 0) {
        const e = new TypeError('close: a partial element is left in the BYOB request\'s view');
        byteControllerError(c, e);
        throw e;
      }
    }
    byteControllerClearAlgorithms(c);
    readableStreamClose(stream);
  }
  function byteControllerCommitPullIntoDescriptor(stream, d) {
    let done = false;
    if (stream.state === 'closed') done = true;
    const filledView = byteControllerConvertPullIntoDescriptor(d);
    if (d.readerType === 'default') fulfillReadRequest(stream, filledView, done);
    else fulfillReadIntoRequest(stream, filledView, done);
  }
  function byteControllerConvertPullIntoDescriptor(d) {
    const buffer = transferBuffer(d.buffer);
    return new d.viewConstructor(buffer, d.byteOffset, d.bytesFilled / d.elementSize);
  }
  function byteControllerEnqueue(c, chunk) {
    const stream = c.stream;
    if (c.closeRequested || stream.state !== 'readable') return;
    const buffer = chunk.buffer;
    const byteOffset = chunk.byteOffset;
    const byteLength = chunk.byteLength;
    if (isDetached(buffer)) throw new TypeError('enqueue: the chunk\'s buffer is detached');
    const transferred = transferBuffer(buffer);
    if (c.pendingPullIntos.length > 0) {
      const first = c.pendingPullIntos[0];
      if (isDetached(first.buffer)) throw new TypeError('enqueue: the BYOB request\'s buffer is detached');
      byteControllerInvalidateBYOBRequest(c);
      first.buffer = transferBuffer(first.buffer);
      if (first.readerType === 'none') byteControllerEnqueueDetachedPullIntoToQueue(c, first);
    }
    if (hasDefaultReader(stream)) {
      byteControllerProcessReadRequestsUsingQueue(c);
      if (numReadRequests(stream) === 0) {
        byteControllerEnqueueChunkToQueue(c, transferred, byteOffset, byteLength);
      } else {
        if (c.pendingPullIntos.length > 0) byteControllerShiftPendingPullInto(c);
        fulfillReadRequest(stream, new Uint8Array(transferred, byteOffset, byteLength), false);
      }
    } else if (hasBYOBReader(stream)) {
      byteControllerEnqueueChunkToQueue(c, transferred, byteOffset, byteLength);
      const filled = byteControllerProcessPullIntoDescriptorsUsingQueue(c);
      for (const d of filled) byteControllerCommitPullIntoDescriptor(stream, d);
    } else {
      byteControllerEnqueueChunkToQueue(c, transferred, byteOffset, byteLength);
    }
    byteControllerCallPullIfNeeded(c);
  }
  function byteControllerEnqueueChunkToQueue(c, buffer, byteOffset, byteLength) {
    c.queue.push({ buffer, byteOffset, byteLength });
    c.queueTotalSize += byteLength;
  }
  function byteControllerEnqueueClonedChunkToQueue(c, buffer, byteOffset, byteLength) {
    let clone;
    try {
      clone = call(arrayBufferSlice, buffer, byteOffset, byteOffset + byteLength);
    } catch (error) {
      byteControllerError(c, error);
      throw error;
    }
    byteControllerEnqueueChunkToQueue(c, clone, 0, byteLength);
  }
  function byteControllerEnqueueDetachedPullIntoToQueue(c, d) {
    if (d.bytesFilled > 0) byteControllerEnqueueClonedChunkToQueue(c, d.buffer, d.byteOffset, d.bytesFilled);
    byteControllerShiftPendingPullInto(c);
  }
  function byteControllerError(c, e) {
    const stream = c.stream;
    if (stream.state !== 'readable') return;
    byteControllerClearPendingPullIntos(c);
    resetQueue(c);
    byteControllerClearAlgorithms(c);
    readableStreamError(stream, e);
  }
  function byteControllerFillHeadPullIntoDescriptor(c, size, d) {
    d.bytesFilled += size;
  }
  function byteControllerFillPullIntoDescriptorFromQueue(c, d) {
    const maxBytesToCopy = Math.min(c.queueTotalSize, d.byteLength - d.bytesFilled);
    const maxBytesFilled = d.bytesFilled + maxBytesToCopy;
    let totalBytesToCopyRemaining = maxBytesToCopy;
    let ready = false;
    const remainderBytes = maxBytesFilled % d.elementSize;
    const maxAlignedBytes = maxBytesFilled - remainderBytes;
    if (maxAlignedBytes >= d.minimumFill) {
      totalBytesToCopyRemaining = maxAlignedBytes - d.bytesFilled;
      ready = true;
    }
    const queue = c.queue;
    while (totalBytesToCopyRemaining > 0) {
      const head = queue[0];
      const bytesToCopy = Math.min(totalBytesToCopyRemaining, head.byteLength);
      const destStart = d.byteOffset + d.bytesFilled;
      copyBytes(d.buffer, destStart, head.buffer, head.byteOffset, bytesToCopy);
      if (head.byteLength === bytesToCopy) {
        queue.shift();
      } else {
        head.byteOffset += bytesToCopy;
        head.byteLength -= bytesToCopy;
      }
      c.queueTotalSize -= bytesToCopy;
      byteControllerFillHeadPullIntoDescriptor(c, bytesToCopy, d);
      totalBytesToCopyRemaining -= bytesToCopy;
    }
    return ready;
  }
  function byteControllerFillReadRequestFromQueue(c, request) {
    const entry = c.queue.shift();
    c.queueTotalSize -= entry.byteLength;
    byteControllerHandleQueueDrain(c);
    request.chunk(new Uint8Array(entry.buffer, entry.byteOffset, entry.byteLength));
  }
  function byteControllerGetBYOBRequest(c) {
    if (c.byobRequest === null && c.pendingPullIntos.length > 0) {
      const first = c.pendingPullIntos[0];
      const view = new Uint8Array(first.buffer, first.byteOffset + first.bytesFilled, first.byteLength - first.bytesFilled);
      const request = { kind: BYOBREQ, controller: c, view };
      shell(ReadableStreamBYOBRequest, request);
      c.byobRequest = request;
    }
    return c.byobRequest;
  }
  function byteControllerGetDesiredSize(c) {
    const state = c.stream.state;
    if (state === 'errored') return null;
    if (state === 'closed') return 0;
    return c.strategyHWM - c.queueTotalSize;
  }
  function byteControllerHandleQueueDrain(c) {
    if (c.queueTotalSize === 0 && c.closeRequested) {
      byteControllerClearAlgorithms(c);
      readableStreamClose(c.stream);
    } else {
      byteControllerCallPullIfNeeded(c);
    }
  }
  function byteControllerInvalidateBYOBRequest(c) {
    if (c.byobRequest === null) return;
    c.byobRequest.controller = undefined;
    c.byobRequest.view = null;
    c.byobRequest = null;
  }
  function byteControllerProcessPullIntoDescriptorsUsingQueue(c) {
    const filled = [];
    while (c.pendingPullIntos.length > 0) {
      if (c.queueTotalSize === 0) break;
      const d = c.pendingPullIntos[0];
      if (byteControllerFillPullIntoDescriptorFromQueue(c, d)) {
        byteControllerShiftPendingPullInto(c);
        filled.push(d);
      }
    }
    return filled;
  }
  function byteControllerProcessReadRequestsUsingQueue(c) {
    const reader = c.stream.reader;
    while (reader.readRequests.length > 0) {
      if (c.queueTotalSize === 0) return;
      const request = reader.readRequests.shift();
      byteControllerFillReadRequestFromQueue(c, request);
    }
  }
  function byteControllerPullInto(c, view, min, request) {
    const stream = c.stream;
    const elementSize = elementSizeOf(view);
    const ctor = viewConstructorOf(view);
    const minimumFill = min * elementSize;
    const byteOffset = view.byteOffset;
    const byteLength = view.byteLength;
    let buffer;
    try {
      buffer = transferBuffer(view.buffer);
    } catch (error) {
      request.error(error);
      return;
    }
    const d = {
      buffer, bufferByteLength: bufferByteLength(buffer), byteOffset, byteLength, bytesFilled: 0,
      minimumFill, elementSize, viewConstructor: ctor, readerType: 'byob',
    };
    if (c.pendingPullIntos.length > 0) {
      c.pendingPullIntos.push(d);
      addReadIntoRequest(stream, request);
      return;
    }
    if (stream.state === 'closed') {
      request.close(new ctor(d.buffer, d.byteOffset, 0));
      return;
    }
    if (c.queueTotalSize > 0) {
      if (byteControllerFillPullIntoDescriptorFromQueue(c, d)) {
        const filledView = byteControllerConvertPullIntoDescriptor(d);
        byteControllerHandleQueueDrain(c);
        request.chunk(filledView);
        return;
      }
      if (c.closeRequested) {
        const e = new TypeError('read: the stream closed with a partial element left');
        byteControllerError(c, e);
        request.error(e);
        return;
      }
    }
    c.pendingPullIntos.push(d);
    addReadIntoRequest(stream, request);
    byteControllerCallPullIfNeeded(c);
  }
  function byteControllerRespond(c, bytesWritten) {
    const first = c.pendingPullIntos[0];
    const state = c.stream.state;
    if (state === 'closed') {
      if (bytesWritten !== 0) throw new TypeError('respond: bytesWritten must be 0 once the stream is closed');
    } else {
      if (bytesWritten === 0) throw new TypeError('respond: bytesWritten must be more than 0');
      if (first.bytesFilled + bytesWritten > first.byteLength) throw new RangeError('respond: bytesWritten is more than the view holds');
    }
    first.buffer = transferBuffer(first.buffer);
    byteControllerRespondInternal(c, bytesWritten);
  }
  function byteControllerRespondInClosedState(c, first) {
    if (first.readerType === 'none') byteControllerShiftPendingPullInto(c);
    const stream = c.stream;
    if (hasBYOBReader(stream)) {
      const filled = [];
      while (filled.length < numReadIntoRequests(stream)) filled.push(byteControllerShiftPendingPullInto(c));
      for (const d of filled) byteControllerCommitPullIntoDescriptor(stream, d);
    }
  }
  function byteControllerRespondInReadableState(c, bytesWritten, d) {
    byteControllerFillHeadPullIntoDescriptor(c, bytesWritten, d);
    const stream = c.stream;
    if (d.readerType === 'none') {
      byteControllerEnqueueDetachedPullIntoToQueue(c, d);
      const filled = byteControllerProcessPullIntoDescriptorsUsingQueue(c);
      for (const f of filled) byteControllerCommitPullIntoDescriptor(stream, f);
      return;
    }
    if (d.bytesFilled < d.minimumFill) return;
    byteControllerShiftPendingPullInto(c);
    const remainderSize = d.bytesFilled % d.elementSize;
    if (remainderSize > 0) {
      const end = d.byteOffset + d.bytesFilled;
      byteControllerEnqueueClonedChunkToQueue(c, d.buffer, end - remainderSize, remainderSize);
    }
    d.bytesFilled -= remainderSize;
    const filled = byteControllerProcessPullIntoDescriptorsUsingQueue(c);
    byteControllerCommitPullIntoDescriptor(stream, d);
    for (const f of filled) byteControllerCommitPullIntoDescriptor(stream, f);
  }
  function byteControllerRespondInternal(c, bytesWritten) {
    const first = c.pendingPullIntos[0];
    byteControllerInvalidateBYOBRequest(c);
    if (c.stream.state === 'closed') byteControllerRespondInClosedState(c, first);
    else byteControllerRespondInReadableState(c, bytesWritten, first);
    byteControllerCallPullIfNeeded(c);
  }
  function byteControllerRespondWithNewView(c, view) {
    const first = c.pendingPullIntos[0];
    const state = c.stream.state;
    if (state === 'closed') {
      if (view.byteLength !== 0) throw new TypeError('respondWithNewView: the view must be empty once the stream is closed');
    } else if (view.byteLength === 0) {
      throw new TypeError('respondWithNewView: the view must not be empty');
    }
    if (first.byteOffset + first.bytesFilled !== view.byteOffset) {
      throw new RangeError('respondWithNewView: the view\'s byteOffset does not match the request');
    }
    if (first.bufferByteLength !== bufferByteLength(view.buffer)) {
      throw new RangeError('respondWithNewView: the view\'s buffer length does not match the request');
    }
    if (first.bytesFilled + view.byteLength > first.byteLength) {
      throw new RangeError('respondWithNewView: the view is larger than the request');
    }
    const viewByteLength = view.byteLength;
    first.buffer = transferBuffer(view.buffer);
    byteControllerRespondInternal(c, viewByteLength);
  }
  const byteControllerShiftPendingPullInto = (c) => c.pendingPullIntos.shift();

  class ReadableByteStreamController {
    constructor() { throw idl.illegal('ReadableByteStreamController'); }
    get byobRequest() {
      const request = byteControllerGetBYOBRequest(brand(this, RBSC, 'byobRequest'));
      return request === null ? null : request.pub;
    }
    get desiredSize() {
      return byteControllerGetDesiredSize(brand(this, RBSC, 'desiredSize'));
    }
    close() {
      const c = brand(this, RBSC, 'close');
      if (c.closeRequested) throw new TypeError('close: the stream is already closing');
      if (c.stream.state !== 'readable') throw new TypeError('close: the stream is not readable');
      byteControllerClose(c);
    }
    enqueue(chunk) {
      const c = brand(this, RBSC, 'enqueue');
      if (!isArrayBufferView(chunk)) throw new TypeError('enqueue: the chunk must be an ArrayBufferView');
      if (chunk.byteLength === 0) throw new TypeError('enqueue: the chunk is empty');
      if (bufferByteLength(chunk.buffer) === 0) throw new TypeError('enqueue: the chunk\'s buffer is detached or empty');
      if (c.closeRequested) throw new TypeError('enqueue: the stream is closing');
      if (c.stream.state !== 'readable') throw new TypeError('enqueue: the stream is not readable');
      byteControllerEnqueue(c, chunk);
    }
    error(e = undefined) {
      byteControllerError(brand(this, RBSC, 'error'), e);
    }
  }

  class ReadableStreamBYOBRequest {
    constructor() { throw idl.illegal('ReadableStreamBYOBRequest'); }
    get view() { return brand(this, BYOBREQ, 'view').view; }
    respond(bytesWritten) {
      const request = brand(this, BYOBREQ, 'respond');
      if (arguments.length === 0) throw new TypeError('respond: 1 argument required');
      const written = enforceRange(bytesWritten, 'respond: bytesWritten');
      if (request.controller === undefined) throw new TypeError('respond: this request was already answered');
      if (isDetached(request.view.buffer)) throw new TypeError('respond: the view\'s buffer is detached');
      byteControllerRespond(request.controller, written);
    }
    respondWithNewView(view) {
      const request = brand(this, BYOBREQ, 'respondWithNewView');
      if (!isArrayBufferView(view)) throw new TypeError('respondWithNewView: the argument must be an ArrayBufferView');
      if (request.controller === undefined) throw new TypeError('respondWithNewView: this request was already answered');
      if (isDetached(view.buffer)) throw new TypeError('respondWithNewView: the view\'s buffer is detached');
      byteControllerRespondWithNewView(request.controller, view);
    }
  }

  // ---- ReadableStream ------------------------------------------------------
  function setUpDefaultControllerFromSource(stream, source, d, highWaterMark, size) {
    const c = { kind: RSDC };
    shell(ReadableStreamDefaultController, c);
    const start = d.start === undefined ? noop : () => call(d.start, source, c.pub);
    const pull = d.pull === undefined ? () => resolvedWith(undefined) : () => promiseCall(d.pull, source, [c.pub]);
    const cancel = d.cancel === undefined ? () => resolvedWith(undefined) : (reason) => promiseCall(d.cancel, source, [reason]);
    setUpDefaultController(stream, c, start, pull, cancel, highWaterMark, size);
  }
  function setUpByteControllerFromSource(stream, source, d, highWaterMark) {
    const c = { kind: RBSC };
    shell(ReadableByteStreamController, c);
    const start = d.start === undefined ? noop : () => call(d.start, source, c.pub);
    const pull = d.pull === undefined ? () => resolvedWith(undefined) : () => promiseCall(d.pull, source, [c.pub]);
    const cancel = d.cancel === undefined ? () => resolvedWith(undefined) : (reason) => promiseCall(d.cancel, source, [reason]);
    const autoAllocateChunkSize = d.autoAllocateChunkSize;
    if (autoAllocateChunkSize === 0) throw new TypeError('ReadableStream: autoAllocateChunkSize must be more than 0');
    setUpByteController(stream, c, start, pull, cancel, highWaterMark, autoAllocateChunkSize);
  }

  class ReadableStream {
    constructor(underlyingSource = undefined, strategy = undefined) {
      if (underlyingSource === undefined) underlyingSource = null;
      else if (!isObject(underlyingSource)) {
        throw new TypeError('ReadableStream: the underlying source must be an object');
      }
      const s = strategyDict(strategy);
      const source = underlyingSource === null ? {} : underlyingSource;
      const d = {
        autoAllocateChunkSize: source.autoAllocateChunkSize === undefined
          ? undefined : enforceRange(source.autoAllocateChunkSize, 'ReadableStream: autoAllocateChunkSize'),
        cancel: callback(source.cancel, 'ReadableStream: cancel'),
        pull: callback(source.pull, 'ReadableStream: pull'),
        start: callback(source.start, 'ReadableStream: start'),
        type: source.type === undefined ? undefined : String(source.type),
      };
      if (d.type !== undefined && d.type !== 'bytes') {
        throw new TypeError(`ReadableStream: type must be "bytes" or left out, not "${d.type}"`);
      }
      const stream = newReadableRecord();
      stream.pub = this;
      slots.set(this, stream);
      if (d.type === 'bytes') {
        if (s.size !== undefined) throw new RangeError('ReadableStream: a byte stream\'s strategy cannot have a size');
        setUpByteControllerFromSource(stream, underlyingSource, d, extractHighWaterMark(s, 0));
      } else {
        const size = extractSizeAlgorithm(s);
        setUpDefaultControllerFromSource(stream, underlyingSource, d, extractHighWaterMark(s, 1), size);
      }
    }
    static from(asyncIterable) {
      return readableStreamFromIterable(asyncIterable).pub;
    }
    get locked() { return isLocked(brand(this, RS, 'locked')); }
    cancel(reason = undefined) {
      const stream = slot(this, RS);
      if (stream === undefined) return rejectedWith(new TypeError("cancel: 'this' is not a ReadableStream"));
      if (isLocked(stream)) return rejectedWith(new TypeError('cancel: the stream is locked to a reader'));
      return readableStreamCancel(stream, reason);
    }
    getReader(options = undefined) {
      const stream = brand(this, RS, 'getReader');
      const init = dict(options, 'getReader options');
      const mode = init.mode === undefined ? undefined : String(init.mode);
      if (mode === undefined) return acquireDefaultReader(stream).pub;
      if (mode !== 'byob') throw new TypeError(`getReader: mode must be "byob" or left out, not "${mode}"`);
      return acquireBYOBReader(stream).pub;
    }
    pipeThrough(transform, options = undefined) {
      const stream = brand(this, RS, 'pipeThrough');
      const pair = dict(transform, 'pipeThrough: the transform');
      const readable = slot(pair.readable, RS);
      if (readable === undefined) throw new TypeError('pipeThrough: transform.readable must be a ReadableStream');
      const writable = slot(pair.writable, WS);
      if (writable === undefined) throw new TypeError('pipeThrough: transform.writable must be a WritableStream');
      const o = pipeOptions(options);
      if (isLocked(stream)) throw new TypeError('pipeThrough: the stream is locked to a reader');
      if (isWritableLocked(writable)) throw new TypeError('pipeThrough: transform.writable is locked to a writer');
      const promise = readableStreamPipeTo(stream, writable, o.preventClose, o.preventAbort, o.preventCancel, o.signal);
      setHandled(promise);
      return readable.pub;
    }
    pipeTo(destination, options = undefined) {
      const stream = slot(this, RS);
      if (stream === undefined) return rejectedWith(new TypeError("pipeTo: 'this' is not a ReadableStream"));
      const dest = slot(destination, WS);
      if (dest === undefined) return rejectedWith(new TypeError('pipeTo: the destination must be a WritableStream'));
      let o;
      try {
        o = pipeOptions(options);
      } catch (error) {
        return rejectedWith(error);
      }
      if (isLocked(stream)) return rejectedWith(new TypeError('pipeTo: the stream is locked to a reader'));
      if (isWritableLocked(dest)) return rejectedWith(new TypeError('pipeTo: the destination is locked to a writer'));
      return readableStreamPipeTo(stream, dest, o.preventClose, o.preventAbort, o.preventCancel, o.signal);
    }
    tee() {
      const [a, b] = readableStreamTee(brand(this, RS, 'tee'), false);
      return [a.pub, b.pub];
    }
    values(options = undefined) {
      const stream = brand(this, RS, 'values');
      const init = dict(options, 'values options');
      const preventCancel = Boolean(init.preventCancel);
      const reader = acquireDefaultReader(stream);
      const iterator = { kind: 'ReadableStreamAsyncIterator', reader, preventCancel, ongoing: null, finished: false };
      return shell(ReadableStreamAsyncIterator, iterator);
    }
  }

  function pipeOptions(options) {
    const init = dict(options, 'the pipe options');
    const preventAbort = Boolean(init.preventAbort);
    const preventCancel = Boolean(init.preventCancel);
    const preventClose = Boolean(init.preventClose);
    const signal = init.signal;
    if (signal !== undefined) {
      try {
        call(signalAborted, signal);
      } catch {
        throw new TypeError('the pipe options\' signal must be an AbortSignal');
      }
    }
    return { preventAbort, preventCancel, preventClose, signal };
  }

  // ---- Async iteration -----------------------------------------------------
  const ASYNC_ITERATOR = 'ReadableStreamAsyncIterator';
  const END = {};
  function iteratorNextResult(iterator) {
    const reader = iterator.reader;
    const d = deferred();
    defaultReaderRead(reader, {
      chunk: (chunk) => d.resolve(chunk),
      close: () => {
        defaultReaderRelease(reader);
        d.resolve(END);
      },
      error: (e) => {
        defaultReaderRelease(reader);
        d.reject(e);
      },
    });
    return d.promise;
  }
  function iteratorReturn(iterator, value) {
    const reader = iterator.reader;
    if (reader.stream === undefined) return resolvedWith(undefined);
    if (!iterator.preventCancel) {
      const result = readableStreamCancel(reader.stream, value);
      defaultReaderRelease(reader);
      return result;
    }
    defaultReaderRelease(reader);
    return resolvedWith(undefined);
  }
  const ReadableStreamAsyncIterator = function ReadableStreamAsyncIterator() {
    throw idl.illegal('ReadableStreamAsyncIterator');
  };
  ReadableStreamAsyncIterator.prototype = Object.create(AsyncIteratorPrototype, {
    next: {
      value: function next() {
        const iterator = slot(this, ASYNC_ITERATOR);
        if (iterator === undefined) return rejectedWith(new TypeError("next: 'this' is not a ReadableStream async iterator"));
        const nextSteps = () => {
          if (iterator.finished) return resolvedWith({ value: undefined, done: true });
          return then(iteratorNextResult(iterator), (value) => {
            iterator.ongoing = null;
            if (value === END) {
              iterator.finished = true;
              return { value: undefined, done: true };
            }
            return { value, done: false };
          }, (reason) => {
            iterator.ongoing = null;
            iterator.finished = true;
            throw reason;
          });
        };
        iterator.ongoing = iterator.ongoing === null ? nextSteps() : then(iterator.ongoing, nextSteps, nextSteps);
        return iterator.ongoing;
      },
      writable: true, enumerable: true, configurable: true,
    },
    return: {
      value: function return_(value) {
        const iterator = slot(this, ASYNC_ITERATOR);
        if (iterator === undefined) return rejectedWith(new TypeError("return: 'this' is not a ReadableStream async iterator"));
        const returnSteps = () => {
          if (iterator.finished) return resolvedWith({ value, done: true });
          iterator.finished = true;
          return iteratorReturn(iterator, value);
        };
        iterator.ongoing = iterator.ongoing === null ? returnSteps() : then(iterator.ongoing, returnSteps, returnSteps);
        return then(iterator.ongoing, () => ({ value, done: true }));
      },
      writable: true, enumerable: true, configurable: true,
    },
    [Symbol.toStringTag]: { value: 'ReadableStream AsyncIterator', configurable: true },
  });
  Object.defineProperty(ReadableStreamAsyncIterator.prototype.return, 'name', { value: 'return' });

  // ---- ReadableStream.from -------------------------------------------------
  function getAsyncIterator(object) {
    if (object === undefined || object === null) throw new TypeError('ReadableStream.from: the argument is not iterable');
    const method = object[Symbol.asyncIterator];
    if (method === undefined || method === null) {
      const syncMethod = object[Symbol.iterator];
      if (syncMethod === undefined || syncMethod === null) {
        throw new TypeError('ReadableStream.from: the argument is neither async iterable nor iterable');
      }
      if (typeof syncMethod !== 'function') throw new TypeError('ReadableStream.from: Symbol.iterator is not a function');
      const iterator = call(syncMethod, object);
      if (!isObject(iterator)) throw new TypeError('ReadableStream.from: the iterator is not an object');
      const nextMethod = iterator.next;
      return asyncFromSyncIterator(iterator, nextMethod);
    }
    if (typeof method !== 'function') throw new TypeError('ReadableStream.from: Symbol.asyncIterator is not a function');
    const iterator = call(method, object);
    if (!isObject(iterator)) throw new TypeError('ReadableStream.from: the async iterator is not an object');
    return { iterator, next: iterator.next };
  }
  // CreateAsyncFromSyncIterator, for the steps ReadableStream.from uses.
  function asyncFromSyncIterator(syncIterator, syncNext) {
    const iterator = {
      next() {
        const result = call(syncNext, syncIterator);
        if (!isObject(result)) throw new TypeError('ReadableStream.from: the iterator result is not an object');
        const done = Boolean(result.done);
        const value = result.value;
        return then(resolvedWith(value), (v) => ({ value: v, done }), (reason) => {
          if (!done) {
            const close = syncIterator.return;
            if (close !== undefined && close !== null) {
              try { call(close, syncIterator); } catch { /* the original reason wins */ }
            }
          }
          throw reason;
        });
      },
    };
    Object.defineProperty(iterator, 'return', {
      get() {
        const close = syncIterator.return;
        if (close === undefined || close === null) return undefined;
        return (value) => {
          const result = call(close, syncIterator, value);
          if (!isObject(result)) throw new TypeError('ReadableStream.from: the iterator\'s return result is not an object');
          return then(resolvedWith(result.value), (v) => ({ value: v, done: Boolean(result.done) }));
        };
      },
    });
    return { iterator, next: iterator.next };
  }
  function readableStreamFromIterable(asyncIterable) {
    const record = getAsyncIterator(asyncIterable);
    let stream;
    const pull = () => {
      let nextResult;
      try {
        if (typeof record.next !== 'function') throw new TypeError('ReadableStream.from: the iterator has no next method');
        nextResult = call(record.next, record.iterator);
      } catch (error) {
        return rejectedWith(error);
      }
      return then(resolvedWith(nextResult), (result) => {
        if (!isObject(result)) throw new TypeError('ReadableStream.from: the iterator result is not an object');
        if (result.done) defaultControllerClose(stream.controller);
        else defaultControllerEnqueue(stream.controller, result.value);
      });
    };
    const cancel = (reason) => {
      const iterator = record.iterator;
      let returnMethod;
      try {
        returnMethod = iterator.return;
        if (returnMethod === undefined || returnMethod === null) return resolvedWith(undefined);
        if (typeof returnMethod !== 'function') throw new TypeError('ReadableStream.from: return is not a function');
      } catch (error) {
        return rejectedWith(error);
      }
      let returnResult;
      try {
        returnResult = call(returnMethod, iterator, reason);
      } catch (error) {
        return rejectedWith(error);
      }
      return then(resolvedWith(returnResult), (result) => {
        if (!isObject(result)) throw new TypeError('ReadableStream.from: the return result is not an object');
      });
    };
    stream = createReadableStream(noop, pull, cancel, 0);
    return stream;
  }

  // ---- tee -----------------------------------------------------------------
  function readableStreamTee(stream, cloneForBranch2) {
    if (stream.controller.kind === RBSC) return readableByteStreamTee(stream);
    return readableStreamDefaultTee(stream, cloneForBranch2);
  }
  function readableStreamDefaultTee(stream, cloneForBranch2) {
    const reader = acquireDefaultReader(stream);
    let reading = false;
    let readAgain = false;
    let canceled1 = false;
    let canceled2 = false;
    let reason1;
    let reason2;
    let branch1;
    let branch2;
    const cancelPromise = deferred();
    const pull = () => {
      if (reading) {
        readAgain = true;
        return resolvedWith(undefined);
      }
      reading = true;
      defaultReaderRead(reader, {
        chunk: (chunk) => queueMicrotask(() => {
          readAgain = false;
          const chunk1 = chunk;
          let chunk2 = chunk;
          if (!canceled2 && cloneForBranch2) {
            try {
              chunk2 = structuredClone(chunk2);
            } catch (error) {
              defaultControllerError(branch1.controller, error);
              defaultControllerError(branch2.controller, error);
              cancelPromise.resolve(readableStreamCancel(stream, error));
              return;
            }
          }
          if (!canceled1) defaultControllerEnqueue(branch1.controller, chunk1);
          if (!canceled2) defaultControllerEnqueue(branch2.controller, chunk2);
          reading = false;
          if (readAgain) pull();
        }),
        close: () => {
          reading = false;
          if (!canceled1) defaultControllerClose(branch1.controller);
          if (!canceled2) defaultControllerClose(branch2.controller);
          if (!canceled1 || !canceled2) cancelPromise.resolve(undefined);
        },
        error: () => { reading = false; },
      });
      return resolvedWith(undefined);
    };
    const cancel1 = (reason) => {
      canceled1 = true;
      reason1 = reason;
      if (canceled2) cancelPromise.resolve(readableStreamCancel(stream, [reason1, reason2]));
      return cancelPromise.promise;
    };
    const cancel2 = (reason) => {
      canceled2 = true;
      reason2 = reason;
      if (canceled1) cancelPromise.resolve(readableStreamCancel(stream, [reason1, reason2]));
      return cancelPromise.promise;
    };
    branch1 = createReadableStream(noop, pull, cancel1);
    branch2 = createReadableStream(noop, pull, cancel2);
    upon(reader.closed.promise, undefined, (r) => {
      defaultControllerError(branch1.controller, r);
      defaultControllerError(branch2.controller, r);
      if (!canceled1 || !canceled2) cancelPromise.resolve(undefined);
    });
    return [branch1, branch2];
  }
  const cloneAsUint8Array = (view) => new Uint8Array(
    call(arrayBufferSlice, view.buffer, view.byteOffset, view.byteOffset + view.byteLength),
  );
  function readableByteStreamTee(stream) {
    let reader = acquireDefaultReader(stream);
    let reading = false;
    let readAgainForBranch1 = false;
    let readAgainForBranch2 = false;
    let canceled1 = false;
    let canceled2 = false;
    let reason1;
    let reason2;
    let branch1;
    let branch2;
    const cancelPromise = deferred();
    const forwardReaderError = (thisReader) => {
      upon(thisReader.closed.promise, undefined, (r) => {
        if (thisReader !== reader) return;
        byteControllerError(branch1.controller, r);
        byteControllerError(branch2.controller, r);
        if (!canceled1 || !canceled2) cancelPromise.resolve(undefined);
      });
    };
    const pullWithDefaultReader = () => {
      if (reader.kind === RSBR) {
        byobReaderRelease(reader);
        reader = acquireDefaultReader(stream);
        forwardReaderError(reader);
      }
      defaultReaderRead(reader, {
        chunk: (chunk) => queueMicrotask(() => {
          readAgainForBranch1 = false;
          readAgainForBranch2 = false;
          const chunk1 = chunk;
          let chunk2 = chunk;
          if (!canceled1 && !canceled2) {
            try {
              chunk2 = cloneAsUint8Array(chunk);
            } catch (error) {
              byteControllerError(branch1.controller, error);
              byteControllerError(branch2.controller, error);
              cancelPromise.resolve(readableStreamCancel(stream, error));
              return;
            }
          }
          if (!canceled1) byteControllerEnqueue(branch1.controller, chunk1);
          if (!canceled2) byteControllerEnqueue(branch2.controller, chunk2);
          reading = false;
          if (readAgainForBranch1) pull1();
          else if (readAgainForBranch2) pull2();
        }),
        close: () => {
          reading = false;
          if (!canceled1) byteControllerClose(branch1.controller);
          if (!canceled2) byteControllerClose(branch2.controller);
          if (branch1.controller.pendingPullIntos.length > 0) byteControllerRespond(branch1.controller, 0);
          if (branch2.controller.pendingPullIntos.length > 0) byteControllerRespond(branch2.controller, 0);
          if (!canceled1 || !canceled2) cancelPromise.resolve(undefined);
        },
        error: () => { reading = false; },
      });
    };
    const pullWithBYOBReader = (view, forBranch2) => {
      if (reader.kind === RSDR) {
        defaultReaderRelease(reader);
        reader = acquireBYOBReader(stream);
        forwardReaderError(reader);
      }
      const byobBranch = forBranch2 ? branch2 : branch1;
      const otherBranch = forBranch2 ? branch1 : branch2;
      byobReaderRead(reader, view, 1, {
        chunk: (chunk) => queueMicrotask(() => {
          readAgainForBranch1 = false;
          readAgainForBranch2 = false;
          const byobCanceled = forBranch2 ? canceled2 : canceled1;
          const otherCanceled = forBranch2 ? canceled1 : canceled2;
          if (!otherCanceled) {
            let cloned;
            try {
              cloned = cloneAsUint8Array(chunk);
            } catch (error) {
              byteControllerError(byobBranch.controller, error);
              byteControllerError(otherBranch.controller, error);
              cancelPromise.resolve(readableStreamCancel(stream, error));
              return;
            }
            if (!byobCanceled) byteControllerRespondWithNewView(byobBranch.controller, chunk);
            byteControllerEnqueue(otherBranch.controller, cloned);
          } else if (!byobCanceled) {
            byteControllerRespondWithNewView(byobBranch.controller, chunk);
          }
          reading = false;
          if (readAgainForBranch1) pull1();
          else if (readAgainForBranch2) pull2();
        }),
        close: (chunk) => {
          reading = false;
          const byobCanceled = forBranch2 ? canceled2 : canceled1;
          const otherCanceled = forBranch2 ? canceled1 : canceled2;
          if (!byobCanceled) byteControllerClose(byobBranch.controller);
          if (!otherCanceled) byteControllerClose(otherBranch.controller);
          if (chunk !== undefined) {
            if (!byobCanceled) byteControllerRespondWithNewView(byobBranch.controller, chunk);
            if (!otherCanceled && otherBranch.controller.pendingPullIntos.length > 0) {
              byteControllerRespond(otherBranch.controller, 0);
            }
          }
          if (!byobCanceled || !otherCanceled) cancelPromise.resolve(undefined);
        },
        error: () => { reading = false; },
      });
    };
    const pull1 = () => {
      if (reading) {
        readAgainForBranch1 = true;
        return resolvedWith(undefined);
      }
      reading = true;
      const request = byteControllerGetBYOBRequest(branch1.controller);
      if (request === null) pullWithDefaultReader();
      else pullWithBYOBReader(request.view, false);
      return resolvedWith(undefined);
    };
    const pull2 = () => {
      if (reading) {
        readAgainForBranch2 = true;
        return resolvedWith(undefined);
      }
      reading = true;
      const request = byteControllerGetBYOBRequest(branch2.controller);
      if (request === null) pullWithDefaultReader();
      else pullWithBYOBReader(request.view, true);
      return resolvedWith(undefined);
    };
    const cancel1 = (reason) => {
      canceled1 = true;
      reason1 = reason;
      if (canceled2) cancelPromise.resolve(readableStreamCancel(stream, [reason1, reason2]));
      return cancelPromise.promise;
    };
    const cancel2 = (reason) => {
      canceled2 = true;
      reason2 = reason;
      if (canceled1) cancelPromise.resolve(readableStreamCancel(stream, [reason1, reason2]));
      return cancelPromise.promise;
    };
    branch1 = createReadableByteStream(noop, pull1, cancel1);
    branch2 = createReadableByteStream(noop, pull2, cancel2);
    forwardReaderError(reader);
    return [branch1, branch2];
  }

  // ---- pipeTo --------------------------------------------------------------
  function readableStreamPipeTo(source, dest, preventClose, preventAbort, preventCancel, signal) {
    const reader = acquireDefaultReader(source);
    const writer = acquireWriter(dest);
    source.disturbed = true;
    let shuttingDown = false;
    let currentWrite = resolvedWith(undefined);
    const result = deferred();
    let abortAlgorithm;

    const pipeStep = () => {
      if (shuttingDown) return resolvedWith(true);
      return then(writer.ready.promise, () => new PromiseCtor((resolveRead, rejectRead) => {
        defaultReaderRead(reader, {
          // The write waits for a microtask: enqueue() must not call the
          // sink's write synchronously.
          chunk: (chunk) => {
            currentWrite = then(resolvedWith(undefined), () => writerWrite(writer, chunk));
            setHandled(currentWrite);
            currentWrite = then(currentWrite, undefined, noop);
            resolveRead(false);
          },
          close: () => resolveRead(true),
          error: rejectRead,
        });
      }));
    };
    const pipeLoop = () => new PromiseCtor((resolveLoop, rejectLoop) => {
      const next = (done) => {
        if (done) resolveLoop();
        else then(pipeStep(), next, rejectLoop);
      };
      next(false);
    });
    const waitForWritesToFinish = () => {
      const oldCurrentWrite = currentWrite;
      return then(currentWrite, () => (oldCurrentWrite !== currentWrite ? waitForWritesToFinish() : undefined));
    };
    const finalize = (isError, error) => {
      writerRelease(writer);
      defaultReaderRelease(reader);
      if (signal !== undefined) call(removeListener, signal, 'abort', abortAlgorithm);
      if (isError) result.reject(error);
      else result.resolve(undefined);
    };
    const shutdownWithAnAction = (action, originalIsError, originalError) => {
      if (shuttingDown) return;
      shuttingDown = true;
      const doTheRest = () => {
        upon(action(), () => finalize(originalIsError, originalError), (newError) => finalize(true, newError));
      };
      if (dest.state === 'writable' && !writableCloseQueuedOrInFlight(dest)) upon(waitForWritesToFinish(), doTheRest);
      else doTheRest();
    };
    const shutdown = (isError, error) => {
      if (shuttingDown) return;
      shuttingDown = true;
      if (dest.state === 'writable' && !writableCloseQueuedOrInFlight(dest)) {
        upon(waitForWritesToFinish(), () => finalize(isError, error));
      } else {
        finalize(isError, error);
      }
    };

    if (signal !== undefined) {
      abortAlgorithm = () => {
        const error = call(signalReason, signal);
        const actions = [];
        if (!preventAbort) {
          actions.push(() => (dest.state === 'writable' ? writableStreamAbort(dest, error) : resolvedWith(undefined)));
        }
        if (!preventCancel) {
          actions.push(() => (source.state === 'readable' ? readableStreamCancel(source, error) : resolvedWith(undefined)));
        }
        shutdownWithAnAction(() => promiseAll(actions.map((action) => action())), true, error);
      };
      if (call(signalAborted, signal)) {
        abortAlgorithm();
        return result.promise;
      }
      call(addListener, signal, 'abort', abortAlgorithm);
    }

    // Errors must be propagated forward.
    if (source.state === 'errored') {
      const storedError = source.storedError;
      if (!preventAbort) shutdownWithAnAction(() => writableStreamAbort(dest, storedError), true, storedError);
      else shutdown(true, storedError);
    } else {
      upon(reader.closed.promise, undefined, (storedError) => {
        if (!preventAbort) shutdownWithAnAction(() => writableStreamAbort(dest, storedError), true, storedError);
        else shutdown(true, storedError);
      });
    }
    // Errors must be propagated backward.
    if (dest.state === 'errored') {
      const storedError = dest.storedError;
      if (!preventCancel) shutdownWithAnAction(() => readableStreamCancel(source, storedError), true, storedError);
      else shutdown(true, storedError);
    } else {
      upon(writer.closed.promise, undefined, (storedError) => {
        if (!preventCancel) shutdownWithAnAction(() => readableStreamCancel(source, storedError), true, storedError);
        else shutdown(true, storedError);
      });
    }
    // Closing must be propagated forward.
    if (source.state === 'closed') {
      if (!preventClose) shutdownWithAnAction(() => writerCloseWithErrorPropagation(writer));
      else shutdown();
    } else {
      upon(reader.closed.promise, () => {
        if (!preventClose) shutdownWithAnAction(() => writerCloseWithErrorPropagation(writer));
        else shutdown();
      });
    }
    // Closing must be propagated backward.
    if (writableCloseQueuedOrInFlight(dest) || dest.state === 'closed') {
      const destClosed = new TypeError('the destination writable stream closed before all the data could be piped to it');
      if (!preventCancel) shutdownWithAnAction(() => readableStreamCancel(source, destClosed), true, destClosed);
      else shutdown(true, destClosed);
    }
    setHandled(pipeLoop());
    return result.promise;
  }

  // ==== WritableStream ======================================================
  const CLOSE_SENTINEL = {};
  const isWritableLocked = (stream) => stream.writer !== undefined;
  const newWritableRecord = () => ({
    kind: WS, pub: undefined, state: 'writable', storedError: undefined, writer: undefined, controller: undefined,
    inFlightWriteRequest: undefined, closeRequest: undefined, inFlightCloseRequest: undefined,
    pendingAbortRequest: undefined, writeRequests: [], backpressure: false,
  });

  function createWritableStream(start, write, close, abort, highWaterMark, size) {
    const stream = newWritableRecord();
    shell(WritableStream, stream);
    const controller = { kind: WSDC };
    shell(WritableStreamDefaultController, controller);
    setUpWritableController(stream, controller, start, write, close, abort, highWaterMark, size);
    return stream;
  }
  function acquireWriter(stream) {
    const writer = { kind: WSDW };
    shell(WritableStreamDefaultWriter, writer);
    setUpWriter(writer, stream);
    return writer;
  }
  function writableStreamAbort(stream, reason) {
    if (stream.state === 'closed' || stream.state === 'errored') return resolvedWith(undefined);
    call(abortControllerAbort, stream.controller.abortController, reason);
    const state = stream.state;
    if (state === 'closed' || state === 'errored') return resolvedWith(undefined);
    if (stream.pendingAbortRequest !== undefined) return stream.pendingAbortRequest.promise.promise;
    let wasAlreadyErroring = false;
    if (state === 'erroring') {
      wasAlreadyErroring = true;
      reason = undefined;
    }
    const promise = deferred();
    stream.pendingAbortRequest = { promise, reason, wasAlreadyErroring };
    if (!wasAlreadyErroring) writableStreamStartErroring(stream, reason);
    return promise.promise;
  }
  function writableStreamClose(stream) {
    const state = stream.state;
    if (state === 'closed' || state === 'errored') {
      return rejectedWith(new TypeError('close: the stream is already closed or errored'));
    }
    const promise = deferred();
    stream.closeRequest = promise;
    const writer = stream.writer;
    if (writer !== undefined && stream.backpressure && state === 'writable') writer.ready.resolve(undefined);
    writableControllerClose(stream.controller);
    return promise.promise;
  }
  function writableStreamAddWriteRequest(stream) {
    const promise = deferred();
    stream.writeRequests.push(promise);
    return promise.promise;
  }
  const writableCloseQueuedOrInFlight = (stream) => stream.closeRequest !== undefined || stream.inFlightCloseRequest !== undefined;
  function writableStreamDealWithRejection(stream, error) {
    if (stream.state === 'writable') {
      writableStreamStartErroring(stream, error);
      return;
    }
    writableStreamFinishErroring(stream);
  }
  function writableStreamFinishErroring(stream) {
    stream.state = 'errored';
    stream.controller.errorSteps();
    const storedError = stream.storedError;
    for (const request of stream.writeRequests) request.reject(storedError);
    stream.writeRequests = [];
    if (stream.pendingAbortRequest === undefined) {
      writableStreamRejectCloseAndClosedPromiseIfNeeded(stream);
      return;
    }
    const abortRequest = stream.pendingAbortRequest;
    stream.pendingAbortRequest = undefined;
    if (abortRequest.wasAlreadyErroring) {
      abortRequest.promise.reject(storedError);
      writableStreamRejectCloseAndClosedPromiseIfNeeded(stream);
      return;
    }
    const promise = stream.controller.abortSteps(abortRequest.reason);
    upon(promise, () => {
      abortRequest.promise.resolve(undefined);
      writableStreamRejectCloseAndClosedPromiseIfNeeded(stream);
    }, (reason) => {
      abortRequest.promise.reject(reason);
      writableStreamRejectCloseAndClosedPromiseIfNeeded(stream);
    });
  }
  function writableStreamFinishInFlightClose(stream) {
    stream.inFlightCloseRequest.resolve(undefined);
    stream.inFlightCloseRequest = undefined;
    if (stream.state === 'erroring') {
      stream.storedError = undefined;
      if (stream.pendingAbortRequest !== undefined) {
        stream.pendingAbortRequest.promise.resolve(undefined);
        stream.pendingAbortRequest = undefined;
      }
    }
    stream.state = 'closed';
    const writer = stream.writer;
    if (writer !== undefined) writer.closed.resolve(undefined);
  }
  function writableStreamFinishInFlightCloseWithError(stream, error) {
    stream.inFlightCloseRequest.reject(error);
    stream.inFlightCloseRequest = undefined;
    if (stream.pendingAbortRequest !== undefined) {
      stream.pendingAbortRequest.promise.reject(error);
      stream.pendingAbortRequest = undefined;
    }
    writableStreamDealWithRejection(stream, error);
  }
  function writableStreamFinishInFlightWrite(stream) {
    stream.inFlightWriteRequest.resolve(undefined);
    stream.inFlightWriteRequest = undefined;
  }
  function writableStreamFinishInFlightWriteWithError(stream, error) {
    stream.inFlightWriteRequest.reject(error);
    stream.inFlightWriteRequest = undefined;
    writableStreamDealWithRejection(stream, error);
  }
  const writableHasOperationMarkedInFlight = (stream) => stream.inFlightWriteRequest !== undefined
    || stream.inFlightCloseRequest !== undefined;
  function writableStreamRejectCloseAndClosedPromiseIfNeeded(stream) {
    if (stream.closeRequest !== undefined) {
      stream.closeRequest.reject(stream.storedError);
      stream.closeRequest = undefined;
    }
    const writer = stream.writer;
    if (writer !== undefined) {
      writer.closed.reject(stream.storedError);
      setHandled(writer.closed.promise);
    }
  }
  function writableStreamStartErroring(stream, reason) {
    const controller = stream.controller;
    stream.state = 'erroring';
    stream.storedError = reason;
    const writer = stream.writer;
    if (writer !== undefined) writerEnsureReadyPromiseRejected(writer, reason);
    if (!writableHasOperationMarkedInFlight(stream) && controller.started) writableStreamFinishErroring(stream);
  }
  function writableStreamUpdateBackpressure(stream, backpressure) {
    const writer = stream.writer;
    if (writer !== undefined && backpressure !== stream.backpressure) {
      if (backpressure) writer.ready = deferred();
      else writer.ready.resolve(undefined);
    }
    stream.backpressure = backpressure;
  }

  class WritableStream {
    constructor(underlyingSink = undefined, strategy = undefined) {
      if (underlyingSink === undefined) underlyingSink = null;
      else if (!isObject(underlyingSink)) {
        throw new TypeError('WritableStream: the underlying sink must be an object');
      }
      const s = strategyDict(strategy);
      const sink = underlyingSink === null ? {} : underlyingSink;
      const d = {
        abort: callback(sink.abort, 'WritableStream: abort'),
        close: callback(sink.close, 'WritableStream: close'),
        start: callback(sink.start, 'WritableStream: start'),
        type: sink.type,
        write: callback(sink.write, 'WritableStream: write'),
      };
      if (d.type !== undefined) throw new RangeError('WritableStream: type must be left out');
      const stream = newWritableRecord();
      stream.pub = this;
      slots.set(this, stream);
      const size = extractSizeAlgorithm(s);
      const highWaterMark = extractHighWaterMark(s, 1);
      const c = { kind: WSDC };
      shell(WritableStreamDefaultController, c);
      const start = d.start === undefined ? noop : () => call(d.start, underlyingSink, c.pub);
      const write = d.write === undefined ? () => resolvedWith(undefined) : (chunk) => promiseCall(d.write, underlyingSink, [chunk, c.pub]);
      const close = d.close === undefined ? () => resolvedWith(undefined) : () => promiseCall(d.close, underlyingSink, []);
      const abort = d.abort === undefined ? () => resolvedWith(undefined) : (reason) => promiseCall(d.abort, underlyingSink, [reason]);
      setUpWritableController(stream, c, start, write, close, abort, highWaterMark, size);
    }
    get locked() { return isWritableLocked(brand(this, WS, 'locked')); }
    abort(reason = undefined) {
      const stream = slot(this, WS);
      if (stream === undefined) return rejectedWith(new TypeError("abort: 'this' is not a WritableStream"));
      if (isWritableLocked(stream)) return rejectedWith(new TypeError('abort: the stream is locked to a writer'));
      return writableStreamAbort(stream, reason);
    }
    close() {
      const stream = slot(this, WS);
      if (stream === undefined) return rejectedWith(new TypeError("close: 'this' is not a WritableStream"));
      if (isWritableLocked(stream)) return rejectedWith(new TypeError('close: the stream is locked to a writer'));
      if (writableCloseQueuedOrInFlight(stream)) return rejectedWith(new TypeError('close: the stream is already closing'));
      return writableStreamClose(stream);
    }
    getWriter() {
      return acquireWriter(brand(this, WS, 'getWriter')).pub;
    }
  }

  // ---- WritableStreamDefaultWriter -----------------------------------------
  function setUpWriter(writer, stream) {
    if (isWritableLocked(stream)) throw new TypeError('the WritableStream is locked to a writer');
    writer.stream = stream;
    stream.writer = writer;
    const state = stream.state;
    if (state === 'writable') {
      writer.ready = !writableCloseQueuedOrInFlight(stream) && stream.backpressure ? deferred() : resolvedDeferred(undefined);
      writer.closed = deferred();
    } else if (state === 'erroring') {
      writer.ready = rejectedDeferred(stream.storedError);
      writer.closed = deferred();
    } else if (state === 'closed') {
      writer.ready = resolvedDeferred(undefined);
      writer.closed = resolvedDeferred(undefined);
    } else {
      writer.ready = rejectedDeferred(stream.storedError);
      writer.closed = rejectedDeferred(stream.storedError);
    }
  }
  function writerCloseWithErrorPropagation(writer) {
    const stream = writer.stream;
    const state = stream.state;
    if (writableCloseQueuedOrInFlight(stream) || state === 'closed') return resolvedWith(undefined);
    if (state === 'errored') return rejectedWith(stream.storedError);
    return writableStreamClose(stream);
  }
  function writerEnsureClosedPromiseRejected(writer, error) {
    if (writer.closed.state === 'pending') writer.closed.reject(error);
    else writer.closed = rejectedDeferred(error);
    setHandled(writer.closed.promise);
  }
  function writerEnsureReadyPromiseRejected(writer, error) {
    if (writer.ready.state === 'pending') writer.ready.reject(error);
    else writer.ready = rejectedDeferred(error);
    setHandled(writer.ready.promise);
  }
  function writerGetDesiredSize(writer) {
    const stream = writer.stream;
    const state = stream.state;
    if (state === 'errored' || state === 'erroring') return null;
    if (state === 'closed') return 0;
    return writableControllerGetDesiredSize(stream.controller);
  }
  function writerRelease(writer) {
    const stream = writer.stream;
    const released = new TypeError('the writer was released');
    writerEnsureReadyPromiseRejected(writer, released);
    writerEnsureClosedPromiseRejected(writer, released);
    stream.writer = undefined;
    writer.stream = undefined;
  }
  function writerWrite(writer, chunk) {
    const stream = writer.stream;
    const controller = stream.controller;
    const chunkSize = writableControllerGetChunkSize(controller, chunk);
    if (stream !== writer.stream) return rejectedWith(new TypeError('write: the writer was released'));
    const state = stream.state;
    if (state === 'errored') return rejectedWith(stream.storedError);
    if (writableCloseQueuedOrInFlight(stream) || state === 'closed') {
      return rejectedWith(new TypeError('write: the stream is closed or closing'));
    }
    if (state === 'erroring') return rejectedWith(stream.storedError);
    const promise = writableStreamAddWriteRequest(stream);
    writableControllerWrite(controller, chunk, chunkSize);
    return promise;
  }

  class WritableStreamDefaultWriter {
    constructor(stream) {
      if (arguments.length === 0) throw new TypeError('WritableStreamDefaultWriter: 1 argument required');
      const s = slot(stream, WS);
      if (s === undefined) throw new TypeError('WritableStreamDefaultWriter: the argument is not a WritableStream');
      const writer = { kind: WSDW, pub: this };
      setUpWriter(writer, s);
      slots.set(this, writer);
    }
    get closed() {
      const writer = slot(this, WSDW);
      if (writer === undefined) return rejectedWith(new TypeError("closed: 'this' is not a WritableStreamDefaultWriter"));
      return writer.closed.promise;
    }
    get desiredSize() {
      const writer = brand(this, WSDW, 'desiredSize');
      if (writer.stream === undefined) throw new TypeError('desiredSize: the writer was released');
      return writerGetDesiredSize(writer);
    }
    get ready() {
      const writer = slot(this, WSDW);
      if (writer === undefined) return rejectedWith(new TypeError("ready: 'this' is not a WritableStreamDefaultWriter"));
      return writer.ready.promise;
    }
    abort(reason = undefined) {
      const writer = slot(this, WSDW);
      if (writer === undefined) return rejectedWith(new TypeError("abort: 'this' is not a WritableStreamDefaultWriter"));
      if (writer.stream === undefined) return rejectedWith(new TypeError('abort: the writer was released'));
      return writableStreamAbort(writer.stream, reason);
    }
    close() {
      const writer = slot(this, WSDW);
      if (writer === undefined) return rejectedWith(new TypeError("close: 'this' is not a WritableStreamDefaultWriter"));
      const stream = writer.stream;
      if (stream === undefined) return rejectedWith(new TypeError('close: the writer was released'));
      if (writableCloseQueuedOrInFlight(stream)) return rejectedWith(new TypeError('close: the stream is already closing'));
      return writableStreamClose(stream);
    }
    releaseLock() {
      const writer = brand(this, WSDW, 'releaseLock');
      if (writer.stream === undefined) return;
      writerRelease(writer);
    }
    write(chunk = undefined) {
      const writer = slot(this, WSDW);
      if (writer === undefined) return rejectedWith(new TypeError("write: 'this' is not a WritableStreamDefaultWriter"));
      if (writer.stream === undefined) return rejectedWith(new TypeError('write: the writer was released'));
      return writerWrite(writer, chunk);
    }
  }

  // ---- WritableStreamDefaultController -------------------------------------
  function setUpWritableController(stream, c, start, write, close, abort, highWaterMark, size) {
    c.stream = stream;
    stream.controller = c;
    resetQueue(c);
    c.abortController = new AbortControllerCtor();
    c.started = false;
    c.strategySizeAlgorithm = size;
    c.strategyHWM = highWaterMark;
    c.writeAlgorithm = write;
    c.closeAlgorithm = close;
    c.abortAlgorithm = abort;
    c.abortSteps = (reason) => {
      const result = c.abortAlgorithm(reason);
      writableControllerClearAlgorithms(c);
      return result;
    };
    c.errorSteps = () => resetQueue(c);
    writableStreamUpdateBackpressure(stream, writableControllerGetBackpressure(c));
    const startResult = start();
    upon(resolvedWith(startResult), () => {
      c.started = true;
      writableControllerAdvanceQueueIfNeeded(c);
    }, (r) => {
      c.started = true;
      writableStreamDealWithRejection(stream, r);
    });
  }
  function writableControllerClearAlgorithms(c) {
    c.writeAlgorithm = undefined;
    c.closeAlgorithm = undefined;
    c.abortAlgorithm = undefined;
    c.strategySizeAlgorithm = undefined;
  }
  function writableControllerClose(c) {
    enqueueValueWithSize(c, CLOSE_SENTINEL, 0);
    writableControllerAdvanceQueueIfNeeded(c);
  }
  function writableControllerGetChunkSize(c, chunk) {
    if (c.strategySizeAlgorithm === undefined) return 1;
    try {
      return c.strategySizeAlgorithm(chunk);
    } catch (error) {
      writableControllerErrorIfNeeded(c, error);
      return 1;
    }
  }
  const writableControllerGetDesiredSize = (c) => c.strategyHWM - c.queueTotalSize;
  function writableControllerWrite(c, chunk, chunkSize) {
    try {
      enqueueValueWithSize(c, chunk, chunkSize);
    } catch (error) {
      writableControllerErrorIfNeeded(c, error);
      return;
    }
    const stream = c.stream;
    if (!writableCloseQueuedOrInFlight(stream) && stream.state === 'writable') {
      writableStreamUpdateBackpressure(stream, writableControllerGetBackpressure(c));
    }
    writableControllerAdvanceQueueIfNeeded(c);
  }
  function writableControllerAdvanceQueueIfNeeded(c) {
    const stream = c.stream;
    if (!c.started) return;
    if (stream.inFlightWriteRequest !== undefined) return;
    if (stream.state === 'erroring') {
      writableStreamFinishErroring(stream);
      return;
    }
    if (c.queue.length === 0) return;
    const value = c.queue[0].value;
    if (value === CLOSE_SENTINEL) writableControllerProcessClose(c);
    else writableControllerProcessWrite(c, value);
  }
  function writableControllerErrorIfNeeded(c, error) {
    if (c.stream.state === 'writable') writableControllerError(c, error);
  }
  function writableControllerProcessClose(c) {
    const stream = c.stream;
    stream.inFlightCloseRequest = stream.closeRequest;
    stream.closeRequest = undefined;
    dequeueValue(c);
    const sinkClosePromise = c.closeAlgorithm();
    writableControllerClearAlgorithms(c);
    upon(sinkClosePromise, () => writableStreamFinishInFlightClose(stream),
      (reason) => writableStreamFinishInFlightCloseWithError(stream, reason));
  }
  function writableControllerProcessWrite(c, chunk) {
    const stream = c.stream;
    stream.inFlightWriteRequest = stream.writeRequests.shift();
    const sinkWritePromise = c.writeAlgorithm(chunk);
    upon(sinkWritePromise, () => {
      writableStreamFinishInFlightWrite(stream);
      dequeueValue(c);
      if (!writableCloseQueuedOrInFlight(stream) && stream.state === 'writable') {
        writableStreamUpdateBackpressure(stream, writableControllerGetBackpressure(c));
      }
      writableControllerAdvanceQueueIfNeeded(c);
    }, (reason) => {
      if (stream.state === 'writable') writableControllerClearAlgorithms(c);
      writableStreamFinishInFlightWriteWithError(stream, reason);
    });
  }
  const writableControllerGetBackpressure = (c) => writableControllerGetDesiredSize(c) <= 0;
  function writableControllerError(c, error) {
    writableControllerClearAlgorithms(c);
    writableStreamStartErroring(c.stream, error);
  }

  class WritableStreamDefaultController {
    constructor() { throw idl.illegal('WritableStreamDefaultController'); }
    get signal() {
      return call(abortControllerSignal, brand(this, WSDC, 'signal').abortController);
    }
    error(e = undefined) {
      const c = brand(this, WSDC, 'error');
      if (c.stream.state !== 'writable') return;
      writableControllerError(c, e);
    }
  }

  // ==== TransformStream =====================================================
  function initializeTransformStream(stream, startPromise, writableHWM, writableSize, readableHWM, readableSize) {
    const start = () => startPromise.promise;
    stream.writable = createWritableStream(start, (chunk) => transformSinkWrite(stream, chunk),
      () => transformSinkClose(stream), (reason) => transformSinkAbort(stream, reason), writableHWM, writableSize);
    stream.readable = createReadableStream(start, () => transformSourcePull(stream),
      (reason) => transformSourceCancel(stream, reason), readableHWM, readableSize);
    stream.backpressure = undefined;
    stream.backpressureChangePromise = undefined;
    transformSetBackpressure(stream, true);
    stream.controller = undefined;
  }
  function transformStreamError(stream, e) {
    defaultControllerError(stream.readable.controller, e);
    transformErrorWritableAndUnblockWrite(stream, e);
  }
  function transformErrorWritableAndUnblockWrite(stream, e) {
    transformControllerClearAlgorithms(stream.controller);
    writableControllerErrorIfNeeded(stream.writable.controller, e);
    transformUnblockWrite(stream);
  }
  function transformUnblockWrite(stream) {
    if (stream.backpressure) transformSetBackpressure(stream, false);
  }
  function transformSetBackpressure(stream, backpressure) {
    if (stream.backpressureChangePromise !== undefined) stream.backpressureChangePromise.resolve(undefined);
    stream.backpressureChangePromise = deferred();
    stream.backpressure = backpressure;
  }
  function setUpTransformController(stream, c, transform, flush, cancel) {
    c.stream = stream;
    stream.controller = c;
    c.transformAlgorithm = transform;
    c.flushAlgorithm = flush;
    c.cancelAlgorithm = cancel;
    c.finishPromise = undefined;
  }
  function transformControllerClearAlgorithms(c) {
    c.transformAlgorithm = undefined;
    c.flushAlgorithm = undefined;
    c.cancelAlgorithm = undefined;
  }
  function transformControllerEnqueue(c, chunk) {
    const stream = c.stream;
    const readableController = stream.readable.controller;
    if (!defaultControllerCanCloseOrEnqueue(readableController)) {
      throw new TypeError('enqueue: the readable side is closed or errored');
    }
    try {
      defaultControllerEnqueue(readableController, chunk);
    } catch (error) {
      transformErrorWritableAndUnblockWrite(stream, error);
      throw stream.readable.storedError;
    }
    const backpressure = defaultControllerHasBackpressure(readableController);
    if (backpressure !== stream.backpressure) transformSetBackpressure(stream, true);
  }
  function transformControllerPerformTransform(c, chunk) {
    return then(c.transformAlgorithm(chunk), undefined, (r) => {
      transformStreamError(c.stream, r);
      throw r;
    });
  }
  function transformControllerTerminate(c) {
    const stream = c.stream;
    defaultControllerClose(stream.readable.controller);
    transformErrorWritableAndUnblockWrite(stream, new TypeError('the TransformStream was terminated'));
  }
  function transformSinkWrite(stream, chunk) {
    const c = stream.controller;
    if (stream.backpressure) {
      return then(stream.backpressureChangePromise.promise, () => {
        const writable = stream.writable;
        if (writable.state === 'erroring') throw writable.storedError;
        return transformControllerPerformTransform(c, chunk);
      });
    }
    return transformControllerPerformTransform(c, chunk);
  }
  function transformSinkAbort(stream, reason) {
    const c = stream.controller;
    if (c.finishPromise !== undefined) return c.finishPromise.promise;
    const readable = stream.readable;
    c.finishPromise = deferred();
    const cancelPromise = c.cancelAlgorithm(reason);
    transformControllerClearAlgorithms(c);
    upon(cancelPromise, () => {
      if (readable.state === 'errored') {
        c.finishPromise.reject(readable.storedError);
      } else {
        defaultControllerError(readable.controller, reason);
        c.finishPromise.resolve(undefined);
      }
    }, (r) => {
      defaultControllerError(readable.controller, r);
      c.finishPromise.reject(r);
    });
    return c.finishPromise.promise;
  }
  function transformSinkClose(stream) {
    const c = stream.controller;
    if (c.finishPromise !== undefined) return c.finishPromise.promise;
    const readable = stream.readable;
    c.finishPromise = deferred();
    const flushPromise = c.flushAlgorithm();
    transformControllerClearAlgorithms(c);
    upon(flushPromise, () => {
      if (readable.state === 'errored') {
        c.finishPromise.reject(readable.storedError);
      } else {
        defaultControllerClose(readable.controller);
        c.finishPromise.resolve(undefined);
      }
    }, (r) => {
      defaultControllerError(readable.controller, r);
      c.finishPromise.reject(r);
    });
    return c.finishPromise.promise;
  }
  function transformSourceCancel(stream, reason) {
    const c = stream.controller;
    if (c.finishPromise !== undefined) return c.finishPromise.promise;
    const writable = stream.writable;
    c.finishPromise = deferred();
    const cancelPromise = c.cancelAlgorithm(reason);
    transformControllerClearAlgorithms(c);
    upon(cancelPromise, () => {
      if (writable.state === 'errored') {
        c.finishPromise.reject(writable.storedError);
      } else {
        writableControllerErrorIfNeeded(writable.controller, reason);
        transformUnblockWrite(stream);
        c.finishPromise.resolve(undefined);
      }
    }, (r) => {
      writableControllerErrorIfNeeded(writable.controller, r);
      transformUnblockWrite(stream);
      c.finishPromise.reject(r);
    });
    return c.finishPromise.promise;
  }
  function transformSourcePull(stream) {
    transformSetBackpressure(stream, false);
    return stream.backpressureChangePromise.promise;
  }

  class TransformStream {
    constructor(transformer = undefined, writableStrategy = undefined, readableStrategy = undefined) {
      if (transformer === undefined) transformer = null;
      else if (!isObject(transformer)) {
        throw new TypeError('TransformStream: the transformer must be an object');
      }
      const ws = strategyDict(writableStrategy);
      const rs = strategyDict(readableStrategy);
      const t = transformer === null ? {} : transformer;
      const d = {
        cancel: callback(t.cancel, 'TransformStream: cancel'),
        flush: callback(t.flush, 'TransformStream: flush'),
        readableType: t.readableType,
        start: callback(t.start, 'TransformStream: start'),
        transform: callback(t.transform, 'TransformStream: transform'),
        writableType: t.writableType,
      };
      if (d.readableType !== undefined) throw new RangeError('TransformStream: readableType must be left out');
      if (d.writableType !== undefined) throw new RangeError('TransformStream: writableType must be left out');
      const readableHWM = extractHighWaterMark(rs, 0);
      const readableSize = extractSizeAlgorithm(rs);
      const writableHWM = extractHighWaterMark(ws, 1);
      const writableSize = extractSizeAlgorithm(ws);
      const stream = { kind: TS, pub: this };
      slots.set(this, stream);
      const startPromise = deferred();
      initializeTransformStream(stream, startPromise, writableHWM, writableSize, readableHWM, readableSize);
      const c = { kind: TSDC };
      shell(TransformStreamDefaultController, c);
      const transform = d.transform === undefined
        ? (chunk) => {
          try {
            transformControllerEnqueue(c, chunk);
            return resolvedWith(undefined);
          } catch (error) {
            return rejectedWith(error);
          }
        }
        : (chunk) => promiseCall(d.transform, transformer, [chunk, c.pub]);
      const flush = d.flush === undefined ? () => resolvedWith(undefined) : () => promiseCall(d.flush, transformer, [c.pub]);
      const cancel = d.cancel === undefined ? () => resolvedWith(undefined) : (reason) => promiseCall(d.cancel, transformer, [reason]);
      setUpTransformController(stream, c, transform, flush, cancel);
      if (d.start !== undefined) startPromise.resolve(call(d.start, transformer, c.pub));
      else startPromise.resolve(undefined);
    }
    get readable() { return brand(this, TS, 'readable').readable.pub; }
    get writable() { return brand(this, TS, 'writable').writable.pub; }
  }

  class TransformStreamDefaultController {
    constructor() { throw idl.illegal('TransformStreamDefaultController'); }
    get desiredSize() {
      const c = brand(this, TSDC, 'desiredSize');
      return defaultControllerGetDesiredSize(c.stream.readable.controller);
    }
    enqueue(chunk = undefined) {
      transformControllerEnqueue(brand(this, TSDC, 'enqueue'), chunk);
    }
    error(reason = undefined) {
      transformStreamError(brand(this, TSDC, 'error').stream, reason);
    }
    terminate() {
      transformControllerTerminate(brand(this, TSDC, 'terminate'));
    }
  }

  // Makes a TransformStream from algorithms: what the platform's own
  // transform streams (text, compression) are built on.
  function createTransformStream(transform, flush) {
    const stream = { kind: TS };
    shell(TransformStream, stream);
    const startPromise = deferred();
    initializeTransformStream(stream, startPromise, 1, () => 1, 0, () => 1);
    const c = { kind: TSDC };
    shell(TransformStreamDefaultController, c);
    const enqueue = (chunk) => transformControllerEnqueue(c, chunk);
    const wrap = (algorithm) => (...args) => {
      try {
        return resolvedWith(algorithm(enqueue, ...args));
      } catch (error) {
        return rejectedWith(error);
      }
    };
    setUpTransformController(stream, c, wrap(transform), wrap(flush), () => resolvedWith(undefined));
    startPromise.resolve(undefined);
    return stream;
  }

  // ==== Queuing strategies ==================================================
  const byteLengthSize = ({ size(chunk) { return chunk.byteLength; } }).size;
  const countSize = ({ size() { return 1; } }).size;
  const strategyInit = (init, what) => {
    if (!isObject(init)) throw new TypeError(`${what}: the argument must be an object with a highWaterMark`);
    const hwm = init.highWaterMark;
    if (hwm === undefined) throw new TypeError(`${what}: highWaterMark is required`);
    return Number(hwm);
  };
  class ByteLengthQueuingStrategy {
    constructor(init) {
      const highWaterMark = strategyInit(init, 'ByteLengthQueuingStrategy');
      slots.set(this, { kind: 'ByteLengthQueuingStrategy', highWaterMark });
    }
    get highWaterMark() { return brand(this, 'ByteLengthQueuingStrategy', 'highWaterMark').highWaterMark; }
    get size() {
      brand(this, 'ByteLengthQueuingStrategy', 'size');
      return byteLengthSize;
    }
  }
  class CountQueuingStrategy {
    constructor(init) {
      const highWaterMark = strategyInit(init, 'CountQueuingStrategy');
      slots.set(this, { kind: 'CountQueuingStrategy', highWaterMark });
    }
    get highWaterMark() { return brand(this, 'CountQueuingStrategy', 'highWaterMark').highWaterMark; }
    get size() {
      brand(this, 'CountQueuingStrategy', 'size');
      return countSize;
    }
  }

  // ==== Encoding streams ====================================================
  const encoder = new TextEncoderCtor();
  const encode = TextEncoderCtor.prototype.encode;
  class TextEncoderStream {
    constructor() {
      let pendingHighSurrogate = null;
      const transform = (enqueue, chunk) => {
        let text = String(chunk);
        if (pendingHighSurrogate !== null) {
          text = pendingHighSurrogate + text;
          pendingHighSurrogate = null;
        }
        const last = text.length > 0 ? text.charCodeAt(text.length - 1) : 0;
        if (last >= 0xd800 && last <= 0xdbff) {
          pendingHighSurrogate = text[text.length - 1];
          text = text.slice(0, -1);
        }
        if (text.length > 0) enqueue(call(encode, encoder, text));
      };
      const flush = (enqueue) => {
        if (pendingHighSurrogate !== null) enqueue(new Uint8Array([0xef, 0xbf, 0xbd]));
      };
      const stream = createTransformStream(transform, flush);
      slots.set(this, { kind: 'TextEncoderStream', transform: stream });
    }
    get encoding() {
      brand(this, 'TextEncoderStream', 'encoding');
      return 'utf-8';
    }
    get readable() { return brand(this, 'TextEncoderStream', 'readable').transform.readable.pub; }
    get writable() { return brand(this, 'TextEncoderStream', 'writable').transform.writable.pub; }
  }

  const bufferSource = (chunk, what) => {
    if (chunk instanceof ArrayBuffer || isArrayBufferView(chunk)
      || (typeof SharedArrayBuffer === 'function' && chunk instanceof SharedArrayBuffer)) {
      return chunk;
    }
    throw new TypeError(`${what}: the chunk must be an ArrayBuffer or a view of one`);
  };
  class TextDecoderStream {
    constructor(label = 'utf-8', options = undefined) {
      const decoder = new TextDecoderCtor(label, options);
      const streaming = { stream: true };
      const transform = (enqueue, chunk) => {
        const source = bufferSource(chunk, 'TextDecoderStream');
        // A detached buffer holds no bytes.
        const buffer = isArrayBufferView(source) ? source.buffer : source;
        if (buffer instanceof ArrayBufferCtor && isDetached(buffer)) return;
        const text = call(textDecode, decoder, source, streaming);
        if (text.length > 0) enqueue(text);
      };
      const flush = (enqueue) => {
        const text = call(textDecode, decoder);
        if (text.length > 0) enqueue(text);
      };
      const stream = createTransformStream(transform, flush);
      slots.set(this, { kind: 'TextDecoderStream', transform: stream, decoder });
    }
    get encoding() { return brand(this, 'TextDecoderStream', 'encoding').decoder.encoding; }
    get fatal() { return brand(this, 'TextDecoderStream', 'fatal').decoder.fatal; }
    get ignoreBOM() { return brand(this, 'TextDecoderStream', 'ignoreBOM').decoder.ignoreBOM; }
    get readable() { return brand(this, 'TextDecoderStream', 'readable').transform.readable.pub; }
    get writable() { return brand(this, 'TextDecoderStream', 'writable').transform.writable.pub; }
  }

  // ==== Compression streams =================================================
  const FORMATS = ['deflate', 'deflate-raw', 'gzip'];
  const compressionFormat = (format, what) => {
    const name = String(format);
    if (!FORMATS.includes(name)) {
      throw new TypeError(`${what}: "${name}" is not a supported format (use "gzip", "deflate" or "deflate-raw")`);
    }
    return name;
  };
  function codecStream(kind, format, what) {
    const codec = native.newCodec(kind, format);
    const push = (enqueue, bytes) => {
      if (bytes.length > 0) enqueue(bytes);
    };
    const transform = (enqueue, chunk) => {
      const bytes = idl.bytes(bufferSource(chunk, what));
      push(enqueue, native.codecWrite(codec, bytes));
    };
    const flush = (enqueue) => push(enqueue, native.codecFinish(codec));
    return createTransformStream(transform, flush);
  }
  class CompressionStream {
    constructor(format) {
      const name = compressionFormat(format, 'CompressionStream');
      slots.set(this, { kind: 'CompressionStream', transform: codecStream('compress', name, 'CompressionStream') });
    }
    get readable() { return brand(this, 'CompressionStream', 'readable').transform.readable.pub; }
    get writable() { return brand(this, 'CompressionStream', 'writable').transform.writable.pub; }
  }
  class DecompressionStream {
    constructor(format) {
      const name = compressionFormat(format, 'DecompressionStream');
      slots.set(this, { kind: 'DecompressionStream', transform: codecStream('decompress', name, 'DecompressionStream') });
    }
    get readable() { return brand(this, 'DecompressionStream', 'readable').transform.readable.pub; }
    get writable() { return brand(this, 'DecompressionStream', 'writable').transform.writable.pub; }
  }

  // ==== Globals =============================================================
  Object.defineProperty(ReadableStream.prototype, Symbol.asyncIterator, {
    value: ReadableStream.prototype.values, writable: true, enumerable: false, configurable: true,
  });
  for (const Class of [
    ReadableStream, ReadableStreamDefaultReader, ReadableStreamBYOBReader, ReadableStreamDefaultController,
    ReadableByteStreamController, ReadableStreamBYOBRequest, WritableStream, WritableStreamDefaultWriter,
    WritableStreamDefaultController, TransformStream, TransformStreamDefaultController,
    ByteLengthQueuingStrategy, CountQueuingStrategy, TextEncoderStream, TextDecoderStream,
    CompressionStream, DecompressionStream,
  ]) {
    idl.interface(Class, Class.name);
  }

  // ==== What fetch.js builds bodies with ====================================
  // A ReadableStream (byte stream) over `bytes`, read in one chunk.
  function fromBytes(bytes) {
    let given = false;
    const stream = createReadableByteStream(noop, () => {
      const c = stream.controller;
      if (given) return resolvedWith(undefined);
      given = true;
      try {
        if (bytes.byteLength > 0) byteControllerEnqueue(c, bytes.slice());
        byteControllerClose(c);
        if (c.pendingPullIntos.length > 0) byteControllerRespond(c, 0);
        return resolvedWith(undefined);
      } catch (error) {
        return rejectedWith(error);
      }
    }, () => resolvedWith(undefined));
    return stream.pub;
  }
  // A ReadableStream (byte stream) whose chunks come from `pull()`: a
  // promise of a Uint8Array, or of null at the end. `cancel(reason)` is
  // called when the consumer cancels. `error(stream, reason)` errors it.
  function fromPull(pull, cancel) {
    const stream = createReadableByteStream(noop, () => then(promiseCall(pull, undefined, []), (chunk) => {
      const c = stream.controller;
      if (stream.state !== 'readable' || c.closeRequested) return;
      if (chunk === null) {
        byteControllerClose(c);
        if (c.pendingPullIntos.length > 0) byteControllerRespond(c, 0);
      } else if (chunk.byteLength > 0) {
        byteControllerEnqueue(c, chunk);
      }
    }), (reason) => promiseCall(cancel, undefined, [reason]));
    return stream.pub;
  }
  // A closed, disturbed ReadableStream: the body of a Response whose bytes
  // were read before anyone asked for its stream.
  function usedStream() {
    const stream = createReadableByteStream(noop, () => resolvedWith(undefined), () => resolvedWith(undefined));
    byteControllerClose(stream.controller);
    stream.disturbed = true;
    return stream.pub;
  }
  const errorStream = (object, reason) => {
    const stream = slot(object, RS);
    if (stream === undefined || stream.state !== 'readable') return;
    if (stream.controller.kind === RBSC) byteControllerError(stream.controller, reason);
    else defaultControllerError(stream.controller, reason);
  };
  // Reads every chunk of `object` (each must be a Uint8Array) and gives the
  // bytes joined. The stream must not be locked or disturbed.
  function readAll(object) {
    const stream = slot(object, RS);
    const reader = acquireDefaultReader(stream);
    const chunks = [];
    let total = 0;
    return new PromiseCtor((resolve, reject) => {
      const step = () => {
        defaultReaderRead(reader, {
          chunk: (chunk) => {
            if (!(chunk instanceof Uint8Array)) {
              const error = new TypeError('the body stream gave a chunk that is not a Uint8Array');
              reject(error);
              setHandled(readableStreamCancel(stream, error));
              return;
            }
            chunks.push(chunk);
            total += chunk.byteLength;
            step();
          },
          close: () => {
            const bytes = new Uint8Array(total);
            let offset = 0;
            for (const chunk of chunks) {
              bytes.set(chunk, offset);
              offset += chunk.byteLength;
            }
            resolve(bytes);
          },
          error: reject,
        });
      };
      step();
    });
  }
  const isReadableStream = (object) => slot(object, RS) !== undefined;
  const isDisturbed = (object) => slot(object, RS).disturbed;
  const isStreamLocked = (object) => isLocked(slot(object, RS));
  const tee = (object) => {
    const [a, b] = readableStreamTee(slot(object, RS), true);
    return [a.pub, b.pub];
  };
  const cancelStream = (object, reason) => readableStreamCancel(slot(object, RS), reason);
  return {
    fromBytes, fromPull, usedStream, errorStream, readAll, isReadableStream, isDisturbed, isLocked: isStreamLocked, tee,
    cancel: cancelStream,
  };
})
