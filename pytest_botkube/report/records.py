"""What one live run established (``RunRecord``), in the forms it travels in: JSON (a pytest
worker, the bundle), flat ``botkube_*`` properties (JUnit XML), and its disagreements with the
model's prediction. Filled by the judge (``reproduce/judge.py``); rendered by ``report/render.py``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_botkube.readers.logs import Panic, PluginTimeline
from pytest_botkube.redact import redact_text, redact_values


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
    helm_version: str = ""
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


#: The user property carrying :func:`record_to_json` of a run (to the job summary, across xdist).
RECORD_PROPERTY = "botkube_record"


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
        ("botkube_kind_version", record.kind_version),
        ("botkube_helm_version", record.helm_version),
        ("botkube_node_image", record.node_image),
        ("botkube_plugin_status", record.observed_status or "?"),
        ("botkube_plugin_restarts", restarts_text(record)),
        ("botkube_plugin_exit_statuses", statuses_text(record.exit_statuses)),
        ("botkube_panic", record.panic),
        ("botkube_happened", happened_count(record)),
        ("botkube_delivered", delivered_count(record)),
        ("botkube_predicted", predicted_text(record)),
        ("botkube_model_disagreements", "; ".join(disagreements(record))),
        ("botkube_known_issue", record.known_issue),
    ]
    return [(name, redact_text(value)) for name, value in pairs]


#: ``observed_status`` of a run that never happened (the environment could not run it).
NOT_RUN = "not run"


def disagreements(record: RunRecord) -> list[str]:
    """Each way the observed run contradicts the model's prediction, one sentence each (none
    for a run that never happened)."""
    out: list[str] = []
    if record.observed_status == NOT_RUN:
        return out
    pred = record.predicted
    if pred is not None:
        observed = record.observed_status
        if pred.status and observed and pred.status.casefold() != observed.casefold():
            out.append(f"plugin status: predicted {pred.status}, observed {observed}")
        seen = sorted(set(record.exit_statuses))
        if sorted(set(pred.exit_statuses)) != seen:
            out.append(
                f"plugin exit statuses: predicted {statuses_text(pred.exit_statuses)}, "
                f"observed {statuses_text(record.exit_statuses)}"
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


def statuses_text(statuses: Sequence[int]) -> str:
    """``(2, 2, 2)`` -> ``2 x3``; ``()`` -> ``none``."""
    if not statuses:
        return "none"
    counts = Counter(statuses)
    return ", ".join(f"{s} x{n}" if n > 1 else str(s) for s, n in sorted(counts.items()))


def restarts_text(record: RunRecord) -> str:
    if record.restarts is None:
        return "?"
    return f"{record.restarts}/{record.threshold}" if record.threshold else str(record.restarts)


def predicted_text(record: RunRecord) -> str:
    pred = record.predicted
    if pred is None:
        return "-"
    exits = f", exit {statuses_text(pred.exit_statuses)}" if pred.exit_statuses else ""
    return f"{pred.status or '?'}{exits}"


def delivered_count(record: RunRecord) -> str:
    if record.diff:
        return str(sum(1 for row in record.diff if row.delivered))
    return str(len(record.delivered))


def happened_count(record: RunRecord) -> str:
    return str(len(record.diff) if record.diff else len(record.happenings))
