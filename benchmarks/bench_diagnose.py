"""Throughput and memory of the agent-log reader behind ``botkube-repro diagnose``.

1. Throughput on a generated 1 M-line JSON agent log, against a baseline in the same run that
   only does ``json.loads`` on each line (target: diagnose within 2x of it), for two mixes: a
   crash-dense one (worst case: half the lines are crash-loop lines that must be parsed) and a
   mostly-healthy one (what a long-running agent writes).
2. Memory flatness: peak RSS of a fresh process that diagnoses a small and a large generated log
   (default 64 MiB and 1 GiB), and the tracemalloc peak at two smaller sizes; flat means the
   peaks do not grow with the log.

The logs are built by repeating the JSON fixtures in tests/data/logs (crash loops, exit loop,
RestartAgent, healthy, sink failures, pasted partial panics, klog stderr, a rejected source,
agent fatal errors and panics) in a temporary directory; nothing is committed.

    python benchmarks/bench_diagnose.py [--lines 1000000] [--small-mb 64] [--big-mb 1024]
                                        [--traced-mb 256,1024]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "data" / "logs"
MIXES = {
    # every fixture in turn: about half the lines are crash-loop lines the reader must parse
    "crash-dense": [
        "healthy_v1.14.0.json.log",
        "crash_loop_v1.13.0.json.log",
        "sink_failures.json.log",
        "exit_loop_unknown_type.json.log",
        "healthy_v1.14.0.json.log",
        "restart_agent.json.log",
        # what users paste: frames without a panic line, klog stderr, the agent's own fatal
        # start-up error and reported panic
        "partial_panic_v1.13.0.json.log",
        "plugin_stderr_klog_v1.13.0.json.log",
        "agent_fatal_plugin_index.json.log",
        "agent_panic_cloud_slack_v1.3.0.json.log",
    ],
    # a long-running agent: healthy chatter, now and then a failed POST, one crash loop
    "mostly-healthy": ["healthy_v1.14.0.json.log"] * 40
    + ["sink_failures.json.log"] * 5
    + ["crash_loop_v1.13.0.json.log"],
}


def _block(mix: str = "crash-dense") -> list[str]:
    lines: list[str] = []
    for name in MIXES[mix]:
        lines += (FIXTURES / name).read_text(encoding="utf-8").splitlines(keepends=True)
    return lines


def write_lines(path: Path, count: int, mix: str) -> int:
    block = _block(mix)
    written = 0
    with path.open("w", encoding="utf-8") as out:
        while written < count:
            chunk = block[: count - written]
            out.writelines(chunk)
            written += len(chunk)
    return path.stat().st_size


def write_bytes(path: Path, size: int) -> int:
    data = "".join(_block()).encode()
    with path.open("wb") as out:
        written = 0
        while written < size:
            out.write(data)
            written += len(data)
    return written


# CPU time of this process, not wall-clock: the figures are taken on shared machines.
def baseline(path: Path) -> float:
    start = time.process_time()
    with path.open(encoding="utf-8") as stream:
        for line in stream:
            json.loads(line)
    return time.process_time() - start


NO_CAP = 1 << 40  # the input gate's size cap (64 MiB by default) does not apply here


def diagnose(path: Path) -> float:
    from pytest_botkube.readers.logs import read_log_file

    start = time.process_time()
    read_log_file(path, limit=NO_CAP)
    return time.process_time() - start


_CHILD = """
import resource, sys, time
from pytest_botkube.readers.logs import read_log_file
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
s = read_log_file(sys.argv[1], limit=1 << 40)
t = time.perf_counter() - t
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
p = s.plugins["botkube/kubernetes"]
print(before, after, s.lines, t, p.exit_count, p.panic_count)
"""


_TRACED = """
import sys, tracemalloc
from pytest_botkube.readers.logs import read_log_file
tracemalloc.start()
read_log_file(sys.argv[1], limit=1 << 40)
print(tracemalloc.get_traced_memory()[1])
"""


def traced_peak(path: Path) -> int:
    out = subprocess.run(
        [sys.executable, "-c", _TRACED, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=3600,
    ).stdout
    return int(out)


def peak_rss(path: Path) -> tuple[int, int, int, float, int, int]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=3600,
    ).stdout.split()
    before, after, lines, seconds, exits, panics = out
    return int(before), int(after), int(lines), float(seconds), int(exits), int(panics)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--small-mb", type=int, default=64)
    parser.add_argument("--big-mb", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--traced-mb",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[256, 1024],
        help="sizes for the tracemalloc run (slow); lists in the summary are capped at "
        "MAX_EVENTS entries, so the peak stops growing once the caps are reached",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-diagnose-") as tmp:
        log = Path(tmp) / "agent.log"
        for mix in MIXES:
            size = write_lines(log, args.lines, mix)
            print(f"throughput, {mix} mix: {args.lines:,} JSON lines, {size / 2**20:.0f} MiB")
            # Interleaved pairs, so a noisy machine slows both sides of each ratio alike.
            pairs = [(baseline(log), diagnose(log)) for _ in range(args.repeat)]
            base = min(b for b, _ in pairs)
            diag = min(d for _, d in pairs)
            ratios = sorted(d / b for b, d in pairs)
            print(
                f"  baseline json.loads per line: {args.lines / base:,.0f} lines/s ({base:.2f} s)"
            )
            print(
                f"  diagnose (read_log_file):     {args.lines / diag:,.0f} lines/s ({diag:.2f} s)"
            )
            print(
                f"  diagnose / baseline time:     median {statistics.median(ratios):.2f}x, "
                f"range {ratios[0]:.2f}-{ratios[-1]:.2f}x over {len(pairs)} pairs (target <= 2x)"
            )
            log.unlink()

        print("memory (peak RSS of a fresh process, KiB):")
        for mb in (args.small_mb, args.big_mb):
            path = Path(tmp) / f"agent-{mb}.log"
            real = write_bytes(path, mb * 2**20)
            before, after, lines, seconds, exits, panics = peak_rss(path)
            print(
                f"  {real / 2**20:7.0f} MiB, {lines:>10,} lines: peak {after:>7,} KiB "
                f"(before reading {before:,}), {lines / seconds:,.0f} lines/s, "
                f"{exits:,} exits, {panics:,} panics seen"
            )
            path.unlink()

        print("memory (tracemalloc peak of Python allocations while reading):")
        for mb in args.traced_mb:
            path = Path(tmp) / f"agent-traced-{mb}.log"
            real = write_bytes(path, mb * 2**20)
            print(f"  {real / 2**20:7.0f} MiB: peak {traced_peak(path) / 2**10:,.0f} KiB")
            path.unlink()


if __name__ == "__main__":
    main()
