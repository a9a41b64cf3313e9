// Figures, not a test: the round trip of `execute` through `isobox mcp` over
// stdio, from the official TypeScript SDK, one call after another: a trivial
// program, and one that calls an upstream MCP server (server-memory) once.
// Run `bash tests/mcp/install.sh` first.
//
//     node tests/mcp/roundtrip.mjs target/release/isobox [CALLS]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const [isobox, calls = '200'] = process.argv.slice(2);
if (!isobox) {
  console.error('usage: node roundtrip.mjs PATH/TO/isobox [CALLS]');
  process.exit(2);
}
const n = Number(calls);
const memory = fileURLToPath(import.meta.resolve('@modelcontextprotocol/server-memory/dist/index.js'));
const scratch = mkdtempSync(join(tmpdir(), 'isobox-roundtrip-'));

const transport = new StdioClientTransport({
  command: isobox,
  args: ['mcp', '--upstream', `memory=node '${memory}'`],
  env: { ...process.env, MEMORY_FILE_PATH: join(scratch, 'memory.jsonl') },
  stderr: 'ignore',
});
const client = new Client({ name: 'isobox-roundtrip', version: '1.0.0' });
await client.connect(transport);

async function measure(label, code) {
  // Warm up (the first run of a program compiles it).
  await client.callTool({ name: 'execute', arguments: { code } });
  const times = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    const result = await client.callTool({ name: 'execute', arguments: { code } });
    times.push(performance.now() - start);
    if (result.isError) throw new Error(`${label}: ${JSON.stringify(result.structuredContent)}`);
  }
  times.sort((a, b) => a - b);
  const us = (ms) => `${Math.round(ms * 1000)} us`;
  console.log(`${label}: p50 ${us(times[Math.floor(n / 2)])}, p90 ${us(times[Math.floor(n * 0.9)])} (${n} calls)`);
}

await measure('execute "1 + 1"', '1 + 1');
await measure(
  'execute with one upstream call',
  "async (input, env) => (await env.memory.searchNodes({ query: 'x' })).entities.length",
);
await client.close();
rmSync(scratch, { recursive: true, force: true });
