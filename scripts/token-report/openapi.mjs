// The OpenAPI part of the token report (issue 18): for GitHub's REST API
// spec (the pinned fixture of scripts/openapi/fixtures.sh), the tokens
// (o200k_base) a model is shown before it writes any code:
//
//   isobox mcp --openapi  - tools/list of `isobox mcp --openapi github=SPEC`
//                           (execute, search, describe) and its instructions:
//                           the same whatever the spec's size;
//   one tool per operation - an MCP tool per operation, as an OpenAPI-to-MCP
//                           bridge lists them: name (operationId), description
//                           (summary and description) and an inputSchema of the
//                           parameters and the JSON body, $refs inlined (from
//                           GitHub's own dereferenced spec);
//   names and summaries   - the same without inputSchema: a lower bound for any
//                           one-tool-per-operation listing.
//
//   node openapi.mjs --isobox PATH [--spec DIR]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const isobox = option('--isobox') ?? join(here, '../../target/release/isobox');
const fixtures = option('--spec') ?? join(here, '../../.cache/openapi-fixtures/github');
const spec = join(fixtures, 'api.github.com.json');
const deref = join(fixtures, 'api.github.com.deref.json');

/** tools/list and the instructions of `isobox mcp ARGS`, over stdio. */
function mcpListing(mcpArgs) {
  return new Promise((resolve, reject) => {
    const child = spawn(isobox, ['mcp', ...mcpArgs], { stdio: ['pipe', 'pipe', 'inherit'] });
    let buffer = '';
    let instructions = '';
    const send = (message) => child.stdin.write(JSON.stringify(message) + '\n');
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        const message = JSON.parse(line);
        if (message.id === 1) {
          instructions = message.result.instructions ?? '';
          send({ jsonrpc: '2.0', method: 'notifications/initialized' });
          send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
        } else if (message.id === 2) {
          child.stdin.end();
          child.kill();
          resolve({ tools: message.result.tools, instructions });
        }
      }
    });
    child.on('error', reject);
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'token-report', version: '1' } },
    });
  });
}

/** One MCP tool per operation of a dereferenced spec. */
function toolPerOperation(doc) {
  const tools = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']) {
      const op = item[method];
      if (!op) continue;
      const properties = {};
      const required = [];
      for (const p of [...(item.parameters ?? []), ...(op.parameters ?? [])]) {
        properties[p.name] = { ...(p.schema ?? {}), ...(p.description ? { description: p.description } : {}) };
        if (p.required) required.push(p.name);
      }
      const body = op.requestBody?.content?.['application/json']?.schema;
      if (body) {
        properties.body = body;
        if (op.requestBody.required) required.push('body');
      }
      tools.push({
        name: (op.operationId ?? `${method}${path}`).replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64),
        description: [op.summary, op.description].filter(Boolean).join('\n\n'),
        inputSchema: { type: 'object', properties, ...(required.length ? { required } : {}) },
      });
    }
  }
  return tools;
}

const ours = await mcpListing(['--no-cache', '--openapi', `github=${spec}@https://api.github.com`]);
const oursTokens = countTokens(JSON.stringify(ours.tools));
const instructionTokens = countTokens(ours.instructions);
const perOperation = toolPerOperation(JSON.parse(readFileSync(deref, 'utf8')));
const summaries = perOperation.map(({ name, description }) => ({ name, description }));
const summaryTokens = countTokens(JSON.stringify(summaries));
let fullTokens = 0;
// Counted tool by tool: one string of the whole listing is ~60 MB.
for (const tool of perOperation) fullTokens += countTokens(JSON.stringify(tool)) + 1;

const rows = [
  ['isobox mcp --openapi: tools/list (execute, search, describe)', oursTokens],
  ['isobox mcp --openapi: server instructions', instructionTokens],
  [`one tool per operation (${perOperation.length} tools), inputSchema inlined`, fullTokens],
  [`one tool per operation, names and descriptions only`, summaryTokens],
];
console.log("\nGitHub's REST API (@octokit/openapi 23.0.2), tokens (o200k_base) shown before any code:");
for (const [what, n] of rows) console.log(`  ${what.padEnd(70)} ${String(n).padStart(10)}`);
