// Each run starts from the same pristine snapshot: whatever this run leaves
// behind (a global, a polluted prototype, a patched built-in) is gone next time.
// What it does, as tests/integration/examples.rs checks it:
// $ isobox run examples/fresh.js --repeat 3
// exit 0
// stdout run 1: {"runs":1,"pristine":true,
// stdout run 3: {"runs":1,"pristine":true,
// stderr 3 runs, each in a fresh sandbox
globalThis.runs = (globalThis.runs ?? 0) + 1;
const pristine = !('polluted' in Object.prototype) && JSON.stringify({ a: 1 }) === '{"a":1}';
Object.prototype.polluted = true;
JSON.stringify = () => 'hijacked';
({ runs, pristine, random: Math.random() })
