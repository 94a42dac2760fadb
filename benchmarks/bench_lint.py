"""How long ``botkube-repro lint`` takes on a big values file, and what the plugin import costs.

Run: ``python benchmarks/bench_lint.py [--sources 1000] [--resources 5] [--runs 5]``.
Prints medians; figures belong in notes, never in test assertions.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from pytest_botkube.cli import main
from pytest_botkube.model.semantics import analyze
from pytest_botkube.yamlio import load_yaml

KINDS = [
    "v1/pods",
    "apps/v1/deployments",
    "autoscaling/v2/horizontalpodautoscalers",
    "batch/v1/jobs",
    "v1/services",
    "networking.k8s.io/v1/ingresses",
    "apps/v1/statefulsets",
]


def generate(sources: int, resources: int) -> dict[str, object]:
    """Every source bound to the webhook; each resource with its own types and filters."""
    out: dict[str, object] = {}
    for i in range(sources):
        entries = [
            {
                "type": KINDS[(i + j) % len(KINDS)],
                "namespaces": {"include": [f"team-{j}", "shared-.*"]},
                "event": {
                    "types": ["create", "delete", "error"] if j % 2 else ["all"],
                    "reason": {"include": [".*"], "exclude": ["Noisy.*"]},
                },
            }
            for j in range(resources)
        ]
        config = {"event": {"types": ["create", "error"]}, "resources": entries}
        if i % 10 == 0:  # a few sources without a top-level event: they crash v1.13.0
            del config["event"]
        out[f"src-{i:04d}"] = {"botkube/kubernetes": {"enabled": True, "config": config}}
    return {
        "sources": out,
        "communications": {
            "default-group": {
                "webhook": {
                    "enabled": True,
                    "url": "http://receiver",
                    "bindings": {"sources": list(out)},
                }
            }
        },
    }


def median_seconds(fn: object, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def in_process(path: Path, version: str) -> int:
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):
        return main(["lint", str(path), "--botkube-version", version, "--format", "json"])


def run_python(code: str) -> None:
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--resources", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "values.yaml"
        path.write_text(yaml.safe_dump(generate(args.sources, args.resources)), encoding="utf-8")
        size_kib = path.stat().st_size / 1024
        print(
            f"values file: {args.sources} sources x {args.resources} resources, "
            f"{size_kib:.0f} KiB, {len(path.read_text().splitlines())} lines"
        )
        parse = median_seconds(lambda: load_yaml(path), args.runs)
        print(f"  of which yamlio.load_yaml (parse + key lines): median {parse * 1000:.0f} ms")
        document = load_yaml(path)
        for version in ("v1.13.0", "v1.14.0"):
            model = median_seconds(lambda v=version: analyze(document, v), args.runs)
            print(f"  of which semantics.analyze {version}: median {model * 1000:.0f} ms")
        for version in ("v1.13.0", "v1.14.0"):
            code = in_process(path, version)
            wall = median_seconds(lambda v=version: in_process(path, v), args.runs)
            print(f"lint {version} in-process: median {wall * 1000:.0f} ms (exit {code})")
        cli = [
            sys.executable,
            "-m",
            "pytest_botkube.cli",
            "lint",
            str(path),
            "--botkube-version",
            "v1.13.0",
        ]
        wall = median_seconds(
            lambda: subprocess.run(cli, capture_output=True, check=False, timeout=300), args.runs
        )
        print(f"lint v1.13.0 as a command (incl. interpreter start): median {wall * 1000:.0f} ms")

    reps = max(args.runs, 7)
    bare = median_seconds(lambda: run_python("pass"), reps)
    pytest_only = median_seconds(lambda: run_python("import pytest"), reps)
    plugin = median_seconds(lambda: run_python("import pytest_botkube.plugin"), reps)
    print(f"python -c pass:                           median {bare * 1000:.0f} ms")
    print(f"python -c 'import pytest':                median {pytest_only * 1000:.0f} ms")
    print(
        f"python -c 'import pytest_botkube.plugin': median {plugin * 1000:.0f} ms "
        f"(+{(plugin - pytest_only) * 1000:.0f} ms over pytest)"
    )


if __name__ == "__main__":
    main_bench()
