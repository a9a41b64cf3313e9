// TextEncoder and TextDecoder (WHATWG Encoding standard). TextEncoder
// writes UTF-8, the only encoding it has; TextDecoder reads every encoding
// the standard names (by any of its labels), streaming, with `fatal` and
// `ignoreBOM`. Evaluated once, at wizer time.
//
// `lookup(label)` is the standard's encoding name (lower case) for a label,
// or undefined; `newDecoder(name, ignoreBOM)` makes a native decoder;
// `decode(decoder, bytes, last, fatal)` decodes a Uint8Array with it;
// `utf8Encode(text)` is a Uint8Array of UTF-8 (lone surrogates as U+FFFD).
(function installEncoding(idl, lookup, newDecoder, decode, utf8Encode) {
  'use strict';
  const empty = new Uint8Array(0);

  class TextEncoder {
    // Only a brand: the getters and methods refuse other objects.
    #brand = true;
    get encoding() {
      if (!(#brand in this)) throw new TypeError("TextEncoder.encoding: 'this' is not a TextEncoder");
      return 'utf-8';
    }
    encode(input = '') {
      if (!(#brand in this)) throw new TypeError("TextEncoder.encode: 'this' is not a TextEncoder");
      return utf8Encode(idl.usv(input));
    }
    encodeInto(source, destination) {
      if (!(#brand in this)) throw new TypeError("TextEncoder.encodeInto: 'this' is not a TextEncoder");
      if (arguments.length < 2) throw new TypeError('TextEncoder.encodeInto: 2 arguments required');
      if (!(destination instanceof Uint8Array)) {
        throw new TypeError('TextEncoder.encodeInto: the destination must be a Uint8Array');
      }
      const text = idl.usv(source);
      const room = destination.length;
      let read = 0;
      let written = 0;
      // Whole scalar values only, as many as fit.
      for (let i = 0; i < text.length; i++) {
        const code = text.charCodeAt(i);
        let size;
        let units = 1;
        if (code < 0x80) size = 1;
        else if (code < 0x800) size = 2;
        else if (code >= 0xd800 && code <= 0xdbff) {
          size = 4;
          units = 2;
        } else size = 3;
        if (written + size > room) break;
        if (size === 1) {
          destination[written] = code;
        } else {
          destination.set(utf8Encode(text.slice(i, i + units)), written);
        }
        written += size;
        read += units;
        i += units - 1;
      }
      return { read, written };
    }
  }
  idl.interface(TextEncoder, 'TextEncoder');

  class TextDecoder {
    #encoding;
    #fatal;
    #ignoreBOM;
    #decoder = null;
    #doNotFlush = false;

    constructor(label = 'utf-8', options = undefined) {
      const name = lookup(String(label));
      if (name === undefined || name === 'replacement') {
        throw new RangeError(`TextDecoder: "${label}" is not a supported encoding label`);
      }
      const init = idl.dictionary(options, 'TextDecoder');
      this.#encoding = name;
      this.#fatal = Boolean(init.fatal);
      this.#ignoreBOM = Boolean(init.ignoreBOM);
    }
    get encoding() { return this.#encoding; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    decode(input = undefined, options = undefined) {
      let bytes = empty;
      if (input !== undefined) {
        bytes = idl.bytes(input);
        if (bytes === null) throw new TypeError('TextDecoder.decode: the input must be an ArrayBuffer or a view of one');
      }
      const stream = Boolean(idl.dictionary(options, 'TextDecoder.decode').stream);
      if (!this.#doNotFlush || this.#decoder === null) this.#decoder = newDecoder(this.#encoding, this.#ignoreBOM);
      this.#doNotFlush = stream;
      return decode(this.#decoder, bytes, !stream, this.#fatal);
    }
  }
  idl.interface(TextDecoder, 'TextDecoder');
})
