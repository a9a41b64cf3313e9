// Never ends: the host's wall-clock limit (or fuel budget) stops it.
// What it does, as tests/integration/examples.rs checks it:
// $ isobox run examples/spin.js --wall-time-ms 200 --fuel 1000000000000
// exit 3
// stderr error [run / timeout]: the run exceeded its wall-clock limit of 200 ms
// $ isobox run examples/spin.js --fuel 50000000
// exit 3
// stderr error [run / cpu-limit]: the run used its whole fuel budget of 50000000
while (true) {}
