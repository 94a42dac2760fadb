"""``botkube-repro diagnose``: read an agent log from a bug report and say what went wrong.

The log may be what users paste: an excerpt from the middle of a trace, a ``kubectl logs
--previous`` that is only a bare Go panic, either formatter, UTF-16 from a PowerShell redirect.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any

from pytest_botkube.errors import ExitCode
from pytest_botkube.readers.health import FAILED_STATUSES, agent_report, plugin_report
from pytest_botkube.readers.logs import LogSummary, read_log_file
from pytest_botkube.redact import redact_strings
from pytest_botkube.text import safe

HELP = "diagnose a BotKube agent log (crashes, restarts, panics, known upstream issues)"
EXIT_CODES = {
    0: "nothing failed in the log: every plugin seen ran or showed no failure, the agent did "
    "not go down, no source was rejected and no sink send failed",
    1: "a BotKube problem is in the log: a plugin crashed, exited, was deactivated or rejected "
    "a source; the agent hit a fatal error or panicked; a sink send failed; a known upstream "
    "issue matches",
    2: "the input cannot be read or is not a BotKube agent log (nor a Go panic)",
}
TIMELINE_SHOWN = 20  # agent timeline events printed in text; JSON has them all (bounded)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("logfile", metavar="LOGFILE", help="agent log file, or - for stdin")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default text)"
    )


def report(summary: LogSummary) -> dict[str, Any]:
    """The diagnosis as JSON-shaped data. Every string in it has been through the project's
    redaction: the output is meant to be pasted into an issue, and a log quotes webhook URLs,
    index URLs with credentials and tokens verbatim (a failed POST names its URL)."""
    data = {
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
        "entries": summary.records,
        "agent": agent_report(summary),
        "nothing_relevant": _nothing_relevant(summary),
    }
    redacted: dict[str, Any] = redact_strings(data)
    return redacted


def _nothing_relevant(summary: LogSummary) -> bool:
    return not (
        summary.plugins
        or summary.agent_events
        or summary.agent_panics
        or summary.sink_failure_count
    )


def failed(data: dict[str, Any]) -> bool:
    """Whether the report shows a BotKube problem (exit status 1)."""
    plugins: dict[str, dict[str, Any]] = data["plugins"]
    return (
        any(
            p["status"] in FAILED_STATUSES or p["source_rejections"] or p["known_issue"]
            for p in plugins.values()
        )
        or data["agent"]["went_down"]
        or bool(data["agent"]["known_issues"])
        or data["sink_failures"]["count"] > 0
    )


def _plugin_text(name: str, p: dict[str, Any]) -> list[str]:
    out = [f"{name}: {p['summary']}"]
    if p["version"]:
        out.append(f"  version: {p['version']}")
    if p["aliases"]:
        out.append(f"  sources: {', '.join(p['aliases'])} (one process backs them all)")
    if p["exits"]:
        counts = Counter(f"exit status {s}" for s in p["exit_statuses"]) + Counter(
            f"signal {s}" for s in p["signals"]
        )
        if p["exits_during_shutdown"]:
            counts["while the agent stopped"] = p["exits_during_shutdown"]
        shown_exits = ", ".join(f"{n} x {what}" for what, n in counts.items())
        out.append(f"  process exits: {p['exits']} ({shown_exits or 'clean exits only'})")
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
        out += _panic_text(panic)
    elif p["exit_statuses"] and 2 in p["exit_statuses"]:
        out.append(
            "  no panic trace in the log (set LOG_LEVEL_SOURCE_BOTKUBE_KUBERNETES=debug "
            "to have the agent log it)"
        )
    if p["unparsable_resources"]:
        out.append(f"  unparsable resource types: {', '.join(p['unparsable_resources'])}")
    for r in p["source_rejections"][:5]:
        where = f"source {r['source']}" if r["source"] else "a source"
        out.append(f"  {where} rejected at {r['time']} (line {r['line']}): {r['reason']}")
    for error in p["plugin_errors"][:5]:
        out.append(f"  plugin error: {error}")
    if p["informers_registered"] or (
        name == "botkube/kubernetes" and p["status"] in FAILED_STATUSES
    ):
        said = "yes" if p["informers_registered"] else "never"
        out.append(f"  'Registering informers...' printed: {said}")
    detail = p["known_issue_detail"]
    if detail is None:
        if p["status"] in FAILED_STATUSES or p["source_rejections"]:
            out.append("  known issue: none in the catalogue matches")
    else:
        out += _known_text(detail)
    out += [f"  note: {n}" for n in p["notes"]]
    return out


def _panic_text(panic: dict[str, Any], indent: str = "  ") -> list[str]:
    signal = f" [{panic['signal']}]" if panic["signal"] else ""
    if panic["partial"]:
        head = f"{indent}{panic['kind']} (frames only: the panic line is not in the excerpt)"
    else:
        head = f"{indent}{panic['kind']}: {panic['message']}{signal}"
    out = [f"{head} (seen {panic['count']}x)"]
    if panic["project_function"] and panic["project_function"] != panic["top_function"]:
        out.append(
            f"{indent}  deepest BotKube frame: {panic['project_function']} "
            f"({panic['project_location']})"
        )
    frames = list(zip(panic["frames"], panic["locations"], strict=True))
    skip = panic["frames"].index(panic["top_function"]) if panic["top_function"] else 0
    if skip:
        out.append(f"{indent}  ({skip} runtime frame{'s' if skip > 1 else ''} above)")
    for function, location in frames[skip : skip + 5]:
        out.append(f"{indent}  {function}")
        out.append(f"{indent}      {location}")
    return out


def _known_text(detail: dict[str, Any], indent: str = "  ") -> list[str]:
    word = "matches" if detail["certainty"] == "certain" else "probably matches"
    fixed = detail["fixed_in"] or "no release"
    return [
        f"{indent}known issue: {word} {detail['ref']}: {detail['title']}",
        f"{indent}  {detail['url']}",
        f"{indent}  evidence: {detail['evidence']}",
        f"{indent}  affected: {detail['affected']}; fixed in: {fixed}",
        f"{indent}  fix: {detail['fix']}",
    ]


def _agent_text(agent: dict[str, Any]) -> list[str]:
    events = agent["timeline"]
    if not events and agent["panic"] is None:
        return []
    version = f" {agent['version']} (from the {agent['version_from']})" if agent["version"] else ""
    state = "went down" if agent["went_down"] else "did not go down in this excerpt"
    out = [f"agent{version}: {state}"]
    for e in events[:TIMELINE_SHOWN]:
        when = e["time"] or "-"
        sep = " to " if e["event"] == "connected" else ": "
        detail = f"{sep}{e['detail']}" if e["detail"] else ""
        out.append(f"  line {e['line']} ({when}) {e['event']}{detail}")
    if len(events) > TIMELINE_SHOWN:
        out.append(f"  ... {len(events) - TIMELINE_SHOWN} more events (--format json has them)")
    if agent["panic"] is not None:
        out += _panic_text(agent["panic"])
    for detail in agent["known_issues"]:
        out += _known_text(detail)
    if agent["exited_for_plugin"]:
        out.append(
            f"  cause: restartPolicy RestartAgent after {agent['exited_for_plugin']} kept "
            "crashing (see that plugin)"
        )
    elif agent["went_down"] and not agent["known_issues"]:
        out.append("  known issue: none in the catalogue matches")
    out += [f"  note: {n}" for n in agent["notes"]]
    return out


def _text(summary: LogSummary, data: dict[str, Any]) -> str:
    out: list[str] = []
    plugins: dict[str, dict[str, Any]] = data["plugins"]
    bad = {n: p for n, p in plugins.items() if p["status"] in FAILED_STATUSES}
    bad.update({n: p for n, p in plugins.items() if p["source_rejections"]})
    for name, p in bad.items():
        out += _plugin_text(name, p)
    out += _agent_text(data["agent"])
    for name, p in plugins.items():
        if name not in bad:
            out += _plugin_text(name, p)
    if not plugins:
        out.append("No plugin appears in this log.")
    sinks = data["sink_failures"]
    if sinks["count"]:
        out.append(f"sink send failures: {sinks['count']}")
        for f in sinks["first"][:3]:
            out.append(f"  line {f['line']} ({f['time']}): {f['error']}")
    if data["nothing_relevant"]:
        forms = ", ".join(data["formats"])
        out.append(
            f"Read {data['entries']} log entries ({forms}); nothing in them about plugins, "
            "the agent's start, failure or stop, or sinks."
        )
    # every line holds text from the log: terminal controls and bidi characters escaped
    return "\n".join(safe(line) for line in out)


def run(args: argparse.Namespace) -> int:
    summary = read_log_file(args.logfile)
    data = report(summary)
    if args.format == "json":
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(_text(summary, data))
    return int(ExitCode.PROBLEM if failed(data) else ExitCode.OK)
