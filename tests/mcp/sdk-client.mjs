// An end-to-end check of `isobox mcp` with the official MCP TypeScript SDK
// (@modelcontextprotocol/sdk, pinned in package-lock.json): starts
// `ISOBOX mcp --grant kv` over stdio, lists the tools, calls execute twice
// (a run that uses env.kv, and one that throws), and prints what it saw as
// JSON for tests/integration/mcp.rs to check.
//
//     node tests/mcp/sdk-client.mjs target/release/isobox
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const isobox = process.argv[2];
if (!isobox) {
  console.error('usage: node sdk-client.mjs PATH/TO/isobox');
  process.exit(2);
}

const transport = new StdioClientTransport({
  command: isobox,
  args: ['mcp', '--grant', 'kv'],
  stderr: 'inherit',
});
const client = new Client({ name: 'isobox-sdk-test', version: '1.0.0' });
await client.connect(transport);

const { tools } = await client.listTools();
const execute = await client.callTool({
  name: 'execute',
  arguments: {
    code: `async (input: { xs: number[] }, env) => {
      await env.kv.put('k', 'from the SDK');
      return { sum: input.xs.reduce((a, b) => a + b, 0), kv: await env.kv.get('k') };
    }`,
    input: { xs: [1, 2, 3] },
  },
});
const failed = await client.callTool({ name: 'execute', arguments: { code: "throw new Error('on purpose')" } });

console.log(JSON.stringify({
  server: client.getServerVersion()?.name,
  tools: tools.map((t) => t.name),
  execute: { isError: execute.isError ?? false, structuredContent: execute.structuredContent },
  failed: { isError: failed.isError ?? false, structuredContent: failed.structuredContent },
}));
await client.close();
