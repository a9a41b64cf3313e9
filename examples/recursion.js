// Deep recursion is a catchable RangeError, never memory corruption.
// What it does, as tests/integration/examples.rs checks it:
// $ isobox run examples/recursion.js
// exit 0
// stdout "RangeError: Maximum call stack size exceeded"
function depth(n) { return depth(n + 1) + 1; }
try {
  depth(0);
} catch (error) {
  `${error.name}: ${error.message}`;
}
