"""What the pytest-botkube plugin adds to ``pytest --help`` and to collecting the e2e matrix.

Medians of N fresh processes each, in the same run:
- ``pytest --help`` with the plugin, and with ``-p no:botkube`` (the baseline);
- ``pytest tests/e2e --collect-only -q`` (loads every scenario file; no cluster is touched).

    python benchmarks/bench_pytest_help.py [--reps 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def seconds(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, capture_output=True, check=False, timeout=300)
    return time.perf_counter() - start


def median(argv: list[str], reps: int) -> float:
    return statistics.median(seconds(argv) for _ in range(reps))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=15)
    reps = parser.parse_args().reps
    pytest = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]
    with_plugin = median([*pytest, "--help"], reps)
    without = median([*pytest, "-p", "no:botkube", "--help"], reps)
    collect = median([*pytest, "tests/e2e", "--collect-only", "-q"], reps)
    delta = (with_plugin - without) * 1000
    print(
        f"pytest --help: median {with_plugin * 1000:.0f} ms with the plugin, "
        f"{without * 1000:.0f} ms with -p no:botkube ({delta:+.0f} ms)"
    )
    print(f"pytest tests/e2e --collect-only: median {collect * 1000:.0f} ms ({reps} runs each)")


if __name__ == "__main__":
    main()
