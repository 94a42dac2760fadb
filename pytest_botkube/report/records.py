"""The verdict table and the bug-report bundle (``report.md`` plus redacted raw artifacts).

Pure rendering: ``botkube-repro run`` and the pytest suite fill ``RunRecord``s from what they
observed; this module turns them into a fixed-width table for a terminal and into Markdown a
maintainer can paste into a GitHub issue. Everything that leaves goes through ``redact``; the
bundle is meant for public issues.

The model's static prediction (``lint``) is shown beside what was observed. A disagreement is not a
detail: it means the model of BotKube or the scenario is wrong, so it is flagged loudly in both
renderings.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pytest_botkube import __version__
from pytest_botkube.readers.logs import Panic, PluginTimeline
from pytest_botkube.redact import redact_file, redact_text, redact_values
from pytest_botkube.reproduce.delivery_diff import DeliveryDiff

LOUD = "!! MODEL DISAGREES !!"


@dataclass(frozen=True)
class Prediction:
    """What ``lint`` said before the run, from the values alone."""

    status: str  # plugin status on /healthz, e.g. "Running" or "Deactivated"
    exit_statuses: tuple[int, ...] = ()  # distinct plugin exit statuses expected (2 panic, 1 exit)
    summary: str = ""  # lint's one-line reason


@dataclass(frozen=True)
class DeliveryRow:
    """One thing that happened in the cluster and whether BotKube delivered it."""

    happening: str  # e.g. Happening.describe(): "Warning FailedGetResourceMetric ... ns/name"
    delivered: bool
    expected: bool | None = None  # the model's answer; None when it has none
    why: str = ""  # the model's reason (Forwarding.why) or what the observation showed
    disagreement: str = ""  # set when model and run disagree beyond delivered/not delivered

    @property
    def agrees(self) -> bool:
        if self.disagreement:
            return False
        return self.expected is None or self.expected == self.delivered


def rows_from_diff(diff: DeliveryDiff) -> tuple[tuple[DeliveryRow, ...], tuple[str, ...]]:
    """The verdict module's delivery diff as report rows, plus the unmatched deliveries."""
    rows = tuple(
        DeliveryRow(
            happening=row.what(),
            delivered=row.delivered,
            expected=None if row.forwarding is None else row.forwarding.delivered,
            why=row.why(),
            disagreement=row.disagreement,
        )
        for row in diff.rows
    )
    return rows, tuple(delivery.describe() for delivery in diff.unmatched)


def panic_signature(panic: Panic | None) -> str:
    """One line: ``SIGSEGV in mergeResourceEvents (router.go:159): runtime error: ...``."""
    if panic is None:
        return ""
    frame = panic.top_frame
    where = f" in {frame.short_function} ({frame.location})" if frame else ""
    kind = panic.signal or panic.kind
    return f"{kind}{where}: {panic.message}"


def observed_from_log(timeline: PluginTimeline | None) -> dict[str, Any]:
    """``RunRecord`` fields the agent log establishes for one plugin (restarts, exits, panic).

    The plugin status is left out on purpose: /healthz is the authority for it.
    """
    if timeline is None:
        return {"restarts": 0, "threshold": None, "exit_statuses": (), "panic": ""}
    return {
        "restarts": timeline.restarts,
        "threshold": timeline.threshold,
        "exit_statuses": tuple(timeline.exit_statuses),
        "panic": panic_signature(timeline.panic),
    }


@dataclass(frozen=True)
class RunRecord:
    """Everything one run (one values file against one BotKube version) established."""

    name: str
    botkube_version: str
    values: Mapping[str, Any] = field(default_factory=dict)  # the Helm values installed
    chart_version: str = ""
    kubernetes_version: str = ""
    kind_version: str = ""
    node_image: str = ""
    predicted: Prediction | None = None
    observed_status: str = ""  # "" when /healthz could not be read
    restarts: int | None = None
    threshold: int | None = None
    exit_statuses: tuple[int, ...] = ()  # every plugin exit seen in the agent log, in order
    panic: str = ""  # one-line panic signature, "" when none
    happenings: tuple[str, ...] = ()
    delivered: tuple[str, ...] = ()
    diff: tuple[DeliveryRow, ...] = ()  # see rows_from_diff
    unmatched: tuple[str, ...] = ()  # deliveries that match nothing that happened
    diagnosis: tuple[str, ...] = ()  # lines explaining the agent log
    known_issue: str = ""  # URL of the matching upstream issue
    known_issue_title: str = ""
    artifacts: tuple[Path, ...] = ()  # files or directories belonging to this run
    expectations_met: bool | None = None  # the scenario's own expectations; None for ad-hoc runs


