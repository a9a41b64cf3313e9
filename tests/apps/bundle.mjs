// Bundles the two apps of this directory into single ES modules, as a user
// would before `isobox dispatch`, `isobox serve` or `isobox build`:
//
//   node tests/apps/bundle.mjs OUT_DIR     -> OUT_DIR/hono.js, OUT_DIR/itty.js
//
// esbuild (pinned in package.json) with the Workers conditions, so packages
// pick their workerd/worker builds.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) {
  console.error('usage: node bundle.mjs OUT_DIR');
  process.exit(2);
}
for (const [entry, name] of [['hono-app.ts', 'hono.js'], ['itty-app.js', 'itty.js']]) {
  await build({
    entryPoints: [join(here, entry)],
    outfile: join(out, name),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2023',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    logLevel: 'error',
  });
}
