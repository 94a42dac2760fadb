"""What importing the pytest plugin costs: ``import pytest_botkube.plugin`` against ``import
pytest`` (the plugin imports pytest, so the difference is the plugin's own share). The plugin
must stay within 1.3x of bare pytest: the cluster layer and the kubernetes client are imported
only inside the fixtures.

Fresh processes, A and B alternated so drift hits both; medians and the median of the
pairwise ratios.

    python benchmarks/bench_plugin_import.py [--reps 21]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def seconds(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=21)
    reps = parser.parse_args().reps
    plugin, bare, ratios = [], [], []
    seconds("import pytest_botkube.plugin")  # warm the file cache and the bytecode
    for _ in range(reps):
        a = seconds("import pytest_botkube.plugin")
        b = seconds("import pytest")
        plugin.append(a)
        bare.append(b)
        ratios.append(a / b)
    print(
        f"import pytest_botkube.plugin: median {statistics.median(plugin) * 1000:.0f} ms; "
        f"import pytest: median {statistics.median(bare) * 1000:.0f} ms; "
        f"ratio (median of {reps} pairs) {statistics.median(ratios):.2f}x (budget 1.3x)"
    )


if __name__ == "__main__":
    main()
