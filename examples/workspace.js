// Durable state: a workspace (an agent's file system) and a kv with
// compare-and-swap, kept in a store (`--store memory` here; a SQLite file
// or postgres:// keeps them between runs). node:fs/promises reads the same
// files.
// What it does, as tests/integration/examples.rs checks it:
// $ isobox run examples/workspace.js --grant workspace --grant kv --workspace demo
// exit 0
// stdout "version": 3
// stdout "matches": 1
// stdout "+export const greet = (name) => `Hello, ${name}!`;"
// stdout "zod": "^4.1.0"
// stdout "runs": "1"
import { readdir } from 'node:fs/promises';

const ws = env.workspace;
// One transaction: every file or none.
await ws.batch({
  ops: [
    { op: 'mkdir', path: '/src', recursive: true },
    { op: 'writeFile', path: '/src/greet.js', content: 'export const greet = (name) => `Hi, ${name}`;\n' },
    { op: 'writeFile', path: '/src/main.js', content: "import { greet } from './greet.js';\nconsole.log(greet('you'));\n" },
    { op: 'writeJson', path: '/package.json', value: { name: 'demo', dependencies: { zod: '^4.0.0' } } },
  ],
});
const found = await ws.grep({ pattern: 'greet\\(', include: ['*.js'] });
// An edit as an agent's edit tool makes it: the old text must be unique.
const { patch } = await ws.edit({
  path: '/src/greet.js',
  edits: [{ oldText: '`Hi, ${name}`', newText: '`Hello, ${name}!`' }],
});
await ws.updateJson({ path: '/package.json', ops: [{ op: 'replace', path: '/dependencies/zod', value: '^4.1.0' }] });
// Compare-and-swap: written only if no other run changed it since.
const seen = await env.kv.getWithVersion('runs');
await env.kv.put('runs', String(Number(seen?.value ?? 0) + 1), seen ? { ifVersion: seen.version } : { ifAbsent: true });

export default {
  version: (await ws.info()).version,
  files: await readdir('/src'),
  matches: found.matches.length,
  patch: patch.split('\n').filter((line) => line.startsWith('+') && !line.startsWith('+++')),
  dependencies: await ws.queryJson({ path: '/package.json', query: '/dependencies' }),
  runs: await env.kv.get('runs'),
};
