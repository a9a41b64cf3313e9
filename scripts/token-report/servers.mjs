// The MCP servers the report asks for their tools, each started over stdio
// with the machine's node from this directory's node_modules (versions pinned
// in package.json). `start(scratch)` gets a fresh temporary directory.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The path of a package's bin script, from its package.json. */
function bin(pkg) {
  const manifest = require.resolve(`${pkg}/package.json`);
  const { bin } = require(manifest);
  const path = typeof bin === 'string' ? bin : Object.values(bin)[0];
  return join(dirname(manifest), path);
}

export const servers = [
  {
    name: 'memory',
    pkg: '@modelcontextprotocol/server-memory',
    start: (scratch) => ({
      command: process.execPath,
      args: [bin('@modelcontextprotocol/server-memory')],
      env: { MEMORY_FILE_PATH: join(scratch, 'memory.jsonl') },
    }),
  },
  {
    name: 'filesystem',
    pkg: '@modelcontextprotocol/server-filesystem',
    start: (scratch) => ({
      command: process.execPath,
      args: [bin('@modelcontextprotocol/server-filesystem'), scratch],
    }),
  },
  {
    name: 'everything',
    pkg: '@modelcontextprotocol/server-everything',
    start: () => ({
      command: process.execPath,
      args: [bin('@modelcontextprotocol/server-everything'), 'stdio'],
    }),
  },
];
