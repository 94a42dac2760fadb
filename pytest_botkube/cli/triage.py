"""``botkube-repro triage``: a bug report (Markdown) in, one diagnosis out.

Exit 1 when a crash or exit loop is predicted or seen, 0 when neither, 2 when the report
holds nothing usable (no values, no log) or cannot be read. The diagnosis itself is
:func:`pytest_botkube.triage.triage.triage_report`; this module reads, prints and writes.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import yaml

from pytest_botkube.errors import BadInput, ExitCode
from pytest_botkube.inputs import STDIN, read_input
from pytest_botkube.model.versions import DEFAULT_KUBERNETES_VERSION, KNOWN_BOTKUBE_VERSIONS
from pytest_botkube.triage.triage import Triage, require_usable, triage_report

if TYPE_CHECKING:
    from pytest_botkube.model.semantics import Analysis

HELP = "triage a bug report (Markdown): blocks, versions, prediction vs log, known issue, fix"

EXIT_CODES = {
    0: "neither a crash nor an exit loop is predicted or seen",
    1: "a crash or exit loop is predicted (values) or seen (log)",
    2: "the report cannot be read or holds nothing usable (no values, no log)",
    3: "--github: the GitHub API cannot be reached or answered with an error (rate limit, 5xx)",
}

_HEADLINE = {
    "crash": "CRASH: the botkube/kubernetes plugin panics; no kubernetes source delivers anything",
    "exit": "EXIT LOOP: the botkube/kubernetes plugin exits with status 1 at start; no "
    "kubernetes source delivers anything",
    "failing": "FAILING: a plugin in the log is crashing or deactivated, or the agent died",
    "healthy": "HEALTHY: the botkube/kubernetes plugin keeps running",
    "not-started": "NOT STARTED: no botkube/kubernetes source is started; nothing is delivered "
    "from Kubernetes",
    "refused": "REFUSED: the agent rejects the whole configuration at start; BotKube does not run",
    "unknown": "UNKNOWN: neither the values nor the log say what happens",
}


def _crash_headline(analysis: Analysis) -> str:
    """The crash headline with the model's word on when the panic comes."""
    return f"CRASH: the botkube/kubernetes plugin panics{analysis.crash_clause()}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "report",
        nargs="?",
        metavar="REPORT.md",
        help="the bug report as Markdown (issue body with comments pasted below), - for stdin",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--botkube-version",
        metavar="V",
        help=f"the BotKube version to predict for, over what the report says "
        f"(known: {', '.join(KNOWN_BOTKUBE_VERSIONS)})",
    )
    parser.add_argument(
        "--kubernetes-version",
        metavar="K",
        help=f"Kubernetes MAJOR.MINOR, over what the report says (default: the report's, "
        f"else {DEFAULT_KUBERNETES_VERSION})",
    )
    parser.add_argument(
        "--write-scenario",
        type=Path,
        metavar="DIR",
        help="write a scenario file named after the report into DIR (values as reported, "
        "expectations from the model) and print the command that runs it",
    )
    parser.add_argument(
        "--github",
        metavar="OWNER/REPO#N",
        help="fetch the issue and its comments from the GitHub REST API (token from "
        "GITHUB_TOKEN when set) instead of reading REPORT.md",
    )
    parser.add_argument(
        "--github-api-url",
        default=None,
        metavar="URL",
        help="GitHub REST API base URL (default https://api.github.com; for GitHub "
        "Enterprise or a test server)",
    )


def read_report(path: str) -> tuple[str, str]:
    """(text, name) of a report file or stdin, through the input gate
    (:mod:`pytest_botkube.inputs`: a regular file or -, under the size cap)."""
    data = read_input(path, "a report")
    name = "stdin" if path == STDIN else path
    if b"\0" in data[:4096]:
        raise BadInput(f"{path}: binary data, not a Markdown report")
    return data.decode("utf-8", "replace"), name


def _load(args: argparse.Namespace) -> tuple[str, str, str | None]:
    """(text, name, url of the issue)"""
    if args.github:
        if args.report:
            raise BadInput("give REPORT.md or --github, not both")
        from pytest_botkube.live.github import DEFAULT_API, fetch_issue, parse_issue_ref
        from pytest_botkube.triage.markdown import issue_markdown

        ref = parse_issue_ref(args.github)
        issue, comments = fetch_issue(
            ref,
            token=os.environ.get("GITHUB_TOKEN") or None,
            api=args.github_api_url or DEFAULT_API,
        )
        return issue_markdown(issue, comments), str(ref), ref.html_url
    if not args.report:
        raise BadInput("give a REPORT.md (or - for stdin), or --github OWNER/REPO#N")
    text, name = read_report(args.report)
    return text, name, None


