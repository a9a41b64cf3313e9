# Every entry point of isobox. One optimised profile (release) serves the
# tests, the demo and the benches, so wasmtime is built once; the load
# benchmarks measure the binary to deploy, built with the `dist` profile
# (fat LTO, one codegen unit; Cargo.toml).

CARGO ?= cargo
CARGO_FLAGS ?= --locked
ISOBOX := target/release/isobox
ISOBOX_DIST := target/dist/isobox
# The host crates (host/): the egress policy, a worker's static assets, the store (SQLite, PostgreSQL,
# blobs), the library, the durable-state capabilities, serve, mcp, the
# CLI (which owns the integration tests, the WPT runner and the benches) and
# the crate that builds the test plugins.
HOST_CRATES := -p isobox-egress -p isobox-assets -p isobox-store -p isobox -p isobox-state -p isobox-npm -p isobox-openapi -p isobox-serve -p isobox-mcp -p isobox-cli -p isobox-plugins

# What `make test` builds and runs: the host crates, the guest's own unit
# tests on the host, and the fuzz targets' replay test (fuzz/tests/replay.rs).
TEST_CRATES := $(HOST_CRATES) -p isobox-guest -p isobox-fuzz

.PHONY: all setup build dist guest test test-s3 style fmt-check lint lint-guest examples wpt demo bench bench-state bench-npm bench-journal bench-serve bench-workers bench-registry bench-openapi fmt clean ts-differential check-types token-report soak bench-peers

all: build

## setup: install clang-19, wasi-libc and the wasm32-wasip2 target (idempotent)
setup:
	@bash scripts/setup.sh

## build: the guest component (through host/isobox/build.rs), the library, the
## CLI and the example plugin (through host/plugins/build.rs)
build: setup
	$(CARGO) build --release $(CARGO_FLAGS) -p isobox-cli -p isobox-plugins

## dist: the binary to deploy, target/dist/isobox (fat LTO, one codegen unit: slower
## to build, faster to serve)
dist: setup
	$(CARGO) build --profile dist $(CARGO_FLAGS) -p isobox-cli --bin isobox

## guest: only the guest component, target/guest/wasm32-wasip2/release/isobox_guest.wasm
guest: setup
	$(CARGO) build --release $(CARGO_FLAGS) -p isobox

## test: style first (rustfmt, clippy on every host crate and on the guest),
## then every test: unit (each host crate, the guest on the host), integration
## (one binary, including every file in examples/), CLI and doc tests, the
## fuzz targets' corpus and regressions replayed (fuzz/), then the WPT run
## and the declarations `isobox types` prints, checked by the TypeScript
## compiler; the `isobox mcp` tests use npm packages that
## tests/mcp/install.sh installs (pinned), the Workers-app tests (a Hono and
## an itty-router app, bundled with esbuild) those of tests/apps/install.sh,
## the web console test Debian's chromium and puppeteer-core (tests/console), the
## replica test Debian's HAProxy (scripts/lb); scripts/k8s/validate.sh checks deploy/.
## Every cargo command of the target names the same crates (TEST_CRATES), so
## that cargo resolves one set of features and compiles each crate once: a
## command with another selection would build wasmtime and isobox again.
test: setup style
	@bash tests/mcp/install.sh
	@bash tests/apps/install.sh
	@bash tests/console/install.sh
	@bash scripts/lb/install.sh
	@bash scripts/install-wasmtime-cli.sh
	@bash scripts/openapi/fixtures.sh
	@bash tests/openapi/install.sh
	@bash scripts/npm/fixtures.sh
	@bash scripts/wpt/fetch.sh
	@bash scripts/pg/with-cluster.sh $(CARGO) test --release $(CARGO_FLAGS) $(TEST_CRATES)
	$(CARGO) test --release $(CARGO_FLAGS) $(TEST_CRATES) --test wpt
	@bash scripts/check-types/run.sh $(ISOBOX)
	@bash scripts/k8s/validate.sh

## style: what CI gates besides the tests: rustfmt and clippy (-D warnings)
style: fmt-check lint lint-guest

fmt-check:
	$(CARGO) fmt --all --check

## lint: clippy on every host crate, every target, warnings as errors
lint: setup
	$(CARGO) clippy --release $(CARGO_FLAGS) $(HOST_CRATES) --all-targets -- -D warnings

## lint-guest: clippy on the guest and the plugins for wasm32-wasip2, with the
## settings the guest is built with (host/isobox/build.rs writes them while
## `lint` checks the isobox crate; scripts/guest-env.sh reads them)
lint-guest: lint
	@bash scripts/guest-env.sh $(CARGO) clippy --release $(CARGO_FLAGS) --target wasm32-wasip2 \
	  -p isobox-guest -p isobox-plugin-text -p isobox-plugin-faulty -- -D warnings
	@bash scripts/guest-env.sh $(CARGO) clippy --release $(CARGO_FLAGS) --target wasm32-wasip2 \
	  -p isobox-guest --features proxy -- -D warnings

## examples: every file in examples/ run as its test documents (part of make test)
examples: setup
	$(CARGO) test --release $(CARGO_FLAGS) -p isobox-cli --test integration examples::

## wpt: Web Platform Tests in isobox (fetches Node's pinned WPT copy once into .cache/wpt);
## pass counts per directory; fails on a failure not in tests/wpt/expected-failures.json
wpt: setup
	@bash scripts/wpt/fetch.sh
	$(CARGO) test --release $(CARGO_FLAGS) -p isobox-cli --test wpt

