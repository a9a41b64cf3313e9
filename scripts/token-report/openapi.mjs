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
//                           one-tool-per-operation listing;
//   codemode openApiMcpServer - the two tools (search, execute) of Cloudflare's
//                           @cloudflare/codemode 0.5.6 (pinned here), their
//                           descriptions built from its own source text (the
//                           spec itself is searched in its sandbox, not listed).
//
//   node openapi.mjs --isobox PATH [--spec DIR]
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/** codemode's openApiMcpServer tools/list: its description templates and
 * type constants, read from its dist/mcp.js and filled in as it does (no
 * extra `description` option). */
function codemodeTools() {
  const source = readFileSync(join(here, 'node_modules/@cloudflare/codemode/dist/mcp.js'), 'utf8');
  // The template literal whose opening backtick is the first after `marker`.
  const template = (marker) => {
    const at = source.indexOf(marker);
    if (at < 0) throw new Error(`codemode: no ${marker} in dist/mcp.js`);
    const open = source.indexOf('`', at);
    return source.slice(open, literalEnd(open) + 1);
  };
  // The index of the backtick closing the literal opened at `open`.
  const literalEnd = (open) => {
    let i = open + 1;
    while (i < source.length) {
      const c = source[i];
      if (c === '\\') i += 2;
      else if (c === '`') return i;
      else if (c === '$' && source[i + 1] === '{') i = expressionEnd(i + 2);
      else i += 1;
    }
    throw new Error('codemode: unterminated template');
  };
  // The index after the `}` closing an expression started at `start`.
  const expressionEnd = (start) => {
    let depth = 1;
    let i = start;
    while (i < source.length) {
      const c = source[i];
      if (c === '{') depth += 1;
      else if (c === '}' && --depth === 0) return i + 1;
      else if (c === '`') i = literalEnd(i);
      else if (c === '"' || c === "'") i = source.indexOf(c, i + 1);
      i += 1;
    }
    throw new Error('codemode: unterminated expression');
  };
  // The constants refer to each other in order; evaluate them as the module does.
  const names = [...source.matchAll(/^const ([A-Z_]+_TYPES) = `/gm)].map((m) => m[1]);
  const scope = {};
  for (const name of names) {
    scope[name] = new Function(...Object.keys(scope), `return ${template(`const ${name} = `)};`)(...Object.values(scope));
  }
  const fill = (text) => new Function(...Object.keys(scope), 'description', `return ${text};`)(...Object.values(scope), undefined);
  const search = fill(template('server.registerTool("search", {'));
  const execute = fill(template('const executeDescription = '));
  const schema = (description) => ({
    type: 'object',
    properties: { code: { type: 'string', description } },
    required: ['code'],
    additionalProperties: false,
    $schema: 'http://json-schema.org/draft-07/schema#',
  });
  return [
    { name: 'search', description: search, inputSchema: schema('JavaScript async arrow function to search the spec') },
    { name: 'execute', description: execute, inputSchema: schema('JavaScript async arrow function to execute') },
  ];
}

const codemode = codemodeTools();
mkdirSync(join(here, 'out'), { recursive: true });
writeFileSync(join(here, 'out', 'codemode-openapi.tools.json'), JSON.stringify({ tools: codemode }, null, 2));
writeFileSync(join(here, 'out', 'isobox-openapi.tools.json'), JSON.stringify({ tools: ours.tools, instructions: ours.instructions }, null, 2));

const rows = [
  ['isobox mcp --openapi: tools/list (execute, search, describe)', oursTokens],
  ['isobox mcp --openapi: server instructions', instructionTokens],
  [`one tool per operation (${perOperation.length} tools), inputSchema inlined`, fullTokens],
  [`one tool per operation, names and descriptions only`, summaryTokens],
  ["codemode's openApiMcpServer: tools/list (search, execute)", countTokens(JSON.stringify(codemode))],
];
console.log("\nGitHub's REST API (@octokit/openapi 23.0.2), tokens (o200k_base) shown before any code:");
for (const [what, n] of rows) console.log(`  ${what.padEnd(70)} ${String(n).padStart(10)}`);
