"""How long ``botkube-repro lint`` takes on a big values file, and what the plugin import costs.

Run: ``python benchmarks/bench_lint.py [--sources 1000] [--resources 5] [--runs 5]``.
Prints medians; figures belong in notes, never in test assertions.

The yardstick is the floor any YAML tool pays: ``yaml.load(f, Loader=yaml.CSafeLoader)`` of the
same file in a fresh interpreter. ``lint`` (a fresh ``python -m pytest_botkube.cli``, text and
``--format json``) is printed as a ratio to it; the target is 2x or less. ``--write FILE`` keeps
the generated file, to time the two commands with an external tool as well.
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


#: The chart's plugin context: without it every source is rejected and the model has less to do.
CONTEXT = {"rbac": {"group": {"type": "Static", "static": {"values": ["botkube-plugins-default"]}}}}


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
        out[f"src-{i:04d}"] = {
            "botkube/kubernetes": {"enabled": True, "context": CONTEXT, "config": config}
        }
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


def _quiet(argv: list[str]) -> None:
    subprocess.run(argv, capture_output=True, check=False, timeout=300)


def run_python(code: str) -> None:
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--resources", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", type=Path, metavar="FILE", help="keep the generated file here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "values.yaml"
        path.write_text(yaml.safe_dump(generate(args.sources, args.resources)), encoding="utf-8")
        if args.write is not None:
            args.write.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
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
        floor_code = (
            "import yaml; f = open(__import__('sys').argv[1], 'rb'); "
            "yaml.load(f, Loader=yaml.CSafeLoader)"
        )
        floor_cmd = [sys.executable, "-c", floor_code, str(path)]
        reps = max(args.runs, 5)
        for fmt in ("text", "json"):
            lint_cmd = [*cli, "--format", fmt]
            ratios, lints, floors = [], [], []
            for _ in range(reps):  # in turn, so a drift in machine speed hits both alike
                a = median_seconds(lambda c=lint_cmd: _quiet(c), 1)
                b = median_seconds(lambda: _quiet(floor_cmd), 1)
                lints.append(a)
                floors.append(b)
                ratios.append(a / b)
            print(
                f"lint ({fmt}) / yaml.load CSafeLoader, fresh interpreters: median "
                f"{statistics.median(ratios):.2f}x ({statistics.median(lints) * 1000:.0f} ms vs "
                f"{statistics.median(floors) * 1000:.0f} ms)"
            )

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
