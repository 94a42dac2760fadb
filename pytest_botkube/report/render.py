"""The verdict table (terminal and Markdown) and ``report.md``, from ``RunRecord``s (pure).

Markdown a maintainer can paste into a GitHub issue; everything goes through ``redact``. The
model's static prediction (``lint``) is shown beside what was observed. A disagreement is not a
detail: it means the model of BotKube or the scenario is wrong, so it is flagged loudly in both
renderings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import yaml

from pytest_botkube import __version__
from pytest_botkube.redact import redact_text, redact_values
from pytest_botkube.report.records import (
    NOT_RUN,
    RunRecord,
    delivered_count,
    disagreements,
    happened_count,
    predicted_text,
    restarts_text,
    statuses_text,
)

LOUD = "!! MODEL DISAGREES !!"


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
    if record.observed_status == NOT_RUN:  # nothing observed: no count, no "none"
        observed = ["-"] * 5
    else:
        observed = [
            restarts_text(record),
            statuses_text(record.exit_statuses),
            record.panic or "-",
            happened_count(record),
            delivered_count(record),
        ]
    return [
        record.name,
        record.botkube_version,
        record.observed_status or "?",
        *observed,
        predicted_text(record),
        _model_cell(record),
    ]


def _model_cell(record: RunRecord) -> str:
    if record.observed_status == NOT_RUN:
        return "-"  # nothing observed to agree or disagree with
    return LOUD if disagreements(record) else ("agrees" if record.predicted else "-")


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


def step_summary_markdown(
    records: Sequence[RunRecord],
    outcomes: Mapping[str, str],
    notes: Sequence[str] = (),
    title: str = "BotKube reproduction",
) -> str:
    """A GitHub job summary: the verdict table (observed beside the model's prediction), each
    test's outcome, the versions, every model disagreement, and ``notes`` (tools, the
    cluster's fate, why nothing ran)."""
    parts = [f"## {title}", ""]
    if records:
        parts += [verdict_table_markdown(records), ""]
        parts += [_versions_table(records), ""]
    else:
        parts += ["No BotKube run completed.", ""]
    for name, outcome in outcomes.items():
        parts.append(f"- `{_cell(name)}`: **{outcome}**")
    for record in records:
        for problem in disagreements(record):
            parts.append(f"- **{LOUD}** {_cell(record.name)}: {_cell(problem)}")
    parts += [f"- {_cell(note)}" for note in notes]
    return redact_text("\n".join(parts).rstrip() + "\n\n")


def _fence(text: str, lang: str = "") -> str:
    """A code block whose fence is longer than any backtick run inside it."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text.rstrip()}\n{fence}"


def _versions_table(records: Sequence[RunRecord]) -> str:
    header = ("run", "BotKube", "chart", "kind", "helm", "node image", "Kubernetes")
    rows = [
        (
            r.name,
            r.botkube_version,
            r.chart_version or r.botkube_version,
            r.kind_version or "?",
            r.helm_version or "?",
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
    seen = record.observed_status != NOT_RUN  # else "-": not observed, rather than "none"
    parts.append(
        _md_table(
            ("", "predicted (lint)", "observed"),
            [
                ("plugin status", pred.status if pred else "-", record.observed_status or "?"),
                (
                    "plugin exit statuses",
                    statuses_text(pred.exit_statuses) if pred else "-",
                    statuses_text(record.exit_statuses) if seen else "-",
                ),
                ("restarts", "", restarts_text(record) if seen else "-"),
                ("panic", "", (record.panic or "none") if seen else "-"),
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
    not_run = record.observed_status == NOT_RUN
    if record.diagnosis:
        title = "Why it did not run" if not_run else "Agent log diagnosis"
        parts.append(f"### {title}\n\n" + _fence("\n".join(record.diagnosis), "text"))
    if record.known_issue:
        parts.append(f"### Upstream issue\n\n{_issue_link(record)}")
    if record.values:
        dumped = yaml.safe_dump(redact_values(record.values), sort_keys=False)
        also = f"; also <code>{values_file}</code>" if values_file else ""
        parts.append(
            f"<details><summary>Helm values {'it would install' if not_run else 'used'} "
            f"(redacted{also})</summary>\n\n"
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
