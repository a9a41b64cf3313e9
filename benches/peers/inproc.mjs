// Latency per run of the in-process peers and of a process per run, for
// scripts/peers/run.sh. One invocation measures one peer on one workload:
// a check that the first run gives the expected answer, WARMUP untimed runs,
// then ROUNDS rounds of RUNS timed runs, each run a fresh sandbox (or a
// fresh process), one after another. Writes one JSON file:
//   { peer, workload, runs, rounds, warmup, round_samples_us: [[...], ...],
//     memory: [{runs, rss_kib, anon_kib}, ...] }
// round_samples_us holds every run's time, in microseconds, round by round;
// memory the resident size (VmRSS) and the anonymous resident size
// (RssAnon: the process's own memory, no page-cache pages) of the process
// that hosts the sandboxes (this node process; for isobox-repeat the
// isobox process) after every 500 runs,
// warm-up runs included (none for the process-per-run peers).
//
//   node inproc.mjs PEER --code FILE --expect FILE --runs N --rounds R
//        --warmup W --out FILE --npm-dir DIR [--isobox PATH] [--workload NAME]
// PEER: isobox-repeat | isolated-vm | quickjs-emscripten | node-process | isobox-process
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createInterface } from "node:readline";

const MEMORY_EVERY = 500;

function parseArgs(argv) {
  const [peer, ...rest] = argv;
  const options = { peer };
  for (let i = 0; i < rest.length; i += 2) {
    if (!rest[i].startsWith("--") || rest[i + 1] === undefined) throw new Error(`bad argument ${rest[i]}`);
    options[rest[i].slice(2)] = rest[i + 1];
  }
  for (const name of ["code", "expect", "runs", "rounds", "warmup", "out", "npm-dir"]) {
    if (options[name] === undefined) throw new Error(`--${name} is required`);
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));
const code = readFileSync(options.code, "utf8");
const expected = readFileSync(options.expect, "utf8");
const runs = Number(options.runs);
const rounds = Number(options.rounds);
const warmup = Number(options.warmup);
const requireFromPeers = createRequire(join(options["npm-dir"], "package.json"));

function wrong(got) {
  console.error(
    `bench-peers: ${options.peer} gave a wrong answer on ${options.workload ?? options.code}:\n` +
      `  expected ${expected.slice(0, 300)}\n  got      ${String(got).slice(0, 300)}`,
  );
  process.exit(2);
}

const now = () => process.hrtime.bigint();
const micros = (from, to) => Number(to - from) / 1000;
// { rss_kib, anon_kib } of process PID, from /proc/PID/status.
const memoryOf = (pid) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)[1]);
  return { rss_kib: kib("VmRSS"), anon_kib: kib("RssAnon") };
};

// Runs `once` (which returns the run's answer) warmup + rounds * runs times
// in this process, timing each call; checks the first answer.
async function timeInProcess(once) {
  const first = await once();
  if (String(first) !== expected) wrong(first);
  const memory = [{ runs: 1, ...memoryOf(process.pid) }];
  let done = 1;
  const tick = () => {
    done += 1;
    if (done % MEMORY_EVERY === 0) memory.push({ runs: done, ...memoryOf(process.pid) });
  };
  for (let i = 1; i < warmup; i++) {
    await once();
    tick();
  }
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    const round = new Float64Array(runs);
    for (let i = 0; i < runs; i++) {
      const start = now();
      await once();
      round[i] = micros(start, now());
      tick();
    }
    samples.push(Array.from(round, (us) => Math.round(us * 10) / 10));
  }
  if (memory.at(-1).runs !== done) memory.push({ runs: done, ...memoryOf(process.pid) });
  return { samples, memory };
}