def record_to_json(record: RunRecord) -> str:
    """The record as JSON (values redacted), so a pytest worker or a JUnit property can carry it
    to whoever renders the table; ``record_from_json`` reads it back."""
    data = {
        **{k: v for k, v in record.__dict__.items() if k not in ("values", "artifacts")},
        "values": record.values,
        "predicted": None if record.predicted is None else record.predicted.__dict__,
        "diff": [row.__dict__ for row in record.diff],
        "artifacts": [str(p) for p in record.artifacts],
    }
    # every string redacted where it stands, so the JSON itself can never be broken by it
    return json.dumps(redact_values(data), sort_keys=True)


def record_from_json(text: str) -> RunRecord:
    data = json.loads(text)
    predicted = data.pop("predicted")
    return RunRecord(
        **{
            **data,
            "predicted": None
            if predicted is None
            else Prediction(
                predicted["status"], tuple(predicted["exit_statuses"]), predicted["summary"]
            ),
            "diff": tuple(DeliveryRow(**row) for row in data["diff"]),
            "artifacts": tuple(Path(p) for p in data["artifacts"]),
            "exit_statuses": tuple(data["exit_statuses"]),
            "happenings": tuple(data["happenings"]),
            "delivered": tuple(data["delivered"]),
            "unmatched": tuple(data["unmatched"]),
            "diagnosis": tuple(data["diagnosis"]),
        }
    )


def record_properties(record: RunRecord) -> list[tuple[str, str]]:
    """Flat ``botkube_*`` name/value pairs for ``record_property`` (JUnit XML), redacted."""
    pairs = [
        ("botkube_run", record.name),
        ("botkube_version", record.botkube_version),
        ("botkube_chart_version", record.chart_version or record.botkube_version),
        ("botkube_kubernetes_version", record.kubernetes_version),
        ("botkube_node_image", record.node_image),
        ("botkube_plugin_status", record.observed_status or "?"),
        ("botkube_plugin_restarts", _restarts(record)),
        ("botkube_plugin_exit_statuses", _statuses(record.exit_statuses)),
        ("botkube_panic", record.panic),
        ("botkube_happened", _happened_count(record)),
        ("botkube_delivered", _delivered_count(record)),
        ("botkube_predicted", _predicted(record)),
        ("botkube_model_disagreements", "; ".join(disagreements(record))),
        ("botkube_known_issue", record.known_issue),
    ]
    return [(name, redact_text(value)) for name, value in pairs]


def disagreements(record: RunRecord) -> list[str]:
    """Each way the observed run contradicts the model's prediction, one sentence each."""
    out: list[str] = []
    pred = record.predicted
    if pred is not None:
        observed = record.observed_status
        if pred.status and observed and pred.status.casefold() != observed.casefold():
            out.append(f"plugin status: predicted {pred.status}, observed {observed}")
        seen = sorted(set(record.exit_statuses))
        if sorted(set(pred.exit_statuses)) != seen:
            out.append(
                f"plugin exit statuses: predicted {_statuses(pred.exit_statuses)}, "
                f"observed {_statuses(record.exit_statuses)}"
            )
    for row in record.diff:
        if row.agrees:
            continue
        if row.expected is not None and row.expected != row.delivered:
            said = "delivered" if row.expected else "not delivered"
            got = "delivered" if row.delivered else "not delivered"
            out.append(f"{row.happening}: predicted {said}, observed {got}")
        else:
            out.append(f"{row.happening}: {row.disagreement}")
    return out


def _statuses(statuses: Sequence[int]) -> str:
    """``(2, 2, 2)`` -> ``2 x3``; ``()`` -> ``none``."""
    if not statuses:
        return "none"
    counts = Counter(statuses)
    return ", ".join(f"{s} x{n}" if n > 1 else str(s) for s, n in sorted(counts.items()))


def _restarts(record: RunRecord) -> str:
    if record.restarts is None:
        return "?"
    return f"{record.restarts}/{record.threshold}" if record.threshold else str(record.restarts)


def _predicted(record: RunRecord) -> str:
    pred = record.predicted
    if pred is None:
        return "-"
    exits = f", exit {_statuses(pred.exit_statuses)}" if pred.exit_statuses else ""
    return f"{pred.status or '?'}{exits}"


def _delivered_count(record: RunRecord) -> str:
    if record.diff:
        return str(sum(1 for row in record.diff if row.delivered))
    return str(len(record.delivered))


