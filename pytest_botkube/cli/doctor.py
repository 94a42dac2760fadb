"""``botkube-repro doctor``: check a BotKube already running in a cluster, read-only.

Exit status: 0 healthy and predicted healthy, 1 a problem found, 2 bad input (a --kubeconfig
that is missing or unusable), 3 no kubeconfig to be found, cluster unreachable, a permission
missing, or BotKube not found.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = (
    "check a BotKube running in a cluster (read-only): version, config prediction, "
    "plugin health, known issue, fix"
)

EXIT_CODES = {
    0: "healthy and predicted healthy",
    1: "a problem found (predicted crash or exit loop, plugin deactivated or restarting, pod "
    "not ready, a version the model does not cover)",
    2: "bad input: the --kubeconfig file is missing or not a kubeconfig, an unknown --context, "
    "no current-context, several BotKubes (choose one), a running config it cannot read",
    3: "no kubeconfig found ($KUBECONFIG, ~/.kube/config) outside a pod, cluster unreachable, "
    "not a Kubernetes API server, a permission missing, or no BotKube",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kubeconfig",
        type=Path,
        metavar="PATH",
        help="kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)",
    )
    parser.add_argument("--context", metavar="NAME", help="kubeconfig context (default: current)")
    parser.add_argument(
        "--namespace",
        "-n",
        metavar="NS",
        help="namespace BotKube runs in (default: search all namespaces, if allowed)",
    )
    parser.add_argument("--release", metavar="NAME", help="Helm release name of BotKube")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    from pytest_botkube.doctor.examine import examine_cluster
    from pytest_botkube.doctor.render import render_json, render_text

    report = examine_cluster(args.kubeconfig, args.context, args.namespace, args.release)
    sys.stdout.write(render_json(report) + "\n" if args.format == "json" else render_text(report))
    return int(report.exit_code)
