"""Turns the raw figures of `make bench-peers` into results.json and the
markdown table (stdout). scripts/peers/run.sh calls it; benches/peers/README.md
describes the rows. Reads, in --raw:
  inproc-ROW-WORKLOAD.json    every run's time of one in-process row (inproc.mjs)
  http-WORKLOAD.jsonl         one line per wrk measurement (run.sh's load())
  rss-ROW-WORKLOAD-N.txt      "epoch-seconds rss-kib anon-kib" of the Nth server of ROW
"""

import argparse
import glob
import json
import os
import re
import statistics
import subprocess
import sys

INPROC_ROWS = [
    ("isobox-repeat", "isobox", "isobox run --repeat: a fresh sandbox per run, in-process"),
    ("isolated-vm", "isolated-vm", "isolated-vm {isolated-vm}: a new Isolate + Context per run"),
    ("quickjs-emscripten", "quickjs-emscripten", "quickjs-emscripten {quickjs-emscripten}: a new runtime + context per run"),
    ("node-process", "process", "node FILE: a process per run (node {node})"),
    ("isobox-process", "process", "isobox run FILE: a process per run"),
]
HTTP_ROWS = [
    ("isobox-run", "isobox", "isobox serve, POST /v1/run: a fresh sandbox per request"),
    ("isobox-worker", "isobox", "isobox serve, worker route: a fresh sandbox per request"),
    ("wasmtime", "wasmtime", "wasmtime serve {wasmtime} of isobox build: a fresh instance per request"),
    ("wasmtime-pooling", "wasmtime", "wasmtime serve, pooling allocator (4 MiB resident)"),
    ("workerd-plain", "workerd", "workerd {workerd}, plain worker: one isolate for every request"),
    ("workerd-load", "workerd", "workerd Worker Loader, load(): a new worker per request"),
    ("workerd-new-id", "workerd", "workerd Worker Loader, get(new id): a new worker per request, all kept (*)"),
    ("workerd-cached", "workerd", "workerd Worker Loader, get(fixed id): one cached worker"),
]
INPROC_BASE = "isobox-repeat"
HTTP_BASE = "isobox-run"


def percentile(sorted_values, fraction):
    """Nearest rank, as isobox's --repeat line computes it."""
    if not sorted_values:
        return None
    return sorted_values[round((len(sorted_values) - 1) * fraction)]


def requests_per_s(wrk):
    """wrk's rate; for a measurement stopped at its request cap (wrk.lua),
    the responses up to the cap over the time they took, as wrk itself
    divides by the whole duration."""
    if wrk.get("active_us"):
        return wrk["active_requests"] / (wrk["active_us"] / 1e6)
    return wrk["requests"] / (wrk["duration_us"] / 1e6)


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "rounds": values}