def _happened_count(record: RunRecord) -> str:
    return str(len(record.diff) if record.diff else len(record.happenings))


_COLUMNS = (
    "run",
    "BotKube",
    "plugin",
    "restarts",
    "exits",
    "panic",
    "happened",
    "delivered",
    "predicted",
    "model",
)


def _row(record: RunRecord) -> list[str]:
    return [
        record.name,
        record.botkube_version,
        record.observed_status or "?",
        _restarts(record),
        _statuses(record.exit_statuses),
        record.panic or "-",
        _happened_count(record),
        _delivered_count(record),
        _predicted(record),
        LOUD if disagreements(record) else ("agrees" if record.predicted else "-"),
    ]


def verdict_table_text(records: Sequence[RunRecord]) -> str:
    """Fixed-width table for a terminal, followed by every disagreement spelled out."""
    rows = [list(_COLUMNS), *(_row(r) for r in records)]
    rows = [[redact_text(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(rows[0]), line(["-" * w for w in widths]), *(line(r) for r in rows[1:])]
    for record in records:
        for problem in disagreements(record):
            out.append(f"{LOUD} {record.name}: {redact_text(problem)}")
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = [
        "| " + " | ".join(_cell(h) for h in header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict_table_markdown(records: Sequence[RunRecord]) -> str:
    rows = []
    for record in records:
        row = _row(record)
        if disagreements(record):
            row[-1] = f"**{LOUD}**"
        rows.append(row)
    return _md_table(_COLUMNS, rows)


def _fence(text: str, lang: str = "") -> str:
    """A code block whose fence is longer than any backtick run inside it."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text.rstrip()}\n{fence}"


def _versions_table(records: Sequence[RunRecord]) -> str:
    header = ("run", "BotKube", "chart", "kind", "node image", "Kubernetes")
    rows = [
        (
            r.name,
            r.botkube_version,
            r.chart_version or r.botkube_version,
            r.kind_version or "?",
            r.node_image or "?",
            r.kubernetes_version or "?",
        )
        for r in records
    ]
    return _md_table(header, rows)


def _issue_link(record: RunRecord) -> str:
    url = record.known_issue
    match = re.fullmatch(r"https://github\.com/([^/]+/[^/]+)/(?:issues|pull)/(\d+)/?", url)
    label = f"{match.group(1)}#{match.group(2)}" if match else url
    title = f": {record.known_issue_title}" if record.known_issue_title else ""
    return f"[{label}]({url}){title}"


def _run_section(record: RunRecord, values_file: str | None, artifact_files: Sequence[str]) -> str:
    parts = [f"## {record.name} (BotKube {record.botkube_version})"]
    problems = disagreements(record)
    if problems:
        parts.append(
            "> [!CAUTION]\n> **"
            + LOUD
            + "** The model of BotKube predicted something other than what this run showed; "
            "the model or the scenario is wrong:\n" + "\n".join(f"> - {p}" for p in problems)
        )
    if record.expectations_met is not None:
        met = "met" if record.expectations_met else "**NOT met**"
        parts.append(f"Scenario expectations: {met}.")
    pred = record.predicted
    parts.append(
        _md_table(
            ("", "predicted (lint)", "observed"),
            [
                ("plugin status", pred.status if pred else "-", record.observed_status or "?"),
                (
                    "plugin exit statuses",
                    _statuses(pred.exit_statuses) if pred else "-",
                    _statuses(record.exit_statuses),
                ),
                ("restarts", "", _restarts(record)),
                ("panic", "", record.panic or "none"),
            ],
        )
    )
    if pred and pred.summary:
        parts.append(f"Model: {pred.summary}")
    if record.diff:
        rows = [
            (
                row.happening,
                "-" if row.expected is None else ("delivered" if row.expected else "dropped"),
                "delivered" if row.delivered else "not delivered",
                row.why,
                "agrees" if row.agrees else f"**{LOUD}**",
            )
            for row in record.diff
        ]
        parts.append(
            "### Delivery diff\n\n"
            + _md_table(("happened", "model", "observed", "why", "model vs run"), rows)
        )
        if record.unmatched:
            parts.append(
                "Deliveries matching nothing that happened:\n\n"
                + "\n".join(f"- `{d}`" for d in record.unmatched)
            )
    else:
        happened = "\n".join(f"- {h}" for h in record.happenings) or "- (nothing recorded)"
        delivered = "\n".join(f"- {d}" for d in record.delivered) or "- (nothing)"
        parts.append(f"### Happened\n\n{happened}\n\n### Delivered\n\n{delivered}")
    if record.diagnosis:
        parts.append("### Agent log diagnosis\n\n" + _fence("\n".join(record.diagnosis), "text"))
    if record.known_issue:
        parts.append(f"### Upstream issue\n\n{_issue_link(record)}")
    if record.values:
        dumped = yaml.safe_dump(redact_values(record.values), sort_keys=False)
        also = f"; also <code>{values_file}</code>" if values_file else ""
        parts.append(
            f"<details><summary>Helm values used (redacted{also})</summary>\n\n"
            f"{_fence(dumped, 'yaml')}\n\n</details>"
        )
    if artifact_files:
        parts.append("Artifacts: " + ", ".join(f"`{a}`" for a in artifact_files))
    return "\n\n".join(parts)


def render_report(
    records: Sequence[RunRecord],
    *,
    values_files: Mapping[str, str] | None = None,
    artifact_files: Mapping[str, Sequence[str]] | None = None,
    shared_artifacts: Sequence[str] = (),
) -> str:
    """``report.md`` text; every string in it has been through redaction."""
    all_problems = [(r.name, p) for r in records for p in disagreements(r)]
    parts = [
        "# BotKube reproduction report",
        f"Generated by pytest-botkube {__version__} (`botkube-repro`). Secrets in values and "
        "logs are replaced by `<redacted>`.",
    ]
    if all_problems:
        parts.append(
            "> [!CAUTION]\n> **"
            + LOUD
            + "** A disagreement means the model of BotKube or the scenario is wrong; the observed "
            "run wins.\n" + "\n".join(f"> - {name}: {p}" for name, p in all_problems)
        )
    parts.append("## Verdict\n\n" + verdict_table_markdown(records))
    issues = sorted({(r.known_issue, r.known_issue_title) for r in records if r.known_issue})
    if issues:
        lines = [
            "- " + _issue_link(RunRecord("", "", known_issue=u, known_issue_title=t))
            for u, t in issues
        ]
        parts.append("Matches upstream:\n" + "\n".join(lines))
    parts.append("## Versions\n\n" + _versions_table(records))
    for record in records:
        parts.append(
            _run_section(
                record,
                (values_files or {}).get(record.name),
                (artifact_files or {}).get(record.name, ()),
            )
        )
    if shared_artifacts:
        parts.append("## Artifacts\n\n" + "\n".join(f"- `{a}`" for a in shared_artifacts))
    return redact_text("\n\n".join(parts) + "\n")


def _slug(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "run"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _copy_redacted(source: Path, destination: Path, bundle: Path) -> list[str]:
    """Copy a file or a directory tree, redacting every file; returns bundle-relative paths."""
    copied: list[str] = []
    if source.is_dir():
        for path in sorted(source.rglob("*")):
            if path.is_file() and not path.is_symlink():
                target = destination / path.relative_to(source)
                redact_file(path, target)
                copied.append(target.relative_to(bundle).as_posix())
    elif source.is_file():
        redact_file(source, destination)
        copied.append(destination.relative_to(bundle).as_posix())
    return copied


def write_bundle(
    directory: Path, records: Sequence[RunRecord], artifacts: Sequence[Path] = ()
) -> Path:
    """Write ``report.md``, the redacted values per run and the redacted raw artifacts.

    Layout: ``report.md``, ``values/<run>.yaml``, ``artifacts/<run>/...`` for each run's own
    artifacts and ``artifacts/shared/...`` for the others. Returns the path of ``report.md``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    values_files: dict[str, str] = {}
    artifact_files: dict[str, list[str]] = {}
    for record in records:
        slug = _slug(record.name, taken)
        values_path = directory / "values" / f"{slug}.yaml"
        values_path.parent.mkdir(parents=True, exist_ok=True)
        values_path.write_text(
            redact_text(yaml.safe_dump(redact_values(record.values), sort_keys=False)),
            encoding="utf-8",
        )
        values_files[record.name] = values_path.relative_to(directory).as_posix()
        files: list[str] = []
        for source in record.artifacts:
            files += _copy_redacted(source, directory / "artifacts" / slug / source.name, directory)
        artifact_files[record.name] = files
    shared: list[str] = []
    for source in artifacts:
        shared += _copy_redacted(
            source, directory / "artifacts" / "shared" / source.name, directory
        )
    report = directory / "report.md"
    report.write_text(
        render_report(
            records,
            values_files=values_files,
            artifact_files=artifact_files,
            shared_artifacts=shared,
        ),
        encoding="utf-8",
    )
    return report
