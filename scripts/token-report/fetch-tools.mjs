// Starts each MCP server of servers.mjs over stdio with this node, speaks
// MCP JSON-RPC (initialize, notifications/initialized, tools/list, following
// nextCursor) and writes the tools/list result to out/NAME.tools.json.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { servers } from './servers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const TIMEOUT_MS = 30_000;

/** One stdio MCP session: newline-delimited JSON-RPC. */
function connect(command, args, env) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let buffer = '';
  let stderr = '';
  const waiting = new Map();
  let nextId = 1;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (!line) continue;
      let message;
      try {
        message = JSON.parse(line);
      } catch {
        continue; // a server's stray log line
      }
      const pending = waiting.get(message.id);
      if (pending && ('result' in message || 'error' in message)) {
        waiting.delete(message.id);
        if (message.error) pending.reject(new Error(`${message.error.code}: ${message.error.message}`));
        else pending.resolve(message.result);
      }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const send = (message) => child.stdin.write(JSON.stringify(message) + '\n');
  return {
    request(method, params) {
      const id = nextId++;
      send({ jsonrpc: '2.0', id, method, params });
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`${method}: no answer in ${TIMEOUT_MS} ms; stderr:\n${stderr}`));
        }, TIMEOUT_MS);
        waiting.set(id, {
          resolve: (v) => (clearTimeout(timer), resolve(v)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        });
        exited.then((code) => reject(new Error(`${method}: the server exited (${code}); stderr:\n${stderr}`)));
      });
    },
    notify(method, params) {
      send({ jsonrpc: '2.0', method, params });
    },
    async close() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function toolsList(server, scratch) {
  const { command, args, env } = server.start(scratch);
  const session = connect(command, args, env);
  try {
    await session.request('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'isobox-token-report', version: '0.1.0' },
    });
    session.notify('notifications/initialized');
    const tools = [];
    let cursor;
    for (let page = 0; page < 100; page++) {
      const result = await session.request('tools/list', cursor ? { cursor } : {});
      tools.push(...result.tools);
      cursor = result.nextCursor;
      if (!cursor) break;
    }
    return { tools };
  } finally {
    await session.close();
  }
}

export async function fetchAll() {
  const out = join(here, 'out');
  mkdirSync(out, { recursive: true });
  const files = {};
  for (const server of servers) {
    const scratch = mkdtempSync(join(tmpdir(), `isobox-token-${server.name}-`));
    try {
      const list = await toolsList(server, scratch);
      const file = join(out, `${server.name}.tools.json`);
      writeFileSync(file, JSON.stringify(list, null, 2) + '\n');
      files[server.name] = file;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  return files;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = await fetchAll();
  for (const [name, file] of Object.entries(files)) console.log(`${name}: ${file}`);
}
