  // ReadableStream's operations over other objects: async iteration,
  // ReadableStream.from, tee and pipeTo.
  // A part of the streams prelude (see base.js), not a file of its own.

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

