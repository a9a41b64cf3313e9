// Keeps allocating until the sandbox's memory limit stops it.
const hoard = [];
while (true) hoard.push(new Array(100_000).fill(hoard.length));
