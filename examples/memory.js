// Keeps allocating until the sandbox's memory limit stops it.
// What it does, as tests/integration/examples.rs checks it:
// $ isobox run examples/memory.js --memory-mib 16
// exit 3
// stderr error [run / memory-limit]: the sandbox reached its memory limit of 16777216 bytes
const hoard = [];
while (true) hoard.push(new Array(100_000).fill(hoard.length));
