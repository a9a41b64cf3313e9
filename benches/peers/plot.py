"""The plots of `make bench-peers`, from target/peers/results.json:
  latency.svg     the latency distribution per run of each in-process row (one
                  round: the one with the median p50), log scale
  throughput.svg  requests/s against concurrency, one line per HTTP server,
                  the median of the rounds with their lowest and highest
  memory.svg      anonymous resident memory (RssAnon) against runs served, per process
One panel per workload. Usage: plot.py RESULTS.json OUT_DIR
"""

import json
import os
import sys

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

# Plain numbers on log axes (2000, not 2 x 10^3).
PLAIN = FuncFormatter(lambda value, _: f"{value:,.0f}" if value >= 1 else f"{value:g}")

# One colour per peer family, isobox's first; line styles tell modes apart.
STYLE = {
    "isobox-repeat": ("#1f5fbf", "-"),
    "isobox-process": ("#1f5fbf", ":"),
    "isobox-run": ("#1f5fbf", "-"),
    "isobox-worker": ("#1f5fbf", "--"),
    "isolated-vm": ("#2e8b57", "-"),
    "quickjs-emscripten": ("#d2691e", "-"),
    "node-process": ("#2e8b57", ":"),
    "wasmtime": ("#7b3fa0", "-"),
    "wasmtime-pooling": ("#7b3fa0", "--"),
    "workerd-plain": ("#e0a000", "-"),
    "workerd-load": ("#c0392b", "-"),
    "workerd-new-id": ("#c0392b", ":"),
    "workerd-cached": ("#c0392b", "--"),
}
plt.rcParams.update({"svg.hashsalt": "isobox-peers", "svg.fonttype": "none", "font.size": 9})


def style(row):
    return STYLE.get(row, ("#555555", "-"))


def panels(workloads, title, rows=1):
    n = len(workloads)
    fig, axes = plt.subplots(rows, n, figsize=(6.2 * n, 3.9 * rows + 1.6), squeeze=False)
    fig.suptitle(title, fontsize=11)
    return fig, axes


def save(fig, path):
    """One legend for the figure, under the panels (every panel has the same rows)."""
    labels = {}
    for ax in fig.axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            labels.setdefault(label, handle)
    fig.legend(list(labels.values()), list(labels.keys()), loc="lower center", ncol=2, fontsize=7.5, frameon=False)
    rows = (len(labels) + 1) // 2
    fig.tight_layout(rect=(0, 0.035 * rows + 0.02, 1, 1))
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


def latency(results, out):
    rows = results["inprocess"]
    workloads = [w for w in results["meta"]["workloads"] if any(r["workload"] == w for r in rows)]
    if not workloads:
        return
    fig, axes = panels(workloads, "Latency per run, a fresh sandbox (or process) per run")
    for ax, workload in zip(axes[0], workloads):
        mine = [r for r in rows if r["workload"] == workload]
        for r in mine:
            samples = sorted(max(s, 0.1) for s in r["samples_us"])
            n = len(samples)
            # Share of runs at or below each time: the ECDF, with p50 and p99 marked.
            colour, line = style(r["row"])
            ax.step(samples, [(i + 1) / n for i in range(n)], where="post", color=colour, linestyle=line,
                    label=r["label"], linewidth=1.4)
            for q, marker in ((0.5, "o"), (0.99, "^")):
                x = samples[round((n - 1) * q)]
                ax.plot([x], [q], marker=marker, color=colour, markersize=4)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(PLAIN)
        ax.set_xlabel("time per run (us, log scale)")
        ax.set_ylabel("share of runs at or below (o p50, ^ p99)")
        ax.set_ylim(0, 1.02)
        ax.set_title(f"{workload} workload")
        ax.grid(True, which="both", alpha=0.25)
    save(fig, os.path.join(out, "latency.svg"))


def throughput(results, out):
    rows = results["http"]
    workloads = [w for w in results["meta"]["workloads"] if any(r["workload"] == w for r in rows)]
    if not workloads:
        return
    fig, axes = panels(workloads, "HTTP requests/s against concurrency (wrk on 127.0.0.1)")
    for ax, workload in zip(axes[0], workloads):
        for r in (r for r in rows if r["workload"] == workload):
            levels = sorted((int(c), v["requests_per_s"]) for c, v in r["concurrency"].items())
            xs = [c for c, _ in levels]
            ys = [v["median"] for _, v in levels]
            low = [v["median"] - v["min"] for _, v in levels]
            high = [v["max"] - v["median"] for _, v in levels]
            colour, line = style(r["row"])
            ax.errorbar(xs, ys, yerr=[low, high], color=colour, linestyle=line, marker="o", markersize=3,
                        capsize=2, linewidth=1.4, label=r["label"])
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        concurrency = results["meta"]["concurrency"]
        ax.set_xticks(concurrency)
        ax.set_xticklabels([str(c) for c in concurrency])
        ax.yaxis.set_major_formatter(PLAIN)
        ax.set_xlabel("connections")
        ax.set_ylabel("requests/s (log scale; bars: lowest and highest round)")
        ax.set_title(f"{workload} workload")
        ax.grid(True, which="both", alpha=0.25)
    save(fig, os.path.join(out, "throughput.svg"))


def memory(results, out):
    kinds = [
        ("in-process (the process that runs the sandboxes)", [r for r in results["inprocess"] if r["memory"]]),
        ("HTTP servers", [r for r in results["http"] if r["memory"]]),
    ]
    kinds = [(name, rows) for name, rows in kinds if rows]
    workloads = [w for w in results["meta"]["workloads"] if any(r["workload"] == w for _, rows in kinds for r in rows)]
    if not workloads:
        return
    fig, axes = panels(workloads, "Own resident memory (RssAnon: heap and written pages, no page cache) against runs served", rows=len(kinds))
    for (kind, rows), line_axes in zip(kinds, axes):
        for ax, workload in zip(line_axes, workloads):
            for r in (r for r in rows if r["workload"] == workload):
                xs = [max(m["runs"], 1) for m in r["memory"]]
                ys = [m["anon_kib"] / 1024 for m in r["memory"]]
                colour, line = style(r["row"])
                ax.plot(xs, ys, color=colour, linestyle=line, linewidth=1.3, marker="." if len(xs) < 40 else None,
                        markersize=3, label=r["label"])
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.xaxis.set_major_formatter(PLAIN)
            ax.yaxis.set_major_formatter(PLAIN)
            ax.yaxis.set_minor_formatter(PLAIN)
            ax.set_xlabel("runs served (log scale)")
            ax.set_ylabel("RssAnon, MiB (log scale)")
            ax.set_title(f"{kind}, {workload} workload", fontsize=9)
            ax.grid(True, which="both", alpha=0.25)
    save(fig, os.path.join(out, "memory.svg"))


def main():
    with open(sys.argv[1]) as f:
        results = json.load(f)
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    latency(results, out)
    throughput(results, out)
    memory(results, out)
    print(f"plots written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
