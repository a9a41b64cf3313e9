// A syntax error: the message names its line and column.
// What it does, as tests/integration/examples.rs checks it:
// $ isobox run examples/broken.js
// exit 1
// stderr error [compile / syntax-error] at line 9, column 15: SyntaxError: Unexpected token '{'

const total = [1, 2, 3].reduce((a, b) => a + b, 0);

if (total > 5 {
  console.log(total);
}
