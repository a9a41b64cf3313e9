// setTimeout, setInterval and their clear functions. Evaluated once, at wizer
// time. `schedule(id, ms)` and `cancel(id)` are the host side's timer queue
// (guest/src/timers.rs); it calls the returned `fire(id)` when a timer is due.
(function installTimers(schedule, cancel) {
  'use strict';
  const timers = new Map();
  let nextId = 1;
  const delay = (ms) => {
    const n = Number(ms);
    return n > 0 && n < 2147483648 ? Math.floor(n) : 0;
  };
  const start = (callback, ms, args, repeat) => {
    if (typeof callback !== 'function') {
      throw new TypeError('the callback must be a function');
    }
    const id = nextId++;
    const wait = delay(ms);
    timers.set(id, { callback, args, every: repeat ? wait : null });
    schedule(id, wait);
    return id;
  };
  const clear = (id) => {
    if (timers.delete(id)) cancel(id);
  };
  const define = (name, value) => Object.defineProperty(globalThis, name, {
    value, writable: true, enumerable: false, configurable: true,
  });
  define('setTimeout', function setTimeout(callback, ms, ...args) { return start(callback, ms, args, false); });
  define('setInterval', function setInterval(callback, ms, ...args) { return start(callback, ms, args, true); });
  define('clearTimeout', function clearTimeout(id) { clear(id); });
  define('clearInterval', function clearInterval(id) { clear(id); });
  return function fire(id) {
    const timer = timers.get(id);
    if (timer === undefined) return;
    if (timer.every === null) timers.delete(id); else schedule(id, timer.every);
    timer.callback(...timer.args);
  };
})
