"""``botkube-repro lint``: predict, without a cluster, whether a values file breaks BotKube."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from pytest_botkube.errors import BadInput, ExitCode
from pytest_botkube.inputs import STDIN, input_name
from pytest_botkube.model.apis import CrdAssumption
from pytest_botkube.model.semantics import Analysis, Finding, analyze
from pytest_botkube.model.versions import (
    DEFAULT_KUBERNETES_VERSION,
    KNOWN_BOTKUBE_VERSIONS,
    normalize_botkube_version,
    parse_kubernetes_version,
)
from pytest_botkube.scenario import looks_like_scenario, scenario_from_document
from pytest_botkube.yamlio import YamlDocument, load_yaml, not_values_reason

HELP = "check a Helm values file against a BotKube version's kubernetes source plugin"

#: What lint's statuses mean (for --help; the shared meanings are in errors.EXIT_CODES).
EXIT_CODES = {
    0: "no crash, exit loop or refusal predicted (the plugin is healthy or never started) and no "
    "error finding",
    1: "a crash (panic) or an exit loop is predicted, the agent would refuse the config, or a "
    "finding is an error (e.g. BK026, a source the plugin rejects)",
}

_HEADLINE = {
    "crash": "CRASH: the botkube/kubernetes plugin process panics; no kubernetes source delivers "
    "anything",
    "exit": "EXIT LOOP: the botkube/kubernetes plugin process exits with status 1 at start; no "
    "kubernetes source delivers anything",
    "healthy": "HEALTHY: the botkube/kubernetes plugin process keeps running",
    "not-started": "NOT STARTED: no botkube/kubernetes source is started, so the plugin process "
    "never runs and nothing is delivered from Kubernetes",
    "refused": "REFUSED: the agent rejects the whole configuration at start, so BotKube does not "
    "run at all",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="Helm values file (your overlay), or - for standard input; a scenario file is linted "
        "through its 'values'. Several files are linted one by one (not merged)",
    )
    parser.add_argument(
        "--botkube-version",
        metavar="V",
        help=f"BotKube version, with or without 'v' (known: {', '.join(KNOWN_BOTKUBE_VERSIONS)}); "
        "required for values files, defaults to a scenario file's botkube_version",
    )
    parser.add_argument(
        "--kubernetes-version",
        default=DEFAULT_KUBERNETES_VERSION,
        metavar="K",
        help=f"Kubernetes MAJOR.MINOR the API versions are checked against "
        f"(default {DEFAULT_KUBERNETES_VERSION}, the e2e suite's kind node)",
    )
    parser.add_argument(
        "--crd",
        action="append",
        default=[],
        metavar="GROUP/VERSION/RESOURCE",
        help="a custom resource the cluster serves (repeatable); by default none, as on the e2e "
        "suite's kind cluster, so an informer on a custom type is predicted to exit",
    )
    parser.add_argument(
        "--assume-crds",
        action="store_true",
        help="take every custom resource type as served by the cluster",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")


def _values_of(doc: YamlDocument) -> tuple[YamlDocument, str | None]:
    """A scenario file stands for its ``values`` overlay, keeping the file's line numbers."""
    if not looks_like_scenario(doc.data):
        reason = not_values_reason(doc.data)
        if reason:
            raise BadInput(f"{doc.name}: {reason}")
        return doc, None
    # Validated as the scenario loader does: a broken scenario is an error naming it.
    path = None if doc.name == input_name(STDIN) else Path(doc.name)
    scenario = scenario_from_document(doc, path)
    lines = {path[1:]: line for path, line in doc.lines.items() if path[:1] == ("values",)}
    values = YamlDocument(doc.name, doc.data["values"], lines)
    return values, scenario.botkube_version


def _lint_one(path: str, args: argparse.Namespace) -> Analysis:
    doc, scenario_version = _values_of(load_yaml(path))
    version = args.botkube_version or scenario_version
    if version is None:
        raise BadInput(f"{doc.name}: --botkube-version is required for a Helm values file")
    return analyze(doc, version, args.kubernetes_version, _crds(args))


def _crds(args: argparse.Namespace) -> CrdAssumption:
    try:
        return CrdAssumption.parse(args.crd, args.assume_crds)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    if args.botkube_version is not None:
        normalize_botkube_version(args.botkube_version)
    parse_kubernetes_version(args.kubernetes_version)
    _crds(args)
    if args.files.count("-") > 1:
        raise BadInput("standard input (-) can be given once")
    if len(args.files) == 1:  # one file: a bad one is the command's own one-line error
        results: list[Analysis | tuple[str, BadInput]] = [_lint_one(args.files[0], args)]
    else:
        results = []
        for path in args.files:
            try:
                results.append(_lint_one(path, args))
            except BadInput as exc:
                results.append((input_name(path), exc))
    if args.format == "json":
        payload = [
            r.to_json() if isinstance(r, Analysis) else {"file": r[0], "error": str(r[1])}
            for r in results
        ]
        json.dump(payload[0] if len(payload) == 1 else payload, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for i, result in enumerate(results):
            if i:
                sys.stdout.write("\n")
            if isinstance(result, Analysis):
                write_text(result, sys.stdout)
            else:
                sys.stdout.write(f"{_error_line(*result)}\n")
    codes = [r.exit_code if isinstance(r, Analysis) else int(r[1].exit_code) for r in results]
    worst = max(codes)
    return int(ExitCode.BAD_INPUT if worst >= ExitCode.BAD_INPUT else worst and ExitCode.PROBLEM)


def _error_line(name: str, exc: BadInput) -> str:
    """``FILE: error: what``, the file named once: a message that starts with its own location
    (``FILE: no such file``, ``FILE:3: ...``) has ``error:`` after that location."""
    message = str(exc)
    location, sep, what = message.partition(": ")
    if sep and location.startswith(name):
        return f"{location}: error: {what}"
    return f"{name}: error: {message}"


def _finding(finding: Finding, out: TextIO) -> None:
    out.write(f"  {finding.severity} {finding.code} {finding.name}\n")
    out.write(f"    at   {finding.where}\n")
    out.write(f"    what {finding.message}\n")
    out.write(f"    fix  {finding.fix}\n")
    out.write(f"    see  {finding.upstream}\n")


def write_text(analysis: Analysis, out: TextIO) -> None:
    """The report for people: findings worst first, then the sources, then the verdict line."""
    out.write(
        f"{analysis.file}: BotKube {analysis.botkube_version}, "
        f"Kubernetes {analysis.kubernetes_version}\n"
    )
    order = {"error": 0, "warning": 1, "info": 2}
    findings = sorted(analysis.all_findings(), key=lambda f: (order[f.severity], f.code))
    for finding in findings:
        _finding(finding, out)
    shown = [s for s in analysis.sources if s.origin == "values" or s.started]
    hidden = len(analysis.sources) - len(shown)
    if shown:
        width = max(len(s.name) for s in shown)
        out.write("  sources:\n")
        for s in shown:
            bound = f"bound by {', '.join(s.carriers)}" if s.bound else "not bound"
            cause = f", causes the {s.cause}" if s.cause else ""
            origin = " (chart default)" if s.origin != "values" else ""
            out.write(f"    {s.name:<{width}}  {s.verdict:<8}  {bound}{cause}{origin}\n")
    if hidden:
        out.write(f"    (+{hidden} chart default source(s) not started)\n")
    headline = _HEADLINE[analysis.verdict]
    if analysis.verdict == "crash":  # the model says when the panic comes
        headline = f"CRASH: the botkube/kubernetes plugin process panics{analysis.crash_clause()}"
    out.write(f"  verdict: {headline}\n")
