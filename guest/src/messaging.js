// MessageEvent, MessageChannel and MessagePort (HTML): two entangled ports in
// one sandbox. postMessage structured-clones the message (transferring the
// ArrayBuffers listed) and queues a task on the sandbox's timers that fires
// a `message` event at the other port. A port's queue is held until start()
// is called or `onmessage` is set; close() disentangles both ports. Evaluated
// once, at wizer time, after events.js (whose hooks it receives) and
// clone.js.
(function installMessaging(idl, events) {
  'use strict';
  const setTimeout = globalThis.setTimeout;
  const structuredClone = globalThis.structuredClone;
  const EventTarget = globalThis.EventTarget;
  const Event = globalThis.Event;
  const create = Symbol('create');

  class MessageEvent extends Event {
    #init;
    constructor(type, eventInitDict = undefined) {
      if (arguments.length === 0) throw new TypeError('MessageEvent: 1 argument required, but only 0 present');
      super(type, eventInitDict);
      const init = idl.dictionary(eventInitDict, 'MessageEvent');
      const ports = init.ports === undefined ? [] : [...init.ports];
      if (ports.some((port) => !(port instanceof MessagePort))) {
        throw new TypeError('MessageEvent: every entry of ports must be a MessagePort');
      }
      this.#init = {
        data: init.data === undefined ? null : init.data,
        origin: init.origin === undefined ? '' : idl.usv(init.origin),
        lastEventId: init.lastEventId === undefined ? '' : String(init.lastEventId),
        source: init.source === undefined ? null : init.source,
        ports: Object.freeze(ports),
      };
    }
    get data() { return this.#init.data; }
    get origin() { return this.#init.origin; }
    get lastEventId() { return this.#init.lastEventId; }
    get source() { return this.#init.source; }
    get ports() { return this.#init.ports; }
  }
  idl.interface(MessageEvent, 'MessageEvent');

  let stateOf;
  class MessagePort extends EventTarget {
    #state = { other: null, started: false, closed: false, queue: [] };
    static { stateOf = (port) => port.#state; }
    constructor(token = undefined) {
      if (token !== create) throw idl.illegal('MessagePort');
      super();
    }
    postMessage(message, options = undefined) {
      const state = stateOf(this);
      let transfer = [];
      if (Array.isArray(options)) transfer = options;
      else if (options !== undefined && options !== null) {
        const dictionary = idl.dictionary(options, 'MessagePort.postMessage');
        if (dictionary.transfer !== undefined) transfer = dictionary.transfer;
      }
      for (const item of transfer) {
        if (item === this) throw new DOMException('postMessage: a port cannot transfer itself', 'DataCloneError');
      }
      // Cloned (and transferred) even when nobody will receive it.
      const data = structuredClone(message, { transfer });
      const target = state.other;
      if (target === null || state.closed) return;
      enqueue(target, data);
    }
    start() {
      const state = stateOf(this);
      if (state.started) return;
      state.started = true;
      for (const data of state.queue.splice(0)) deliverLater(this, data);
    }
    close() {
      const state = stateOf(this);
      state.closed = true;
      const other = state.other;
      state.other = null;
      if (other !== null) stateOf(other).other = null;
    }
  }
  events.handler(MessagePort.prototype, 'message');
  events.handler(MessagePort.prototype, 'messageerror');
  // Setting onmessage starts the port, as the standard says.
  const onmessage = Object.getOwnPropertyDescriptor(MessagePort.prototype, 'onmessage');
  Object.defineProperty(MessagePort.prototype, 'onmessage', {
    ...onmessage,
    set: { 'set onmessage'(value) {
      onmessage.set.call(this, value);
      if (this instanceof MessagePort) this.start();
    } }['set onmessage'],
  });
  idl.interface(MessagePort, 'MessagePort');

  function enqueue(port, data) {
    const state = stateOf(port);
    if (state.started) deliverLater(port, data);
    else state.queue.push(data);
  }

  function deliverLater(port, data) {
    setTimeout(() => {
      if (stateOf(port).closed) return;
      events.fire(port, 'message', new MessageEvent('message', { data }));
    }, 0);
  }

  class MessageChannel {
    #port1;
    #port2;
    constructor() {
      this.#port1 = new MessagePort(create);
      this.#port2 = new MessagePort(create);
      stateOf(this.#port1).other = this.#port2;
      stateOf(this.#port2).other = this.#port1;
    }
    get port1() { return this.#port1; }
    get port2() { return this.#port2; }
  }
  idl.interface(MessageChannel, 'MessageChannel');
})
