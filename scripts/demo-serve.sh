#!/usr/bin/env bash
# `make demo`'s serve step: `isobox serve` on a free loopback port with
# examples/serve.toml, a run with curl, one refused (above the tenant's
# ceiling), the console as server-sent events, and a worker uploaded to the
# registry then called; then SIGTERM.
set -uo pipefail
isobox=${1:-target/release/isobox}
export DEMO_KEY="demo-$RANDOM$RANDOM"
out=$(mktemp)
"$isobox" serve --config examples/serve.toml --listen 127.0.0.1:0 --log warn >"$out" &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 100); do grep -q ':' "$out" && break; sleep 0.05; done
addr=$(grep -oE '127\.0\.0\.1:[0-9]+' "$out" | head -1)
[ -n "$addr" ] || { echo "isobox serve did not start"; exit 1; }
post() {
  printf '\n\033[1m$ curl -s http://%s/v1/run -H "Authorization: Bearer $DEMO_KEY"%s -d '"'"'%s'"'"'\033[0m\n' "$addr" "${2:+ -H '$2'}" "$1"
  curl -s "http://$addr/v1/run" -H "Authorization: Bearer $DEMO_KEY" -H 'content-type: application/json' ${2:+-H "$2"} -d "$1"
  echo
}
post '{"code": "await env.kv.put(\"visits\", \"1\"); [1, 2, 3].map((n) => n * input.k)", "input": {"k": 7}, "capabilities": ["kv"]}'
post '{"code": "1", "limits": {"wall_time_ms": 60000}}'
post '{"code": "console.log(\"step 1\"); await new Promise((r) => setTimeout(r, 100)); console.log(\"step 2\"); 42"}' 'Accept: text/event-stream'
worker='{"filename": "hello.ts", "code": "export default { fetch: (r: Request) => new Response(`hello from an uploaded worker at ${new URL(r.url).pathname}\\n`) };"}'
printf '\n\033[1m$ curl -s -X PUT http://%s/v1/workers/hello -H "Authorization: Bearer $DEMO_KEY" -d '"'"'%s'"'"'\033[0m\n' "$addr" "$worker"
curl -s -X PUT "http://$addr/v1/workers/hello" -H "Authorization: Bearer $DEMO_KEY" -H 'content-type: application/json' -d "$worker"
echo
printf '\n\033[1m$ curl -s -i http://%s/v1/workers/hello/there -H "Authorization: Bearer $DEMO_KEY"\033[0m\n' "$addr"
curl -s -i "http://$addr/v1/workers/hello/there" -H "Authorization: Bearer $DEMO_KEY" | grep -iE '^(HTTP|x-isobox-worker-version)|hello'
kill -TERM $server
wait $server
echo "(isobox serve stopped on SIGTERM: exit code $?)"
