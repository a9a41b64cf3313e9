  // The queuing strategies, TextEncoderStream and TextDecoderStream,
  // CompressionStream and DecompressionStream, the globals, and the helpers
  // fetch.js builds bodies with; closes the prelude's function.
  // A part of the streams prelude (see base.js), not a file of its own.

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
