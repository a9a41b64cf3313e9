  // WritableStream: the stream, its writer, its controller and the class.
  // A part of the streams prelude (see base.js), not a file of its own.

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

