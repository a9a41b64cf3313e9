// The WPT runner's prelude: evaluated before testharness.js in every test
// file's sandbox, never part of isobox itself. It gives the sloppy-mode
// scripts what the WPT server and a worker global would: `self`, a `GLOBAL`
// that is neither window nor worker (so testharness.js picks its shell
// environment), a `location` for the test's URL, and a `fetch` that serves
// the WPT files the runner passed in `input.files` (path from the WPT root ->
// text), resolved against the test's own path.
globalThis.self = globalThis;
(function wptPrelude(given) {
  'use strict';
  const files = given.files;
  const origin = 'http://web-platform.test:8000';
  const testUrl = origin + '/' + given.path;
  self.GLOBAL = {
    isWindow() { return false; },
    isWorker() { return false; },
    isShadowRealm() { return false; },
  };
  const searchAt = testUrl.indexOf('?');
  self.location = {
    href: testUrl,
    origin,
    protocol: 'http:',
    host: 'web-platform.test:8000',
    hostname: 'web-platform.test',
    port: '8000',
    pathname: '/' + given.path,
    search: searchAt < 0 ? '' : testUrl.slice(searchAt),
    hash: '',
    toString() { return testUrl; },
  };
  // Joins `url` to the test's directory and normalises `.` and `..`.
  const resolve = (url) => {
    let path = String(url);
    if (path.startsWith(origin)) path = path.slice(origin.length);
    const parts = path.startsWith('/') ? [] : given.path.split('/').slice(0, -1);
    for (const part of path.split(/[?#]/)[0].split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') parts.pop(); else parts.push(part);
    }
    return parts.join('/');
  };
  const response = (url, text) => ({
    ok: text !== undefined,
    status: text === undefined ? 404 : 200,
    url,
    text: () => Promise.resolve(text === undefined ? '' : text),
    json: () => Promise.resolve().then(() => JSON.parse(text)),
    arrayBuffer: () => Promise.resolve(new TextEncoder().encode(text === undefined ? '' : text).buffer),
  });
  self.fetch = function fetch(url) {
    const path = resolve(url);
    return Promise.resolve(response(origin + '/' + path, files[path]));
  };

  // common/sab.js makes SharedArrayBuffers through
  // `new WebAssembly.Memory({ shared: true }).buffer.constructor`, as
  // browsers hide the constructor; QuickJS has no WebAssembly but has
  // SharedArrayBuffer, which this hands over.
  if (typeof WebAssembly === 'undefined' && typeof SharedArrayBuffer === 'function') {
    self.WebAssembly = {
      Memory: function Memory(descriptor) {
        if (!descriptor || !descriptor.shared) throw new TypeError('wpt prelude: only shared memories');
        this.buffer = new SharedArrayBuffer(0);
      },
    };
  }
})(input);