// isolated-vm: a new Isolate and Context per run, the script compiled and
// run in it, then everything disposed. Synchronous calls, so no promise
// machinery is timed.
function isolatedVm() {
  const ivm = requireFromPeers("isolated-vm");
  return () => {
    const isolate = new ivm.Isolate({ memoryLimit: 128 });
    const context = isolate.createContextSync();
    const script = isolate.compileScriptSync(code);
    const value = script.runSync(context, { copy: true });
    script.release();
    context.release();
    isolate.dispose();
    return value;
  };
}

// quickjs-emscripten: the WebAssembly module is made once (as isobox's
// engine is); each run gets a new QuickJS runtime and context, evaluates the
// script, reads the value out and disposes of both.
async function quickjsEmscripten() {
  const { newQuickJSWASMModule } = requireFromPeers("quickjs-emscripten");
  const module = await newQuickJSWASMModule();
  return () => {
    const runtime = module.newRuntime();
    const context = runtime.newContext();
    const handle = context.unwrapResult(context.evalCode(code));
    const value = context.dump(handle);
    handle.dispose();
    context.dispose();
    runtime.dispose();
    return value;
  };
}

// A process per run: spawn, wait for it to exit, return what it printed.
function processPerRun(command, args, answer) {
  return () =>
    new Promise((resolve, reject) => {
      const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
      const chunks = [];
      child.stdout.on("data", (chunk) => chunks.push(chunk));
      child.on("error", reject);
      child.on("close", (status) => {
        const out = Buffer.concat(chunks).toString("utf8").trim();
        if (status !== 0) reject(new Error(`${command} exited with ${status}: ${out.slice(0, 300)}`));
        else resolve(answer(out));
      });
    });
}

// isobox in-process: one `isobox run --json --repeat N` process runs every
// run, each in a fresh sandbox, and prints each run's outcome; its
// stats.wall_time_us (instantiate, run, tear down, measured inside isobox) is
// the run's time. Its resident size is read from /proc every 500 runs.
async function isoboxRepeat() {
  const total = warmup + rounds * runs;
  const child = spawn(options.isobox, ["run", "--json", "--form", "script", "--repeat", String(total), options.code], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  // The first sample after the first run: before it the process has not
  // loaded its engine yet.
  const memory = [];
  const times = [];
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const outcome = JSON.parse(line);
    if (!outcome.ok || String(outcome.value) !== expected) wrong(outcome.ok ? outcome.value : JSON.stringify(outcome.error));
    times.push(outcome.stats.wall_time_us);
    if (times.length === 1 || times.length % MEMORY_EVERY === 0 || times.length === total) {
      try {
        memory.push({ runs: times.length, ...memoryOf(child.pid) });
      } catch {}
    }
  }
  const status = await new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on("close", resolve)));
  if (status !== 0 || times.length !== total) {
    console.error(`bench-peers: isobox run --repeat exited with ${status} after ${times.length} of ${total} runs`);
    process.exit(2);
  }
  const samples = [];
  for (let r = 0; r < rounds; r++) samples.push(times.slice(warmup + r * runs, warmup + (r + 1) * runs));
  return { samples, memory };
}

let result;
switch (options.peer) {
  case "isobox-repeat":
    result = await isoboxRepeat();
    break;
  case "isolated-vm":
    result = await timeInProcess(isolatedVm());
    break;
  case "quickjs-emscripten":
    result = await timeInProcess(await quickjsEmscripten());
    break;
  case "node-process":
    result = await timeInProcess(processPerRun(process.execPath, [options.code], (out) => out));
    result.memory = [];
    break;
  case "isobox-process":
    result = await timeInProcess(
      processPerRun(options.isobox, ["run", "--form", "script", options.code], (out) => {
        const value = JSON.parse(out);
        return typeof value === "string" ? value : JSON.stringify(value);
      }),
    );
    result.memory = [];
    break;
  default:
    throw new Error(`unknown peer ${options.peer}`);
}

writeFileSync(
  options.out,
  JSON.stringify({
    peer: options.peer,
    workload: options.workload ?? null,
    runs,
    rounds,
    warmup,
    round_samples_us: result.samples,
    memory: result.memory,
  }),
);
