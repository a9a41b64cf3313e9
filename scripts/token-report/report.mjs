// The token report (issue 4): for real MCP servers and for isobox's built-in
// capabilities, the tokens of the JSON tool definitions a model is shown
// against the tokens of the TypeScript declarations `isobox types` prints for
// the same tools, counted with gpt-tokenizer's o200k_base.
//
//   node report.mjs --isobox PATH [--json FILE]
//
// Three JSON figures per server, all compact JSON of the `tools` array:
//   listed  - the array exactly as tools/list returned it;
//   same    - each tool's name, description, inputSchema and outputSchema:
//             what the declarations carry (no title, annotations, execution);
//   inputs  - name, description and inputSchema only: what MCP clients
//             commonly pass to a model, compared with declarations made from
//             the same tools without their outputSchema.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { fetchAll } from './fetch-tools.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'out');
const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const isobox = option('--isobox') ?? join(here, '../../target/release/isobox');
const jsonOut = option('--json');

const MCP_NOTE = '// MCP tools resolve';
const WIT_NOTE = '// A method marked @throws';

/** `isobox types ARGS`, and the part after the globals: the env block. */
function envBlock(typeArgs) {
  const text = execFileSync(isobox, ['types', ...typeArgs], { encoding: 'utf8' });
  const starts = [MCP_NOTE, WIT_NOTE, 'declare namespace env {']
    .map((marker) => text.indexOf(marker))
    .filter((at) => at >= 0);
  if (starts.length === 0) throw new Error(`isobox types ${typeArgs.join(' ')}: no env block in\n${text}`);
  return { full: text, env: text.slice(Math.min(...starts)) };
}

const pick = (tool, keys) => Object.fromEntries(keys.filter((k) => k in tool).map((k) => [k, tool[k]]));
const tokens = (text) => countTokens(text);

/** One row: an MCP tools/list file against our declarations of it. */
function mcpRow(name, file, note, binding = name) {
  const tools = JSON.parse(readFileSync(file, 'utf8')).tools;
  const withoutOutputs = join(out, `${name}.inputs.tools.json`);
  writeFileSync(withoutOutputs, JSON.stringify({ tools: tools.map((t) => pick(t, ['name', 'description', 'inputSchema'])) }));
  const ts = envBlock(['--mcp-tools', `${binding}=${file}`]);
  const tsInputs = envBlock(['--mcp-tools', `${binding}=${withoutOutputs}`]);
  const dts = join(out, `${name}.d.ts`);
  const dtsInputs = join(out, `${name}.inputs.d.ts`);
  writeFileSync(dts, ts.full);
  writeFileSync(dtsInputs, tsInputs.full);
  return {
    name,
    note,
    tools: tools.length,
    listed: tokens(JSON.stringify(tools)),
    same: tokens(JSON.stringify(tools.map((t) => pick(t, ['name', 'description', 'inputSchema', 'outputSchema'])))),
    inputs: tokens(JSON.stringify(tools.map((t) => pick(t, ['name', 'description', 'inputSchema'])))),
    ts: tokens(ts.env),
    tsInputs: tokens(tsInputs.env),
    declarations: ts.env,
    dts,
    dtsInputs,
  };
}

/** A built-in capability: its WIT declarations against the hand-written
 * MCP JSON of the same interface (builtins/NAME.tools.json). */
function builtinRow(name) {
  const file = join(here, 'builtins', `${name}.tools.json`);
  const row = mcpRow(`${name}-json`, file, `hand-written JSON of the ${name} WIT`, name);
  const wit = envBlock(['--grant', name]);
  const dts = join(out, `${name}-wit.d.ts`);
  writeFileSync(dts, wit.full);
  return [
    {
      ...row,
      name: `${name} (WIT)`,
      note: `isobox types --grant ${name}`,
      ts: tokens(wit.env),
      tsInputs: null,
      declarations: wit.env,
      dts,
      dtsInputs: null,
    },
    { ...row, name: `${name} (its JSON)`, note: `isobox types --mcp-tools on builtins/${name}.tools.json` },
  ];
}

mkdirSync(out, { recursive: true });
const files = await fetchAll();
const rows = [];
for (const [name, file] of Object.entries(files)) rows.push(mcpRow(name, file, 'tools/list of the npm package'));
for (const name of ['kv', 'todo']) rows.push(...builtinRow(name));

const ratio = (a, b) => (b ? (a / b).toFixed(2) : '-');
const header = ['server', 'tools', 'JSON listed', 'JSON same fields', 'TS', 'TS/listed', 'TS/same', 'JSON inputs', 'TS inputs', 'TS/JSON inputs'];
const table = rows.map((r) => [
  r.name,
  r.tools,
  r.listed,
  r.same,
  r.ts,
  ratio(r.ts, r.listed),
  ratio(r.ts, r.same),
  r.inputs,
  r.tsInputs ?? '-',
  r.tsInputs == null ? '-' : ratio(r.tsInputs, r.inputs),
]);
const servers = rows.filter((r) => !r.name.includes('('));
const sum = (key) => servers.reduce((n, r) => n + r[key], 0);
table.push([
  'MCP servers, all',
  sum('tools'),
  sum('listed'),
  sum('same'),
  sum('ts'),
  ratio(sum('ts'), sum('listed')),
  ratio(sum('ts'), sum('same')),
  sum('inputs'),
  sum('tsInputs'),
  ratio(sum('tsInputs'), sum('inputs')),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => String(row[i]).length)));
const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
console.log(`Tokens (o200k_base, gpt-tokenizer), TypeScript from ${isobox}:\n`);
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of table) console.log(line(row));
// Every declaration file (globals and env) through the TypeScript compiler.
const tsc = join(here, 'node_modules/typescript/bin/tsc');
const checked = [];
for (const row of rows) {
  for (const file of [row.dts, row.dtsInputs].filter(Boolean)) {
    const config = `${file}.tsconfig.json`;
    writeFileSync(
      config,
      JSON.stringify({
        compilerOptions: { noEmit: true, strict: true, target: 'es2023', lib: ['es2023'], types: [] },
        files: [file],
      }),
    );
    try {
      execFileSync(process.execPath, [tsc, '-p', config], { encoding: 'utf8' });
      checked.push(file);
    } catch (error) {
      console.error(`${file} does not type-check:\n${error.stdout}`);
      process.exitCode = 1;
    }
  }
}
console.log(`\nTypeScript ${JSON.parse(readFileSync(join(here, 'node_modules/typescript/package.json'), 'utf8')).version} type-checks ${checked.length} of the declaration files.`);
// The goal: real servers and the WIT declarations of the built-ins, each
// against the JSON as listed.
const missed = rows
  .filter((r) => !r.name.includes('(') || r.name.endsWith('(WIT)'))
  .filter((r) => r.ts > r.listed / 2)
  .map((r) => `${r.name} (${ratio(r.ts, r.listed)})`);
console.log(
  `\nGoal, declarations at most half the tokens of the listed JSON: ${missed.length ? `missed by ${missed.join(', ')}` : 'met by every server and built-in'}.`,
);
console.log(`Declarations and tools/list results: ${out}`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(rows, null, 2) + '\n');
