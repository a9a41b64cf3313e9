#!/usr/bin/env python3
"""`make demo`'s MCP step: `isobox mcp` over stdio, spoken to as an MCP
client does (JSON-RPC, one message per line): initialize, list the tools,
then one `execute` whose program chains several capability calls; only its
result comes back."""

import json
import subprocess
import sys

isobox = sys.argv[1] if len(sys.argv) > 1 else "target/release/isobox"
server = subprocess.Popen(
    [isobox, "mcp", "--grant", "kv"],
    stdin=subprocess.PIPE,
    stdout=subprocess.PIPE,
    text=True,
)


def send(message):
    server.stdin.write(json.dumps(message) + "\n")
    server.stdin.flush()


def answer(request_id):
    for line in server.stdout:
        message = json.loads(line)
        if message.get("id") == request_id:
            return message
    raise SystemExit("isobox mcp closed its output early")


send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {},
    "clientInfo": {"name": "demo", "version": "1"}}})
info = answer(1)["result"]["serverInfo"]
print(f"initialize -> {info['name']} {info['version']}")
send({"jsonrpc": "2.0", "method": "notifications/initialized"})

send({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
tools = answer(2)["result"]["tools"]
print("tools/list ->", ", ".join(tool["name"] for tool in tools))

code = """
for (const [k, v] of Object.entries(input)) await env.kv.put(k, String(v));
const keys = await env.kv.list('', 10);
console.log('stored', keys.length, 'keys');
return keys.map((k) => k.toUpperCase());
"""
send({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
    "name": "execute",
    "arguments": {"code": f"async (input, env) => {{{code}}}", "input": {"a": 1, "b": 2, "c": 3}}}})
result = answer(3)["result"]
print("tools/call execute ->", result["content"][0]["text"])

server.stdin.close()
server.wait(timeout=10)
