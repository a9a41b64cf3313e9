  // ReadableStream: the stream, its readers, its default and byte controllers
  // and the class.
  // A part of the streams prelude (see base.js), not a file of its own.

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

