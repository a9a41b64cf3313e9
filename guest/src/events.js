// Event, CustomEvent and EventTarget as the DOM standard defines them for a
// target outside any tree: an event's path is its target alone, so capture
// and bubbling listeners both run at the target, capture ones first. The
// global object is an event target too (addEventListener and friends are
// globals, as in workers). Evaluated once, at wizer time; returns the
// internal hooks abort.js uses: `flag(target, event)` fires an event, and
// `handler(proto, name)` defines an `on<name>` event handler attribute.
(function installEvents(idl) {
  'use strict';
  const NONE = 0;
  const CAPTURING_PHASE = 1;
  const AT_TARGET = 2;
  const BUBBLING_PHASE = 3;

  let stateOf;
  const isTrusted = { get isTrusted() { return stateOf(this).trusted; } };
  const isTrustedGetter = Object.getOwnPropertyDescriptor(isTrusted, 'isTrusted').get;

  class Event {
    #state;
    static { stateOf = (event) => event.#state; }

    constructor(type, eventInitDict = undefined) {
      if (arguments.length === 0) throw new TypeError("Event: 1 argument required, but only 0 present");
      const init = idl.dictionary(eventInitDict, 'Event');
      this.#state = {
        type: String(type),
        bubbles: Boolean(init.bubbles),
        cancelable: Boolean(init.cancelable),
        composed: Boolean(init.composed),
        target: null,
        currentTarget: null,
        phase: NONE,
        stop: false,
        stopImmediate: false,
        canceled: false,
        passive: false,
        dispatching: false,
        initialized: true,
        trusted: false,
        timeStamp: performanceNow(),
      };
      Object.defineProperty(this, 'isTrusted', { get: isTrustedGetter, enumerable: true, configurable: false });
    }
    get type() { return this.#state.type; }
    get target() { return this.#state.target; }
    get srcElement() { return this.#state.target; }
    get currentTarget() { return this.#state.currentTarget; }
    composedPath() {
      const state = this.#state;
      return state.currentTarget === null ? [] : [state.currentTarget];
    }
    get eventPhase() { return this.#state.phase; }
    stopPropagation() { this.#state.stop = true; }
    get cancelBubble() { return this.#state.stop; }
    set cancelBubble(value) { if (value) this.#state.stop = true; }
    stopImmediatePropagation() {
      this.#state.stop = true;
      this.#state.stopImmediate = true;
    }
    get bubbles() { return this.#state.bubbles; }
    get cancelable() { return this.#state.cancelable; }
    get returnValue() { return !this.#state.canceled; }
    set returnValue(value) { if (!value) cancel(this.#state); }
    preventDefault() { cancel(this.#state); }
    get defaultPrevented() { return this.#state.canceled; }
    get composed() { return this.#state.composed; }
    get timeStamp() { return this.#state.timeStamp; }
    initEvent(type, bubbles = false, cancelable = false) {
      if (arguments.length === 0) throw new TypeError("initEvent: 1 argument required, but only 0 present");
      const state = this.#state;
      if (state.dispatching) return;
      Object.assign(state, {
        type: String(type),
        bubbles: Boolean(bubbles),
        cancelable: Boolean(cancelable),
        initialized: true,
        stop: false,
        stopImmediate: false,
        canceled: false,
        target: null,
      });
    }
  }
  const cancel = (state) => {
    if (state.cancelable && !state.passive) state.canceled = true;
  };
  // Taken now, so code replacing `performance` later cannot break events.
  const performance = globalThis.performance;
  const now = performance.now;
  const performanceNow = () => Reflect.apply(now, performance, []);
  for (const [name, value] of Object.entries({ NONE, CAPTURING_PHASE, AT_TARGET, BUBBLING_PHASE })) {
    idl.constant(Event, name, value);
  }
  idl.interface(Event, 'Event');

  class CustomEvent extends Event {
    #detail;
    constructor(type, eventInitDict = undefined) {
      if (arguments.length === 0) throw new TypeError("CustomEvent: 1 argument required, but only 0 present");
      super(type, eventInitDict);
      const init = idl.dictionary(eventInitDict, 'CustomEvent');
      this.#detail = init.detail === undefined ? null : init.detail;
    }
    get detail() { return this.#detail; }
    initCustomEvent(type, bubbles = false, cancelable = false, detail = null) {
      if (arguments.length === 0) throw new TypeError("initCustomEvent: 1 argument required, but only 0 present");
      if (stateOf(this).dispatching) return;
      this.initEvent(type, bubbles, cancelable);
      this.#detail = detail;
    }
  }
  idl.interface(CustomEvent, 'CustomEvent');

  // ErrorEvent (HTML): what reportError and an uncaught exception in a
  // callback fire at the global object.
  class ErrorEvent extends Event {
    #init;
    constructor(type, eventInitDict = undefined) {
      if (arguments.length === 0) throw new TypeError("ErrorEvent: 1 argument required, but only 0 present");
      super(type, eventInitDict);
      const init = idl.dictionary(eventInitDict, 'ErrorEvent');
      this.#init = {
        message: init.message === undefined ? '' : String(init.message),
        filename: init.filename === undefined ? '' : idl.usv(init.filename),
        lineno: init.lineno === undefined ? 0 : init.lineno >>> 0,
        colno: init.colno === undefined ? 0 : init.colno >>> 0,
        error: init.error,
      };
    }
    get message() { return this.#init.message; }
    get filename() { return this.#init.filename; }
    get lineno() { return this.#init.lineno; }
    get colno() { return this.#init.colno; }
    get error() { return this.#init.error; }
  }
  idl.interface(ErrorEvent, 'ErrorEvent');

  // Listeners by target: a Map from type to a list of
  // { callback, capture, once, passive, removed }.
  const listeners = new WeakMap();
  const targetOf = (value, method) => {
    const target = value === undefined || value === null ? globalThis : value;
    if (!listeners.has(target)) throw new TypeError(`EventTarget.${method}: 'this' is not an EventTarget`);
    return target;
  };
  const flattenCapture = (options) => (typeof options === 'boolean' ? options
    : options !== null && typeof options === 'object' ? Boolean(options.capture) : Boolean(options));
  const checkCallback = (callback, method) => {
    if (callback !== null && typeof callback !== 'function' && typeof callback !== 'object') {
      throw new TypeError(`EventTarget.${method}: the listener must be an object or a function`);
    }
  };

  function removeListener(target, type, listener) {
    const list = listeners.get(target).get(type);
    if (!list) return;
    const index = list.indexOf(listener);
    if (index >= 0) {
      listener.removed = true;
      list.splice(index, 1);
    }
  }

  class EventTarget {
    constructor() {
      listeners.set(this, new Map());
    }
    addEventListener(type, callback, options = undefined) {
      const target = targetOf(this, 'addEventListener');
      if (arguments.length < 2) throw new TypeError('addEventListener: 2 arguments required');
      type = String(type);
      checkCallback(callback, 'addEventListener');
      let capture = false;
      let once = false;
      let passive = false;
      let signal = null;
      if (options !== null && typeof options === 'object') {
        capture = Boolean(options.capture);
        once = Boolean(options.once);
        passive = Boolean(options.passive);
        // A member whose value is undefined is absent, as in any dictionary.
        const given = options.signal;
        if (given !== undefined) {
          if (!abortHooks.isSignal(given)) {
            throw new TypeError("addEventListener: 'signal' member of AddEventListenerOptions is not an AbortSignal");
          }
          signal = given;
        }
      } else {
        capture = Boolean(options);
      }
      if (signal !== null && signal.aborted) return;
      if (callback === null) return;
      const byType = listeners.get(target);
      let list = byType.get(type);
      if (!list) byType.set(type, (list = []));
      if (list.some((l) => l.callback === callback && l.capture === capture)) return;
      const listener = { callback, capture, once, passive, removed: false };
      list.push(listener);
      if (signal !== null) abortHooks.onAbort(signal, () => removeListener(target, type, listener));
    }
    removeEventListener(type, callback, options = undefined) {
      const target = targetOf(this, 'removeEventListener');
      if (arguments.length < 2) throw new TypeError('removeEventListener: 2 arguments required');
      type = String(type);
      checkCallback(callback, 'removeEventListener');
      const capture = flattenCapture(options);
      const list = listeners.get(target).get(type);
      const found = list && list.find((l) => l.callback === callback && l.capture === capture);
      if (found) removeListener(target, type, found);
    }
    dispatchEvent(event) {
      const target = targetOf(this, 'dispatchEvent');
      if (!(event instanceof Event)) throw new TypeError("dispatchEvent: parameter 1 is not of type 'Event'");
      const state = stateOf(event);
      if (state.dispatching || !state.initialized) {
        throw new DOMException('dispatchEvent: the event is already being dispatched', 'InvalidStateError');
      }
      state.trusted = false;
      return dispatch(target, event);
    }
  }
  idl.interface(EventTarget, 'EventTarget');
  listeners.set(globalThis, new Map());
  for (const name of ['addEventListener', 'removeEventListener', 'dispatchEvent']) {
    idl.define(globalThis, name, EventTarget.prototype[name], true);
  }

  function dispatch(target, event) {
    const state = stateOf(event);
    state.dispatching = true;
    state.target = target;
    state.currentTarget = target;
    state.phase = AT_TARGET;
    if (!state.stop) {
      const list = listeners.get(target).get(state.type);
      if (list && list.length > 0) {
        // Capture listeners first, then the others, each in the order added;
        // listeners added during the dispatch do not run.
        const snapshot = list.slice();
        invoke(target, event, state, snapshot.filter((l) => l.capture));
        if (!state.stopImmediate) invoke(target, event, state, snapshot.filter((l) => !l.capture));
      }
    }
    state.phase = NONE;
    state.currentTarget = null;
    state.dispatching = false;
    state.stop = false;
    state.stopImmediate = false;
    return !state.canceled;
  }

  function invoke(target, event, state, list) {
    for (const listener of list) {
      if (listener.removed) continue;
      if (listener.once) removeListener(target, state.type, listener);
      state.passive = listener.passive;
      try {
        const callback = listener.callback;
        if (typeof callback === 'function') {
          callback.call(target, event);
        } else {
          const handleEvent = callback.handleEvent;
          if (typeof handleEvent !== 'function') throw new TypeError("the listener's handleEvent is not a function");
          handleEvent.call(callback, event);
        }
      } catch (error) {
        globalThis.reportError(error);
      }
      state.passive = false;
      if (state.stopImmediate) break;
    }
  }

  // Set by abort.js (AbortSignal comes after EventTarget).
  const abortHooks = {
    isSignal: () => false,
    onAbort: () => {},
  };

  // An `on<name>` event handler attribute: the first non-null value set adds
  // one listener, in that position; later values replace what it calls.
  const handlers = new WeakMap();
  function handler(proto, name) {
    const key = 'on' + name;
    Object.defineProperty(proto, key, {
      get: { [`get ${key}`]() {
        targetOf(this, key);
        const slot = handlers.get(this);
        return (slot && slot[key] && slot[key].value) || null;
      } }[`get ${key}`],
      set: { [`set ${key}`](value) {
        const target = targetOf(this, key);
        let slot = handlers.get(target);
        if (!slot) handlers.set(target, (slot = {}));
        const callable = typeof value === 'function' || (value !== null && typeof value === 'object') ? value : null;
        const current = slot[key];
        if (callable === null) {
          if (current) {
            removeListener(target, name, current.listener);
            slot[key] = undefined;
          }
          return;
        }
        if (current) {
          current.value = callable;
          return;
        }
        const entry = { value: callable, listener: null };
        entry.listener = {
          callback(event) {
            const f = entry.value;
            if (typeof f !== 'function') return undefined;
            const result = f.call(this, event);
            if (result === false) event.preventDefault();
            return result;
          },
          capture: false,
          once: false,
          passive: false,
          removed: false,
        };
        let list = listeners.get(target).get(name);
        if (!list) listeners.get(target).set(name, (list = []));
        list.push(entry.listener);
        slot[key] = entry;
      } }[`set ${key}`],
      enumerable: true,
      configurable: true,
    });
  }

  // Fires an event the platform itself raises (isTrusted true).
  function fire(target, type, event = new Event(type)) {
    stateOf(event).trusted = true;
    dispatch(target, event);
    return event;
  }

  // HTML's "report an exception": an ErrorEvent at the global object; the
  // console line (web.js's reportError) only when no listener cancelled it.
  // An exception while reporting one is only logged.
  const log = globalThis.reportError;
  let reporting = false;
  idl.define(globalThis, 'reportError', function reportError(error) {
    if (arguments.length === 0) throw new TypeError('reportError: 1 argument required, but only 0 present');
    if (reporting) {
      log(error);
      return;
    }
    let message;
    try {
      message = error instanceof Error ? `Uncaught ${error.name}: ${error.message}` : `Uncaught ${String(error)}`;
    } catch (_) {
      message = 'Uncaught exception';
    }
    const event = new ErrorEvent('error', { message, error, cancelable: true });
    reporting = true;
    try {
      fire(globalThis, 'error', event);
    } finally {
      reporting = false;
    }
    if (!stateOf(event).canceled) log(error);
  });

  return { fire, handler, abortHooks };
})
