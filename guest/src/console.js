// The sandbox's console. Evaluated once, at wizer time; `write` is the host's
// console import, kept in this closure so user code cannot reach it.
(function installConsole(write) {
  'use strict';
  const MAX_LINE = 64 * 1024;
  const MAX_ITEMS = 100;
  const MAX_DEPTH = 2;
  const levels = { debug: 0, info: 1, log: 2, warn: 3, error: 4 };
  const objectToString = Object.prototype.toString;
  const isArray = Array.isArray;
  const getKeys = Object.keys;
  let open = true;

  function quote(text) {
    return "'" + text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n') + "'";
  }

  function describeError(error) {
    let head;
    try {
      head = String(error.name) + ': ' + String(error.message);
    } catch (_) {
      head = 'Error';
    }
    let stack = '';
    try {
      stack = typeof error.stack === 'string' ? error.stack.trimEnd() : '';
    } catch (_) {}
    return stack ? head + '\n' + stack : head;
  }

  function inspect(value, depth, seen, nested) {
    switch (typeof value) {
      case 'string':
        return nested ? quote(value) : value;
      case 'number':
        return Object.is(value, -0) ? '-0' : String(value);
      case 'bigint':
        return String(value) + 'n';
      case 'symbol':
        return value.toString();
      case 'undefined':
        return 'undefined';
      case 'boolean':
        return String(value);
      case 'function': {
        const source = Function.prototype.toString.call(value);
        const name = value.name ? value.name : '(anonymous)';
        return source.startsWith('class') ? '[class ' + name + ']' : '[Function: ' + name + ']';
      }
    }
    if (value === null) return 'null';
    if (seen.includes(value)) return '[Circular]';
    const tag = objectToString.call(value);
    if (value instanceof Error) return describeError(value);
    if (tag === '[object Date]') {
      return isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
    }
    if (tag === '[object RegExp]') return String(value);
    if (tag === '[object Promise]') return 'Promise {}';
    if (depth > MAX_DEPTH) return isArray(value) ? '[Array]' : '[Object]';
    seen.push(value);
    try {
      if (isArray(value) || ArrayBuffer.isView(value)) {
        const parts = [];
        const length = value.length;
        for (let i = 0; i < length && i < MAX_ITEMS; i++) {
          parts.push(inspect(value[i], depth + 1, seen, true));
        }
        if (length > MAX_ITEMS) parts.push('... ' + (length - MAX_ITEMS) + ' more items');
        const prefix = isArray(value) ? '' : value.constructor.name + '(' + length + ') ';
        return prefix + (parts.length ? '[ ' + parts.join(', ') + ' ]' : '[]');
      }
      if (value instanceof Map || value instanceof Set) {
        const parts = [];
        for (const entry of value) {
          if (parts.length >= MAX_ITEMS) {
            parts.push('...');
            break;
          }
          parts.push(value instanceof Map
            ? inspect(entry[0], depth + 1, seen, true) + ' => ' + inspect(entry[1], depth + 1, seen, true)
            : inspect(entry, depth + 1, seen, true));
        }
        const kind = value instanceof Map ? 'Map' : 'Set';
        return kind + '(' + value.size + ') ' + (parts.length ? '{ ' + parts.join(', ') + ' }' : '{}');
      }
      const keys = getKeys(value);
      const parts = [];
      for (let i = 0; i < keys.length && i < MAX_ITEMS; i++) {
        const key = keys[i];
        let item;
        try {
          item = inspect(value[key], depth + 1, seen, true);
        } catch (_) {
          item = '[Getter threw]';
        }
        const label = /^[A-Za-z_$][\w$]*$/.test(key) ? key : quote(key);
        parts.push(label + ': ' + item);
      }
      if (keys.length > MAX_ITEMS) parts.push('... ' + (keys.length - MAX_ITEMS) + ' more keys');
      let prefix = '';
      const proto = Object.getPrototypeOf(value);
      if (proto === null) {
        prefix = '[Object: null prototype] ';
      } else if (proto !== Object.prototype && proto.constructor && proto.constructor.name) {
        prefix = proto.constructor.name + ' ';
      }
      return prefix + (parts.length ? '{ ' + parts.join(', ') + ' }' : '{}');
    } finally {
      seen.pop();
    }
  }

  // printf-style substitutions in a leading string, as consoles do.
  function format(args) {
    let first = 0;
    let out = '';
    if (typeof args[0] === 'string' && args.length > 1 && args[0].includes('%')) {
      let next = 1;
      out = args[0].replace(/%[sdifjoOc%]/g, (spec) => {
        if (spec === '%%') return '%';
        if (next >= args.length) return spec;
        const arg = args[next++];
        switch (spec) {
          case '%s': return typeof arg === 'string' ? arg : inspect(arg, 1, [], false);
          case '%d': case '%i': return typeof arg === 'bigint' ? arg + 'n' : String(spec === '%i' ? parseInt(arg) : Number(arg));
          case '%f': return String(parseFloat(arg));
          case '%j': try { return JSON.stringify(arg); } catch (_) { return '[Circular]'; }
          case '%c': return '';
          default: return inspect(arg, 0, [], true);
        }
      });
      first = next;
    } else if (args.length > 0) {
      out = inspect(args[0], 0, [], false);
      first = 1;
    }
    for (let i = first; i < args.length && out.length <= MAX_LINE; i++) {
      out += ' ' + inspect(args[i], 0, [], false);
    }
    return out.length > MAX_LINE ? out.slice(0, MAX_LINE) + '… (line truncated)' : out;
  }

  function emit(level, args) {
    if (!open) return;
    let line;
    try {
      line = format(args);
    } catch (error) {
      line = '[console could not format its arguments: ' + String(error) + ']';
    }
    open = write(level, line);
  }

  const counts = new Map();
  const console = {
    debug(...args) { emit(levels.debug, args); },
    info(...args) { emit(levels.info, args); },
    log(...args) { emit(levels.log, args); },
    warn(...args) { emit(levels.warn, args); },
    error(...args) { emit(levels.error, args); },
    trace(...args) {
      const stack = (new Error().stack || '').split('\n').slice(1).join('\n');
      emit(levels.debug, ['Trace' + (args.length ? ': ' + format(args) : '') + (stack ? '\n' + stack : '')]);
    },
    dir(value) { emit(levels.log, [value]); },
    assert(condition, ...args) {
      if (!condition) emit(levels.error, ['Assertion failed' + (args.length ? ': ' + format(args) : '')]);
    },
    count(label = 'default') {
      const n = (counts.get(label) || 0) + 1;
      counts.set(label, n);
      emit(levels.info, [label + ': ' + n]);
    },
  };
  Object.defineProperty(globalThis, 'console', {
    value: console, writable: true, enumerable: false, configurable: true,
  });
})
