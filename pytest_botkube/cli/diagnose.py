"""``botkube-repro diagnose``: read an agent log from a bug report and say what went wrong.

Exit 0 when every plugin in the log ran without crashing, 1 when one crashed or was
deactivated, 2 when the input cannot be read or holds no BotKube log entry.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any

from pytest_botkube.errors import ExitCode
from pytest_botkube.readers.health import plugin_report
from pytest_botkube.readers.logs import LogSummary, read_log_file

HELP = "diagnose a BotKube agent log (crashes, restarts, panics, known upstream issues)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("logfile", metavar="LOGFILE", help="agent log file, or - for stdin")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default text)"
    )


def report(summary: LogSummary) -> dict[str, Any]:
    return {
        "plugins": {
            name: plugin_report(summary, timeline)
            for name, timeline in sorted(summary.plugins.items())
        },
        "sink_failures": {
            "count": summary.sink_failure_count,
            "first": [
                {"time": f.time, "line": f.line, "error": f.error}
                for f in summary.sink_failures[:5]
            ],
        },
        "lines": summary.lines,
        "formats": sorted(summary.formats),
        "first_time": summary.first_time,
        "last_time": summary.last_time,
    }


def _text(summary: LogSummary, data: dict[str, Any]) -> str:
    out: list[str] = []
    plugins: dict[str, dict[str, Any]] = data["plugins"]
    if not plugins:
        out.append("No plugin appears in this log; nothing crashed.")
    for name, p in plugins.items():
        out.append(f"{name}: {p['summary']}")
        if p["aliases"]:
            out.append(f"  sources: {', '.join(p['aliases'])} (one process backs them all)")
        if p["exits"]:
            counts = Counter(f"exit status {s}" for s in p["exit_statuses"]) + Counter(
                f"signal {s}" for s in p["signals"]
            )
            shown = ", ".join(f"{n} x {what}" for what, n in counts.items()) or "clean exits only"
            out.append(f"  process exits: {p['exits']} ({shown})")
        if p["threshold"] is not None:
            out.append(f"  restarts: {p['restarts']}/{p['threshold']}")
        if p["deactivated_at"]:
            out.append(f"  deactivated at {p['deactivated_at']}")
        for a in p["agent_exits"]:
            out.append(
                f"  agent exited at {a['time']} after {a['restarts']} restarts "
                f"(restartPolicy {a['policy']}); the pod restarts"
            )
        panic = p["panic"]
        if panic is not None:
            signal = f" [{panic['signal']}]" if panic["signal"] else ""
            out.append(f"  {panic['kind']}: {panic['message']}{signal} (seen {panic['count']}x)")
            for function, location in list(zip(panic["frames"], panic["locations"], strict=True))[
                :5
            ]:
                out.append(f"    {function}")
                out.append(f"        {location}")
        elif p["exit_statuses"] and 2 in p["exit_statuses"]:
            out.append(
                "  no panic trace in the log (set LOG_LEVEL_SOURCE_BOTKUBE_KUBERNETES=debug "
                "to have the agent log it)"
            )
        if p["unparsable_resources"]:
            out.append(f"  unparsable resource types: {', '.join(p['unparsable_resources'])}")
        for error in p["plugin_errors"][:3]:
            out.append(f"  plugin error: {error}")
        if name == "botkube/kubernetes" or p["informers_registered"]:
            said = "yes" if p["informers_registered"] else "never"
            out.append(f"  'Registering informers...' printed: {said}")
        detail = p["known_issue_detail"]
        if detail is None:
            if p["status"] != "running":
                out.append("  known issue: none in the catalogue matches")
        else:
            word = "matches" if detail["certainty"] == "certain" else "probably matches"
            out.append(f"  known issue: {word} {detail['ref']}: {detail['title']}")
            out.append(f"    {p['known_issue']}")
            out.append(f"    evidence: {detail['evidence']}")
            fixed = detail["fixed_in"] or "no release"
            out.append(f"    affected: {detail['affected']}; fixed in: {fixed}")
            out.append(f"    fix: {detail['fix']}")
    sinks = data["sink_failures"]
    if sinks["count"]:
        out.append(f"sink send failures: {sinks['count']}")
        for f in sinks["first"][:3]:
            out.append(f"  line {f['line']} ({f['time']}): {f['error']}")
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    summary = read_log_file(args.logfile)
    data = report(summary)
    if args.format == "json":
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(_text(summary, data))
    broken = any(p.status != "running" for p in summary.plugins.values())
    return int(ExitCode.PROBLEM if broken else ExitCode.OK)
