// Each run starts from the same pristine snapshot: whatever this run leaves
// behind (a global, a polluted prototype, a patched built-in) is gone next time.
globalThis.runs = (globalThis.runs ?? 0) + 1;
const pristine = !('polluted' in Object.prototype) && JSON.stringify({ a: 1 }) === '{"a":1}';
Object.prototype.polluted = true;
JSON.stringify = () => 'hijacked';
({ runs, pristine, random: Math.random() })