def run(args: argparse.Namespace) -> int:
    from pytest_botkube.redact import redact_text, redact_values

    text, name, url = _load(args)
    t = triage_report(
        text,
        name,
        botkube_version=args.botkube_version,
        kubernetes_version=args.kubernetes_version,
    )
    require_usable(t)
    written = None if args.write_scenario is None else _write(t, args.write_scenario, url)
    # A report is a user's real config: chat tokens and webhook URLs never leave in the output.
    if args.format == "json":
        payload = t.to_json()
        payload["scenario"] = written
        json.dump(redact_values(payload), sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        out = io.StringIO()
        write_text(t, out)
        if written is not None:
            out.write(f"  scenario: {written['path']} (read back by the scenario loader)\n")
            for change in written["for_the_suite"]:
                out.write(f"    changed for the suite: {change}\n")
            out.write(f"  next: {written['next_step']}\n")
        sys.stdout.write(redact_text(out.getvalue()))
    return int(ExitCode.PROBLEM if t.exit_code == 1 else ExitCode.OK)


def _write(t: Triage, directory: Path, url: str | None) -> dict[str, Any]:
    """Write the scenario, then load it back as every consumer will (a file the loader
    refuses is this command's bug, reported as such, not left behind)."""
    from pytest_botkube.scenario import load_scenario
    from pytest_botkube.triage.scenario_file import build_scenario

    draft = build_scenario(t, report_url=url)
    if directory.exists() and not directory.is_dir():
        raise BadInput(f"--write-scenario {directory}: not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / draft.file_name
        path.write_text(draft.text(), encoding="utf-8")
    except OSError as exc:
        raise BadInput(
            f"--write-scenario {directory}: cannot write: {exc.strerror or exc}"
        ) from None
    try:
        load_scenario(path)
    except BadInput as exc:
        path.unlink()
        raise BadInput(f"internal error: the written scenario does not load: {exc}") from None
    return {
        "path": str(path),
        "name": draft.name,
        "next_step": draft.next_step(str(path)),
        "repairs": draft.repairs,
        "for_the_suite": draft.for_the_suite,
    }


# --------------------------------------------------------------------------- text


def _flow(value: Any) -> str:
    return (
        yaml.safe_dump(value, default_flow_style=True, width=1000)
        .strip()
        .removesuffix("...")
        .strip()
    )


def write_text(t: Triage, out: TextIO) -> None:
    out.write(f"{t.name}: triage of {len(t.blocks)} block(s)\n")
    out.write("  blocks:\n")
    for c in t.blocks:
        lang = f" {c.block.info}" if c.block.info else ""
        use = ", ".join(dict.fromkeys(c.used_for)) or "not used"
        out.write(
            f"    {c.block.index:>2}  {c.block.where:<13} {c.block.container}{lang}: "
            f"{c.detail} -> {use}\n"
        )
        for repair in c.all_repairs:
            out.write(f"          repaired: {repair}\n")
    b = t.botkube
    out.write(f"  BotKube: {b.used or 'unknown'} ({b.reason})\n")
    if b.note:
        out.write(f"    note: {b.note}\n")
    if b.disagreement:
        out.write(f"    versions disagree: {b.disagreement}\n")
    k = t.kubernetes
    out.write(f"  Kubernetes: {k.used} ({k.reason})\n")
    if k.disagreement:
        out.write(f"    versions disagree: {k.disagreement}\n")
    if t.values is None:
        out.write("  values: none in the report\n")
    else:
        blocks = ", ".join(str(i) for i in t.values_blocks)
        out.write(f"  values: block(s) {blocks}\n")
        for note in t.values_notes:
            out.write(f"    {note}\n")
    for note in t.notes:
        out.write(f"  note: {note}\n")
    a = t.analysis
    if a is not None:
        out.write(
            f"  prediction (lint, BotKube {a.botkube_version}, Kubernetes {a.kubernetes_version}): "
        )
        out.write(f"{_crash_headline(a) if a.verdict == 'crash' else _HEADLINE[a.verdict]}\n")
        order = {"error": 0, "warning": 1, "info": 2}
        for f in sorted(a.all_findings(), key=lambda f: (order[f.severity], f.code))[:8]:
            if f.severity == "info":
                continue
            out.write(f"    {f.severity} {f.code} {f.name} at {f.where}\n")
        if t.by_version:
            per = ", ".join(f"{v} {verdict}" for v, verdict in t.by_version.items())
            out.write(f"    by version: {per}\n")
    if t.log is not None:
        statuses = ", ".join(f"{n} {s}" for n, s in t.plugin_statuses().items()) or "no plugin"
        out.write(f"  log (block(s) {', '.join(str(i) for i in t.log_blocks)}): {statuses}\n")
        out.write(f"    seen: {t.seen or 'nothing conclusive'}: {t.seen_why}\n")
    out.write(f"  log vs prediction: {t.agreement.upper()}: {t.agreement_why}\n")
    if t.known is not None:
        issue = t.known.issue
        out.write(
            f"  known issue: {issue.ref} ({' and '.join(t.known.matched_by)}): {issue.title}\n"
        )
        out.write(f"    affected: {issue.affected}; fixed in: {issue.fixed_in or 'no release'}\n")
        out.write(f"    {issue.url}\n")
    elif t.verdict in ("crash", "exit", "failing"):
        out.write("  known issue: none in the catalogue matches\n")
    w = t.workaround
    if w is not None:
        after = f" -> {w.verdict_after}" if w.verdict_after else ""
        out.write(f"  workaround: {w.description}{after}\n")
        if w.changes:
            out.write("    values change:\n")
            for change in w.changes:
                was = f" (was {_flow(change.was)})" if change.was is not None else ""
                out.write(f"      {change.path}: {_flow(change.value)}{was}\n")
    if t.upgrade:
        out.write(f"  or {t.upgrade}\n")
    missing = [x for x in t.wanted if not x.delivered]
    got = [x for x in t.wanted if x.delivered]
    if missing:
        after = " even after the workaround" if w is not None and w.values is not None else ""
        out.write(f"  the reporter will still not get{after}:\n")
        for x in missing:
            out.write(f"    - {x.why}\n")
    if got:
        out.write("  what BotKube does deliver of what they asked for:\n")
        for x in got:
            out.write(f"    - {x.why}\n")
    verdict = _HEADLINE[t.verdict]
    if t.verdict == "crash" and a is not None and a.verdict == "crash":
        verdict = _crash_headline(a)
    out.write(f"  verdict: {verdict}\n")
