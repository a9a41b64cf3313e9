  // TransformStream: the stream, its controller and the class.
  // A part of the streams prelude (see base.js), not a file of its own.

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

