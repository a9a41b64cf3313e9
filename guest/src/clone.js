// structuredClone(value, { transfer }) by the HTML standard's structured
// clone algorithm, serialising and deserialising in one walk: primitives,
// BigInt, the wrapper objects, Date, RegExp, ArrayBuffer (resizable ones
// too), typed arrays, DataView, Map, Set, Array (holes kept), plain objects,
// Error types (with their `cause`) and DOMException, with cycles and shared references kept.
// Blob and File (registered by blob.js through `idl.serializable`) too.
// Functions, symbols, WeakMap, Promise, proxies and other platform objects
// throw a DataCloneError. ArrayBuffers in `transfer` are moved: the clone
// owns their bytes and the originals are detached.
//
// `classId(value)` is QuickJS's class id of an object (0 for primitives), a
// brand check nothing in JS can spoof; `detach(buffer)` detaches an
// ArrayBuffer. Evaluated once, at wizer time.
(function installClone(idl, classId, detach) {
  'use strict';
  // What each built-in class id is, from a sample of each class.
  const kinds = new Map();
  const kind = (name, sample) => kinds.set(classId(sample), name);
  kind('Object', {});
  kind('Object', (function () { return arguments; })());
  kind('Array', []);
  kind('Error', new Error());
  kind('Number', Object(0));
  kind('String', Object(''));
  kind('Boolean', Object(false));
  kind('BigInt', Object(0n));
  kind('Date', new Date(0));
  kind('RegExp', /x/);
  kind('ArrayBuffer', new ArrayBuffer(0));
  if (typeof SharedArrayBuffer === 'function') kind('SharedArrayBuffer', new SharedArrayBuffer(0));
  kind('DataView', new DataView(new ArrayBuffer(0)));
  kind('Map', new Map());
  kind('Set', new Set());
  const typedArrays = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array,
    Uint32Array, BigInt64Array, BigUint64Array, Float32Array, Float64Array];
  if (typeof Float16Array === 'function') typedArrays.push(Float16Array);
  const typedArrayById = new Map();
  for (const Type of typedArrays) {
    kind('TypedArray', new Type(0));
    typedArrayById.set(classId(new Type(0)), Type);
  }

  // Intrinsics, taken now so that code changing the prototypes later cannot
  // change what a clone does.
  const { getPrototypeOf, keys, defineProperty, getOwnPropertyDescriptor } = Object;
  const hasOwn = Object.prototype.hasOwnProperty;
  const valueOf = {
    Number: Number.prototype.valueOf,
    String: String.prototype.valueOf,
    Boolean: Boolean.prototype.valueOf,
    BigInt: BigInt.prototype.valueOf,
  };
  const getTime = Date.prototype.getTime;
  const getter = (proto, name) => getOwnPropertyDescriptor(proto, name).get;
  const regExpSource = getter(RegExp.prototype, 'source');
  const regExpFlags = getter(RegExp.prototype, 'flags');
  const bufferLength = getter(ArrayBuffer.prototype, 'byteLength');
  const bufferResizable = getter(ArrayBuffer.prototype, 'resizable');
  const bufferMaxLength = getter(ArrayBuffer.prototype, 'maxByteLength');
  const bufferDetached = getter(ArrayBuffer.prototype, 'detached');
  const TypedArrayPrototype = getPrototypeOf(Uint8Array.prototype);
  const viewBuffer = getter(TypedArrayPrototype, 'buffer');
  const viewOffset = getter(TypedArrayPrototype, 'byteOffset');
  const viewLength = getter(TypedArrayPrototype, 'length');
  const dataViewBuffer = getter(DataView.prototype, 'buffer');
  const dataViewOffset = getter(DataView.prototype, 'byteOffset');
  const dataViewLength = getter(DataView.prototype, 'byteLength');
  const typedArraySet = TypedArrayPrototype.set;
  const mapForEach = Map.prototype.forEach;
  const mapSet = Map.prototype.set;
  const setForEach = Set.prototype.forEach;
  const setAdd = Set.prototype.add;
  const domExceptionName = getter(DOMException.prototype, 'name');
  const errorTypes = { EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };
  const call = (f, self, ...args) => Reflect.apply(f, self, args);

  // Platform objects that are serializable (Blob and File): a prelude
  // installed later registers how to test for and copy its objects.
  const serializable = [];
  idl.define(idl, 'serializable', (isInstance, copy) => {
    serializable[serializable.length] = [isInstance, copy];
  });

  const cannot = (what) => new DOMException(`structuredClone: ${what} could not be cloned`, 'DataCloneError');

  function isDOMException(value) {
    try {
      call(domExceptionName, value);
      return true;
    } catch (_) {
      return false;
    }
  }

  function describe(value) {
    if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
    if (typeof value === 'symbol') return 'a symbol';
    try {
      return `#<${Object.prototype.toString.call(value).slice(8, -1)}>`;
    } catch (_) {
      return 'an object';
    }
  }

  function cloneBuffer(buffer) {
    if (call(bufferDetached, buffer)) throw cannot('a detached ArrayBuffer');
    const length = call(bufferLength, buffer);
    const copy = call(bufferResizable, buffer)
      ? new ArrayBuffer(length, { maxByteLength: call(bufferMaxLength, buffer) })
      : new ArrayBuffer(length);
    call(typedArraySet, new Uint8Array(copy), new Uint8Array(buffer));
    return copy;
  }

  function clone(value, memory) {
    const type = typeof value;
    if (value === null || (type !== 'object' && type !== 'function')) {
      if (type === 'symbol') throw cannot(describe(value));
      return value;
    }
    const seen = memory.get(value);
    if (seen !== undefined) return seen;
    if (type === 'function') throw cannot(describe(value));
    if (idl.isPlatformObject(value)) {
      for (const [isInstance, copy] of serializable) {
        if (isInstance(value)) {
          const output = copy(value);
          memory.set(value, output);
          return output;
        }
      }
    }
    const name = kinds.get(classId(value));
    if (name === undefined || (idl.isPlatformObject(value) && !isDOMException(value))) {
      throw cannot(describe(value));
    }
    let output;
    switch (name) {
      case 'Number':
      case 'String':
      case 'Boolean':
      case 'BigInt':
        output = Object(call(valueOf[name], value));
        memory.set(value, output);
        return output;
      case 'Date':
        output = new Date(call(getTime, value));
        memory.set(value, output);
        return output;
      case 'RegExp':
        output = new RegExp(call(regExpSource, value), call(regExpFlags, value));
        memory.set(value, output);
        return output;
      case 'ArrayBuffer':
        output = cloneBuffer(value);
        memory.set(value, output);
        return output;
      case 'SharedArrayBuffer':
        throw cannot('a SharedArrayBuffer (the sandbox is not cross-origin isolated)');
      case 'TypedArray': {
        const buffer = clone(call(viewBuffer, value), memory);
        const Type = typedArrayById.get(classId(value));
        output = new Type(buffer, call(viewOffset, value), call(viewLength, value));
        memory.set(value, output);
        return output;
      }
      case 'DataView': {
        const buffer = clone(call(dataViewBuffer, value), memory);
        output = new DataView(buffer, call(dataViewOffset, value), call(dataViewLength, value));
        memory.set(value, output);
        return output;
      }
      case 'Map': {
        output = new Map();
        memory.set(value, output);
        const entries = [];
        call(mapForEach, value, (v, k) => { entries[entries.length] = k; entries[entries.length] = v; });
        for (let i = 0; i < entries.length; i += 2) {
          call(mapSet, output, clone(entries[i], memory), clone(entries[i + 1], memory));
        }
        return output;
      }
      case 'Set': {
        output = new Set();
        memory.set(value, output);
        const items = [];
        call(setForEach, value, (v) => { items[items.length] = v; });
        for (let i = 0; i < items.length; i++) call(setAdd, output, clone(items[i], memory));
        return output;
      }
      case 'Error': {
        if (isDOMException(value)) {
          output = new DOMException(String(value.message), call(domExceptionName, value));
          memory.set(value, output);
          return output;
        }
        const errorName = value.name;
        const Type = typeof errorName === 'string' && call(hasOwn, errorTypes, errorName) ? errorTypes[errorName] : Error;
        const messageDescriptor = getOwnPropertyDescriptor(value, 'message');
        const stackDescriptor = getOwnPropertyDescriptor(value, 'stack');
        output = new Type();
        if (messageDescriptor !== undefined && 'value' in messageDescriptor) {
          defineProperty(output, 'message', {
            value: String(messageDescriptor.value), writable: true, enumerable: false, configurable: true,
          });
        }
        if (stackDescriptor !== undefined && typeof stackDescriptor.value === 'string') {
          defineProperty(output, 'stack', {
            value: stackDescriptor.value, writable: true, enumerable: false, configurable: true,
          });
        }
        memory.set(value, output);
        // `cause` is cloned too (an own data property only), after the
        // error is in memory so a cause that points back is a cycle kept.
        const causeDescriptor = getOwnPropertyDescriptor(value, 'cause');
        if (causeDescriptor !== undefined && 'value' in causeDescriptor) {
          defineProperty(output, 'cause', {
            value: clone(causeDescriptor.value, memory), writable: true, enumerable: false, configurable: true,
          });
        }
        return output;
      }
      case 'Array':
        output = new Array(value.length);
        break;
      default:
        output = {};
    }
    // An array or a plain object: its own enumerable string-keyed properties,
    // read one at a time (a getter may delete a later one).
    memory.set(value, output);
    for (const key of keys(value)) {
      if (!call(hasOwn, value, key)) continue;
      defineProperty(output, key, { value: clone(value[key], memory), writable: true, enumerable: true, configurable: true });
    }
    return output;
  }

  function structuredClone(value, options = undefined) {
    if (arguments.length === 0) throw new TypeError('structuredClone: 1 argument required, but only 0 present');
    const transfer = [];
    const dictionary = idl.dictionary(options, 'structuredClone');
    if (dictionary.transfer !== undefined) {
      const list = dictionary.transfer;
      if (list === null || typeof list !== 'object' || typeof list[Symbol.iterator] !== 'function') {
        throw new TypeError("structuredClone: 'transfer' must be a sequence");
      }
      for (const item of list) {
        if (kinds.get(classId(item)) !== 'ArrayBuffer') {
          throw cannot(`${describe(item)} in the transfer list (only ArrayBuffers can be transferred)`);
        }
        if (transfer.includes(item)) throw cannot('an ArrayBuffer listed twice in the transfer list');
        if (call(bufferDetached, item)) throw cannot('a detached ArrayBuffer in the transfer list');
        transfer[transfer.length] = item;
      }
    }
    const memory = new Map();
    const output = clone(value, memory);
    for (const buffer of transfer) {
      // A transferred buffer not reached from the value still moves.
      if (!memory.has(buffer)) memory.set(buffer, cloneBuffer(buffer));
      detach(buffer);
    }
    return output;
  }
  idl.define(globalThis, 'structuredClone', structuredClone);
})
