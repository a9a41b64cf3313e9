// AbortController and AbortSignal (DOM standard): abort(reason),
// AbortSignal.abort, AbortSignal.timeout (on the sandbox's timers, reason a
// TimeoutError DOMException) and AbortSignal.any. Evaluated once, at wizer
// time, after events.js, whose hooks it receives.
(function installAbort(idl, events) {
  'use strict';
  const setTimeout = globalThis.setTimeout;
  const EventTarget = globalThis.EventTarget;
  const create = Symbol('create');

  let stateOf;
  class AbortSignal extends EventTarget {
    #state;
    static { stateOf = (signal) => signal.#state; }

    constructor(token = undefined) {
      if (token !== create) throw idl.illegal('AbortSignal');
      super();
      this.#state = {
        aborted: false,
        reason: undefined,
        // Run on abort before the event: listeners added with this signal.
        algorithms: [],
        // For a signal from AbortSignal.any: the signals it follows.
        sources: null,
        // Signals from AbortSignal.any that follow this one.
        dependents: [],
      };
    }
    static abort(reason = undefined) {
      const signal = new AbortSignal(create);
      const state = signal.#state;
      state.aborted = true;
      state.reason = reason === undefined ? abortError() : reason;
      return signal;
    }
    static timeout(milliseconds) {
      if (arguments.length === 0) throw new TypeError('AbortSignal.timeout: 1 argument required');
      const ms = enforceRange(milliseconds);
      const signal = new AbortSignal(create);
      setTimeout(() => {
        signalAbort(signal, new DOMException('The operation timed out.', 'TimeoutError'));
      }, ms);
      return signal;
    }
    static any(signals) {
      if (arguments.length === 0) throw new TypeError('AbortSignal.any: 1 argument required');
      const list = sequence(signals);
      const result = new AbortSignal(create);
      const state = result.#state;
      for (const signal of list) {
        if (signal.#state.aborted) {
          state.aborted = true;
          state.reason = signal.#state.reason;
          return result;
        }
      }
      state.sources = [];
      for (const signal of list) {
        const sources = signal.#state.sources === null ? [signal] : signal.#state.sources;
        for (const source of sources) {
          if (source.#state.aborted || state.sources.includes(source)) continue;
          state.sources.push(source);
          source.#state.dependents.push(result);
        }
      }
      return result;
    }
    get aborted() { return this.#state.aborted; }
    get reason() { return this.#state.reason; }
    throwIfAborted() {
      const state = this.#state;
      if (state.aborted) throw state.reason;
    }
  }
  events.handler(AbortSignal.prototype, 'abort');
  idl.interface(AbortSignal, 'AbortSignal');

  const abortError = () => new DOMException('This operation was aborted', 'AbortError');

  // [EnforceRange] unsigned long long.
  function enforceRange(value) {
    const n = Number(value);
    if (!Number.isFinite(n)) throw new TypeError('AbortSignal.timeout: the delay must be a finite number');
    const whole = Math.trunc(n);
    if (whole < 0 || whole > Number.MAX_SAFE_INTEGER) {
      throw new TypeError('AbortSignal.timeout: the delay is outside the range of unsigned long long');
    }
    return whole;
  }

  // sequence<AbortSignal>.
  function sequence(value) {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')
      || typeof value[Symbol.iterator] !== 'function') {
      throw new TypeError('AbortSignal.any: the argument must be an iterable of AbortSignal');
    }
    const list = [];
    for (const signal of value) {
      if (!(signal instanceof AbortSignal)) {
        throw new TypeError('AbortSignal.any: every element must be an AbortSignal');
      }
      list.push(signal);
    }
    return list;
  }

  function signalAbort(signal, reason) {
    const state = stateOf(signal);
    if (state.aborted) return;
    state.aborted = true;
    state.reason = reason === undefined ? abortError() : reason;
    const dependents = [];
    for (const dependent of state.dependents) {
      const dependentState = stateOf(dependent);
      if (dependentState.aborted) continue;
      dependentState.aborted = true;
      dependentState.reason = state.reason;
      dependents.push(dependent);
    }
    runAbortSteps(signal);
    for (const dependent of dependents) runAbortSteps(dependent);
  }

  function runAbortSteps(signal) {
    const state = stateOf(signal);
    const algorithms = state.algorithms;
    state.algorithms = [];
    for (const algorithm of algorithms) algorithm();
    events.fire(signal, 'abort');
  }

  events.abortHooks.isSignal = (value) => value instanceof AbortSignal;
  events.abortHooks.onAbort = (signal, algorithm) => {
    const state = stateOf(signal);
    if (!state.aborted) state.algorithms.push(algorithm);
  };

  class AbortController {
    #signal = new AbortSignal(create);
    get signal() { return this.#signal; }
    abort(reason = undefined) { signalAbort(this.#signal, reason); }
  }
  idl.interface(AbortController, 'AbortController');
})
