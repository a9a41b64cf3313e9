// Deep recursion is a catchable RangeError, never memory corruption.
function depth(n) { return depth(n + 1) + 1; }
try {
  depth(0);
} catch (error) {
  `${error.name}: ${error.message}`;
}