def versions(args):
    def npm(name):
        try:
            with open(os.path.join(args.npm_dir, "node_modules", name, "package.json")) as f:
                return json.load(f)["version"]
        except OSError:
            return "?"

    def command(*argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout.strip()
        except OSError:
            return "?"

    return {
        "isobox": command(args.isobox, "--version") if os.path.exists(args.isobox) else "?",
        "workerd": npm("workerd"),
        "workerd_binary": command(args.workerd, "--version"),
        "isolated-vm": npm("isolated-vm"),
        "quickjs-emscripten": npm("quickjs-emscripten"),
        "zod": npm("zod"),
        "esbuild": npm("esbuild"),
        "wasmtime": command(args.wasmtime, "--version").replace("wasmtime ", "").split(" ")[0],
        "node": command("node", "--version").lstrip("v"),
        "wrk": (command("wrk", "-v") or "").split("\n")[0],
    }


def inprocess(args, names):
    rows = []
    for row, group, label in INPROC_ROWS:
        for workload in args.workloads:
            path = os.path.join(args.raw, f"inproc-{row}-{workload}.json")
            if not os.path.exists(path):
                continue
            with open(path) as f:
                data = json.load(f)
            rounds = []
            for samples in data["round_samples_us"]:
                ordered = sorted(samples)
                rounds.append({"p50": percentile(ordered, 0.5), "p99": percentile(ordered, 0.99), "max": ordered[-1]})
            p50 = spread([r["p50"] for r in rounds])
            # The distribution plotted is that of the round whose p50 is the median one.
            middle = sorted(range(len(rounds)), key=lambda i: rounds[i]["p50"])[len(rounds) // 2]
            rows.append({
                "row": row,
                "group": group,
                "label": label.format(**names),
                "workload": workload,
                "runs_per_round": data["runs"],
                "warmup": data["warmup"],
                "p50_us": p50,
                "p99_us": spread([r["p99"] for r in rounds]),
                "samples_us": data["round_samples_us"][middle],
                "samples_round": middle + 1,
                "memory": data["memory"],
            })
    for entry in rows:
        base = next((r for r in rows if r["row"] == INPROC_BASE and r["workload"] == entry["workload"]), None)
        entry["p50_ratio"] = entry["p50_us"]["median"] / base["p50_us"]["median"] if base else None
    return rows


def read_rss(path):
    """(time, VmRSS KiB, RssAnon KiB) samples (run.sh's mem_of lines)."""
    samples = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:
                samples.append((float(parts[0]), int(parts[1]), int(parts[2])))
    return samples


def memory_series(samples, windows):
    """Memory samples against runs served: within a wrk window a sample's
    runs are interpolated from the window's request count; outside any window
    they are the runs served so far. windows: [(start, end, requests)] in order."""
    series = []
    for t, rss, anon in samples:
        served = 0
        for start, end, requests in windows:
            if t >= end:
                served += requests
            elif t >= start:
                served += requests * (t - start) / max(end - start, 1e-9)
                break
            else:
                break
        series.append({"runs": round(served), "rss_kib": rss, "anon_kib": anon})
    series.sort(key=lambda s: (s["runs"], s["rss_kib"]))
    return series


def http(args, names):
    measurements = []
    for workload in args.workloads:
        path = os.path.join(args.raw, f"http-{workload}.jsonl")
        if os.path.exists(path):
            with open(path) as f:
                measurements += [json.loads(line) for line in f if line.strip()]
    rows = []
    for row, group, label in HTTP_ROWS:
        for workload in args.workloads:
            mine = [m for m in measurements if m["row"] == row and m["workload"] == workload]
            if not mine:
                continue
            levels = {}
            for c in args.concurrency:
                at = [m for m in mine if m["concurrency"] == c]
                if not at:
                    continue
                rps = [requests_per_s(m["wrk"]) for m in at]
                errors = {k: sum(m["wrk"]["errors"][k] for m in at) for k in at[0]["wrk"]["errors"]}
                levels[str(c)] = {
                    "requests_per_s": spread(rps),
                    "p50_us": spread([m["wrk"]["latency_us"]["p50"] for m in at]),
                    "p99_us": spread([m["wrk"]["latency_us"]["p99"] for m in at]),
                    "requests": sum(m["wrk"]["requests"] for m in at),
                    "errors": errors,
                }
            # Memory: every server instance's samples against its runs served;
            # the one plotted is the instance that served the most.
            instances = []
            for rss_path in sorted(glob.glob(os.path.join(args.raw, f"rss-{row}-{workload}-*.txt"))):
                n = int(re.search(r"-(\d+)\.txt$", rss_path).group(1))
                windows = sorted((m["start"], m["end"], m["wrk"]["requests"]) for m in mine if m["instance"] == n)
                samples = read_rss(rss_path)
                if windows and samples:
                    instances.append(memory_series(samples, windows))
            memory = max(instances, key=lambda s: s[-1]["runs"]) if instances else []
            rows.append({
                "row": row,
                "group": group,
                "label": label.format(**names),
                "workload": workload,
                "concurrency": levels,
                "server_instances": len(instances),
                "memory": memory,
            })
    for entry in rows:
        base = next((r for r in rows if r["row"] == HTTP_BASE and r["workload"] == entry["workload"]), None)
        for c, level in entry["concurrency"].items():
            mine_rps, mine_p50 = level["requests_per_s"]["median"], level["p50_us"]["median"]
            if base and c in base["concurrency"]:
                level["rps_ratio"] = mine_rps / base["concurrency"][c]["requests_per_s"]["median"]
                level["p50_ratio"] = mine_p50 / max(base["concurrency"][c]["p50_us"]["median"], 1)
            else:
                level["rps_ratio"] = level["p50_ratio"] = None
    return rows


def duration(us):
    if us is None:
        return "-"
    if us < 1000:
        return f"{us:.0f} us" if us >= 10 else f"{us:.1f} us"
    if us < 1_000_000:
        ms = us / 1000
        return f"{ms:.2f} ms" if ms < 10 else f"{ms:.1f} ms" if ms < 100 else f"{ms:.0f} ms"
    return f"{us / 1e6:.2f} s"


def count(value):
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def ratio(value):
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}x"
    if value >= 10:
        return f"{value:.1f}x"
    return f"{value:.2f}x"


def with_spread(figure, fmt):
    if figure is None:
        return "-"
    if len(figure["rounds"]) < 2:
        return fmt(figure["median"])
    return f"{fmt(figure['median'])} ({fmt(figure['min'])} to {fmt(figure['max'])})"


def mib(kib):
    return f"{kib / 1024:,.0f} MiB" if kib >= 10 * 1024 else f"{kib / 1024:.1f} MiB"


def table(results):
    meta = results["meta"]
    settings = meta["settings"]
    workloads = meta["workloads"]
    lines = []
    say = lines.append
    version = meta["versions"]["isobox"].replace("isobox ", "")
    rounds = settings["rounds"]
    say(f"isobox{'' if version == '?' else ' ' + version} against its peers, "
        f"{meta['date']} on {meta['machine']['cores']} cores (load average {meta['load_average_start']} at the start, "
        f"{meta['load_average_end']} at the end); medians of {rounds} round{'s' if rounds != 1 else ''}, "
        "in brackets the lowest and highest round median; ratios against the matching isobox row.")
    say("")
    if results["inprocess"]:
        say(f"Latency per run, a fresh sandbox (or process) per run: p50 and p99; "
            f"{settings['runs']} runs a round in-process, {settings['process_runs']} for a process per run. "
            "x isobox: the p50 over isobox's (above 1: slower).")
        say("")
        head = "| peer |"
        rule = "|---|"
        for w in workloads:
            head += f" {w} p50 | {w} p99 | x isobox |"
            rule += "---:|---:|---:|"
        say(head)
        say(rule)
        for row, _, _ in INPROC_ROWS:
            mine = {e["workload"]: e for e in results["inprocess"] if e["row"] == row}
            if not mine:
                continue
            cells = [next(iter(mine.values()))["label"]]
            for w in workloads:
                e = mine.get(w)
                if e is None:
                    cells += ["-", "-", "-"]
                    continue
                cells += [with_spread(e["p50_us"], duration), duration(e["p99_us"]["median"]), ratio(e["p50_ratio"])]
            say("| " + " | ".join(cells) + " |")
        say("")
    if results["http"]:
        conc = results["meta"]["concurrency"]
        for w in workloads:
            entries = [e for e in results["http"] if e["workload"] == w]
            if not entries:
                continue
            say(f"HTTP, {w} workload: requests/s at {', '.join(map(str, conc))} connections "
                f"(wrk, {settings['duration']} a round), and the latency p50/p99 at {conc[0]} connection{'s' if conc[0] != 1 else ''}. "
                "x: against isobox's /v1/run (requests/s above 1: more; p50 above 1: slower).")
            say("")
            say("| server | " + " | ".join(f"c={c} req/s | x" for c in conc)
                + f" | p50 at c={conc[0]} | x | p99 at c={conc[0]} | errors |")
            say("|---|" + "---:|---:|" * len(conc) + "---:|---:|---:|---:|")
            for e in entries:
                cells = [e["label"]]
                errors = 0
                for c in conc:
                    level = e["concurrency"].get(str(c))
                    if level is None:
                        cells += ["-", "-"]
                        continue
                    cells += [with_spread(level["requests_per_s"], count), ratio(level["rps_ratio"])]
                    errors += sum(level["errors"].values())
                one = e["concurrency"].get(str(conc[0]))
                cells += [
                    duration(one["p50_us"]["median"]) if one else "-",
                    ratio(one["p50_ratio"]) if one else "-",
                    duration(one["p99_us"]["median"]) if one else "-",
                    f"{errors:,}" if errors else "0",
                ]
                say("| " + " | ".join(cells) + " |")
            say("")
        if any(e["row"] == "workerd-new-id" for e in results["http"]):
            say(f"(*) get(new id) keeps every worker it loaded for the server's life (about 2 MiB each): "
                f"each of its measurements runs on a fresh workerd and stops after {settings['new_id_max']:,} requests.")
            say("")
    memory_rows = [e for e in results["inprocess"] + results["http"] if e["memory"]]
    if memory_rows:
        say("Memory of the process holding the sandboxes: its own resident memory (RssAnon: heap and written "
            "pages, no page cache) at the start, the highest seen and at the end, its VmRSS at the end, and the "
            "runs it had served by then.")
        say("")
        say("| process | workload | RssAnon, start | RssAnon, peak | RssAnon, end | VmRSS, end | runs |")
        say("|---|---|---:|---:|---:|---:|---:|")
        for e in memory_rows:
            m = e["memory"]
            anon = [s["anon_kib"] for s in m]
            say(f"| {e['label']} | {e['workload']} | {mib(anon[0])} | {mib(max(anon))} | {mib(anon[-1])} | "
                f"{mib(m[-1]['rss_kib'])} | {m[-1]['runs']:,} |")
        say("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--raw", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--npm-dir", required=True)
    parser.add_argument("--isobox", default="")
    parser.add_argument("--workerd", default="")
    parser.add_argument("--wasmtime", default="")
    parser.add_argument("--settings", default="")
    parser.add_argument("--concurrency", default="1 8 32 128")
    parser.add_argument("--workloads", default="trivial realistic")
    parser.add_argument("--started", type=int, default=0)
    parser.add_argument("--finished", type=int, default=0)
    parser.add_argument("--install-seconds", type=int, default=0)
    parser.add_argument("--load-average", default="")
    args = parser.parse_args()
    args.concurrency = [int(c) for c in args.concurrency.split()]
    args.workloads = args.workloads.split()

    found = versions(args)
    names = dict(found)
    settings = {}
    for pair in args.settings.split():
        key, _, value = pair.partition("=")
        settings[key] = int(value) if value.isdigit() else value
    import time

    results = {
        "meta": {
            "date": time.strftime("%Y-%m-%d", time.localtime(args.started or time.time())),
            "started": args.started,
            "finished": args.finished,
            "run_seconds": args.finished - args.started,
            "install_seconds": args.install_seconds,
            "machine": {"cores": os.cpu_count(), "kernel": os.uname().release},
            "load_average_start": args.load_average,
            "load_average_end": " ".join(open("/proc/loadavg").read().split()[:3]),
            "settings": settings,
            "concurrency": args.concurrency,
            "workloads": args.workloads,
            "versions": found,
        },
        "inprocess": inprocess(args, names),
        "http": http(args, names),
    }
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
