#!/usr/bin/env bash
# Installs every peer `make bench-peers` measures isobox against, pinned and
# idempotently, into .cache/peers/ (git-ignored):
#   - npm: workerd (its binary from @cloudflare/workerd-linux-64), isolated-vm,
#     quickjs-emscripten, zod, esbuild and node-gyp, exactly as
#     benches/peers/package-lock.json pins them, into .cache/peers/npm;
#   - isolated-vm's addon, built here by the pinned node-gyp against the
#     system node's headers (its prebuilt download is not reachable);
#   - matplotlib and its dependencies (benches/peers/requirements.txt) into the
#     venv .cache/peers/venv, for the plots;
#   - wrk (scripts/install-wrk.sh) and the wasmtime CLI
#     (scripts/install-wasmtime-cli.sh).
# Each step is skipped when its stamp says it is done; a step that fails
# names the peer it was for. Progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
cache=$root/.cache/peers
npm_dir=$cache/npm
venv=$cache/venv
mkdir -p "$cache"

say() { echo "bench-peers install: $*" >&2; }
fail() {
  echo "bench-peers install: FAILED to install $1: $2" >&2
  exit 1
}
started=$(date +%s)

# wrk, the HTTP load generator, and wasmtime's CLI for `wasmtime serve`.
bash scripts/install-wrk.sh >&2 || fail "wrk" "scripts/install-wrk.sh failed"
bash scripts/install-wasmtime-cli.sh >&2 || fail "wasmtime serve" "scripts/install-wasmtime-cli.sh failed"

# The npm peers. npm ci runs again only when the lock file changed; install
# scripts never run (workerd's only checks its binary, isolated-vm's would
# download a prebuild from GitHub: it is built below instead).
command -v node >/dev/null && command -v npm >/dev/null || fail "the npm peers" "node and npm are needed (scripts/setup.sh installs them)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || fail "the npm peers" "node >= 20 is needed, found $(node --version)"
lock=$root/benches/peers/package-lock.json
if ! cmp -s "$lock" "$npm_dir/.installed-lock" 2>/dev/null; then
  say "npm ci (workerd, isolated-vm, quickjs-emscripten, zod, esbuild, node-gyp) into $npm_dir"
  rm -rf "$npm_dir"
  mkdir -p "$npm_dir"
  cp "$root/benches/peers/package.json" "$lock" "$npm_dir/"
  (cd "$npm_dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2) ||
    fail "the npm peers (workerd, isolated-vm, quickjs-emscripten, zod, esbuild)" "npm ci failed in $npm_dir"
  cp "$lock" "$npm_dir/.installed-lock"
fi
workerd=$npm_dir/node_modules/@cloudflare/workerd-linux-64/bin/workerd
[ -x "$workerd" ] && "$workerd" --version >/dev/null 2>&1 ||
  fail "workerd" "no working binary at $workerd (the optional dependency @cloudflare/workerd-linux-64 did not install)"
"$npm_dir/node_modules/.bin/esbuild" --version >/dev/null 2>&1 ||
  fail "esbuild" "no working binary in $npm_dir/node_modules (its @esbuild/linux-x64 did not install)"

# isolated-vm's native addon, built once per node version and package version
# with the pinned node-gyp, against the headers of the system's node
# (--nodedir=/usr: nothing downloaded). About a minute on 2 cores.
ivm=$npm_dir/node_modules/isolated-vm
ivm_stamp="node $(node --version) isolated-vm $(node -p "require('$ivm/package.json').version")"
if [ "$(cat "$ivm/.built" 2>/dev/null)" != "$ivm_stamp" ]; then
  [ -f /usr/include/node/node.h ] ||
    fail "isolated-vm" "node's headers are not in /usr/include/node (Debian's nodejs package has them)"
  command -v g++ >/dev/null && command -v make >/dev/null ||
    fail "isolated-vm" "building its addon needs g++ and make (apt-get install g++ make)"
  say "building isolated-vm's addon with node-gyp (about a minute)"
  (cd "$ivm" && nice -n 5 "$npm_dir/node_modules/.bin/node-gyp" rebuild --release -j 2 --nodedir=/usr >"$cache/isolated-vm-build.log" 2>&1) ||
    fail "isolated-vm" "node-gyp rebuild failed; see $cache/isolated-vm-build.log"
  echo "$ivm_stamp" >"$ivm/.built"
fi
(cd "$npm_dir" && node --no-node-snapshot -e '
  const ivm = require("isolated-vm");
  const isolate = new ivm.Isolate();
  if (isolate.compileScriptSync("1 + 1").runSync(isolate.createContextSync()) !== 2) process.exit(1);
  isolate.dispose();') || fail "isolated-vm" "the built addon does not run 1 + 1 (see $cache/isolated-vm-build.log)"
(cd "$npm_dir" && node -e '
  require("quickjs-emscripten").newQuickJSWASMModule().then((m) => {
    const vm = m.newContext();
    const two = vm.dump(vm.unwrapResult(vm.evalCode("1 + 1")));
    vm.dispose();
    process.exit(two === 2 ? 0 : 1);
  });') || fail "quickjs-emscripten" "it does not run 1 + 1"

# matplotlib in a venv, for the plots.
reqs=$root/benches/peers/requirements.txt
if ! cmp -s "$reqs" "$venv/.installed-requirements" 2>/dev/null; then
  say "matplotlib into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv" || fail "matplotlib" "python3 -m venv failed (apt-get install python3-venv)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$reqs" >&2 ||
    fail "matplotlib" "pip install -r $reqs failed"
  cp "$reqs" "$venv/.installed-requirements"
fi
"$venv/bin/python" -c 'import matplotlib' || fail "matplotlib" "the venv at $venv cannot import it"

elapsed=$(($(date +%s) - started))
[ "$elapsed" -lt 2 ] || say "done in ${elapsed} s"
