// The WPT runner's hook, evaluated right after testharness.js: each subtest
// result and the harness status become one console line, marked so the
// runner can tell them from the test's own output, and `__wptDone` settles
// when the harness completes. A file still running after `input.timeoutMs`
// is timed out through testharness.js's own `timeout()`.
(function wptReport(given) {
  'use strict';
  const mark = '\u0001wpt ';
  const clip = (text) => {
    const s = text == null ? '' : String(text);
    return s.length > 400 ? s.slice(0, 400) + '…' : s;
  };
  add_result_callback((test) => {
    console.log(mark + JSON.stringify({ name: String(test.name), status: test.status, message: clip(test.message) }));
  });
  globalThis.__wptDone = new Promise((resolve) => {
    add_completion_callback((tests, status) => {
      console.log(mark + JSON.stringify({ harness: status.status, message: clip(status.message) }));
      resolve(status.status);
    });
  });
  setTimeout(() => timeout(), given.timeoutMs);
})(input);