## check-types: `isobox types` through the real TypeScript compiler (npm)
check-types: build
	@bash scripts/check-types/run.sh $(ISOBOX)

## demo: the CLI on the built-in examples in examples/
demo: build
	@bash scripts/demo.sh $(ISOBOX)

## bench: per-run latency, throughput, instantiation and resident memory,
## then `isobox serve` under load (bench-serve) and workers (bench-workers)
bench: setup
	$(CARGO) bench $(CARGO_FLAGS) -p isobox-cli --bench run
	@$(MAKE) --no-print-directory bench-state
	@$(MAKE) --no-print-directory bench-npm
	@$(MAKE) --no-print-directory bench-journal
	@$(MAKE) --no-print-directory bench-serve
	@$(MAKE) --no-print-directory bench-workers

## test-s3: blobs in S3-compatible storage (isobox-store's `s3` feature) against moto's
## S3 server on loopback (installed from PyPI into target/s3, pinned) and the tests'
## PostgreSQL; not part of `make test`, which does not build the S3 client
test-s3: setup
	@bash scripts/s3/moto.sh >/dev/null
	@bash scripts/pg/with-cluster.sh $(CARGO) test --release $(CARGO_FLAGS) -p isobox-store --features s3 --test s3

## bench-state: kv and workspace operations per second on SQLite and on a private
## PostgreSQL (started and stopped here), a workspace holding lodash's ~1,000 files
## (benches/store, pinned), and one capability call's cost from JS
bench-state: setup
	@bash benches/store/install.sh
	@bash scripts/pg/with-cluster.sh $(CARGO) bench $(CARGO_FLAGS) -p isobox-cli --bench state

## bench-journal: durable runs: what a journal adds per capability call and per
## fetch (plain and journaled runs alternating), and resuming a paused run with
## 100 journaled calls
bench-journal: setup
	$(CARGO) bench $(CARGO_FLAGS) -p isobox-cli --bench journal

## bench-npm: zod, hono and date-fns from a loopback registry (the pinned fixtures): cold
## install-and-link against esbuild bundling them (benches/npm, pinned), the first run,
## and warm runs of the linked graph against esbuild's bundle
bench-npm: setup
	@bash scripts/npm/fixtures.sh
	@bash benches/npm/install.sh
	$(CARGO) bench $(CARGO_FLAGS) -p isobox-cli --bench npm

## bench-serve: the dist build of `isobox serve` under wrk on loopback (installs wrk once): requests/s,
## p50/p99 latency and non-2xx at concurrency 1, 16, 256; server RSS across the runs
bench-serve: dist
	@bash scripts/bench-serve.sh $(ISOBOX_DIST)

## bench-workers: requests/s, p50 and p99 of one trivial handler under wrk:
## `wasmtime serve` of the `isobox build` output against `isobox serve`'s worker route
bench-workers: dist
	@bash scripts/bench-workers.sh $(ISOBOX_DIST)

## bench-registry: requests/s of a worker uploaded to the registry against the
## same code configured in [workers], side by side, on SQLite and PostgreSQL
bench-registry: build
	@bash scripts/bench-registry.sh $(ISOBOX)

## bench-peers: isobox against its peers on the same two workloads (1 + 1, a zod
## parse): workerd (plain, Worker Loader), isolated-vm, quickjs-emscripten, wasmtime
## serve, a process per run; latency per run, requests/s at 1-128 connections and
## resident memory, with ratios to isobox; a table, target/peers/results.json and
## docs/peers/*.svg (peers installed, pinned, into .cache/peers; benches/peers/README.md)
bench-peers: dist
	@bash scripts/peers/run.sh $(ISOBOX_DIST)

## soak: a million mixed runs (SOAK_RUNS overrides) through the release build of
## `isobox serve` on 127.0.0.1; the server's resident memory, descriptors and
## threads every 100,000 runs must stay flat, with no 5xx but deliberate 503s
## (scripts/soak.sh). Not part of `make test`
soak: setup
	$(CARGO) build --release $(CARGO_FLAGS) -p isobox-cli --bin isobox --example soak
	@bash scripts/soak.sh $(ISOBOX)

## fuzz: every fuzz target (fuzz/, libFuzzer on stable Rust) for FUZZ_SECONDS each
## (default 60); a crash is kept under target/fuzz/artifacts/ and fails the run
.PHONY: fuzz fuzz-smoke
fuzz: setup
	@bash scripts/fuzz.sh

## fuzz-smoke: the fuzz targets' replay test (fuzz/regressions, fuzz/corpus), then each
## target for 15 s under libFuzzer (make test runs the replay test alone)
fuzz-smoke: setup
	@bash scripts/fuzz.sh --smoke

## ts-differential: isobox strip against TypeScript's transpileModule on zod, rxjs and effect sources
ts-differential:
	@bash scripts/ts-differential/run.sh

## bench-openapi: load time, resident memory, search and describe p50 for
## GitHub's REST API spec (the pinned fixture of scripts/openapi/fixtures.sh)
bench-openapi: setup
	@bash scripts/openapi/fixtures.sh
	$(CARGO) run --release $(CARGO_FLAGS) -p isobox-openapi --example bench -- .cache/openapi-fixtures/github/api.github.com.json
	$(CARGO) run --release $(CARGO_FLAGS) -p isobox-openapi --example bench -- .cache/openapi-fixtures/stripe/stripe.com.json

## token-report: tokens of the TypeScript declarations `isobox types` prints against the
## JSON tool definitions of real MCP servers (from npm) and of the built-ins (o200k_base)
token-report: build
	@bash scripts/token-report/run.sh

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
