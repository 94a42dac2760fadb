"""A scenario's expectations checked against a live release: health, log, deliveries.

Each check either returns what it observed or raises an ``AssertionError`` (the waits raise
:class:`~pytest_botkube.live.wait.WaitFailed`, itself an AssertionError) whose message names the
expectation, its ``why`` from the scenario file, and what was observed instead. Delivery
matching is the scenario's matcher (:meth:`DeliveryExpectation.matches`, which is
:meth:`Delivery.matches`) on the typed deliveries the receiver kept, so ``$namespace`` and the
``Messages``/``Source`` rules mean exactly what the scenario file says.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from pytest_botkube.helm_values import KUBERNETES_PLUGIN
from pytest_botkube.live.kube import KubeError
from pytest_botkube.live.receiver import WebhookReceiver
from pytest_botkube.live.release import Release
from pytest_botkube.live.wait import hold_for, wait_until
from pytest_botkube.model.events import Happening
from pytest_botkube.model.semantics import Analysis
from pytest_botkube.readers.health import HealthVerdict, Healthz, health_verdict, parse_healthz
from pytest_botkube.readers.logs import LogSummary
from pytest_botkube.readers.payload import Delivery
from pytest_botkube.report.records import DeliveryRow, Prediction, RunRecord, observed_from_log
from pytest_botkube.reproduce.delivery_diff import DeliveryDiff
from pytest_botkube.scenario import DeliveryExpectation, PluginExpectation


def _first(
    receiver: WebhookReceiver, expectations: Sequence[DeliveryExpectation], namespace: str
) -> str | None:
    for delivery in receiver.deliveries():
        for expectation in expectations:
            if expectation.matches(delivery, namespace):
                data = delivery.raw.get("data") or {}
                return f"[{expectation.describe()}] matched {json.dumps(data, sort_keys=True)}"
    return None


def sending_side(release: Release) -> str:
    """What the agent says about its webhook sends: the platform's /healthz entry and the sink
    failures in its log. This is how an unreachable receiver shows up."""
    parts: list[str] = []
    try:
        healthz = parse_healthz(release.healthz(), where="healthz")
        parts += [
            f"{name}: {p.status}" + (f" ({p.reason}: {p.error_msg})" if p.reason else "")
            for name, p in healthz.platforms.items()
        ]
    except Exception as exc:  # context for a failure message, never a failure itself
        parts.append(f"/healthz unreadable: {exc}")
    try:
        summary = release.log_summary()
        if summary.sink_failure_count:
            last = summary.sink_failures[-1].error if summary.sink_failures else ""
            parts.append(f"{summary.sink_failure_count} failed sends in the agent log: {last}")
    except Exception as exc:
        parts.append(f"agent log unreadable: {exc}")
    return "; ".join(parts) or "no platform status, no failed send logged"


def wait_for_delivery(
    receiver: WebhookReceiver,
    expectation: DeliveryExpectation,
    namespace: str,
    timeout: float,
    release: Release | None = None,
    on_poll: Callable[[], object] | None = None,
) -> Delivery:
    """The first delivery matching ``expectation``; fails after ``timeout`` listing arrivals
    (and, given the ``release``, what the agent says about its sends). ``on_poll`` runs on
    every poll."""

    def describe() -> str:
        arrived = receiver.summary()
        return arrived if release is None else f"{arrived}\nagent side: {sending_side(release)}"

    def probe() -> Delivery | None:
        if on_poll is not None:
            on_poll()
        for delivery in receiver.deliveries():
            if expectation.matches(delivery, namespace):
                return delivery
        return None

    return wait_until(
        probe,
        timeout=timeout,
        interval=1.0,
        what=f"delivery {expectation.describe()} (why: {expectation.why.strip()})",
        describe=describe,
    )


def assert_not_delivered(
    receiver: WebhookReceiver,
    expectations: Sequence[DeliveryExpectation],
    namespace: str,
    window: float,
    on_poll: Callable[[], object] | None = None,
) -> None:
    """None of ``expectations`` matched so far, nor during the next ``window`` seconds. The
    window is kept even with nothing listed: what arrives late still reaches the delivery diff
    (a delivery the model says cannot happen). ``on_poll`` runs on every poll."""
    names = "; ".join(e.describe() for e in expectations) or "none listed"

    def violation() -> str | None:
        if on_poll is not None:
            on_poll()
        return _first(receiver, expectations, namespace)

    hold_for(
        violation,
        window=window,
        interval=1.0,
        what=f"a delivery that must not arrive ({names})",
        describe=receiver.summary,
    )


def read_health(release: Release) -> tuple[Healthz, LogSummary, HealthVerdict]:
    healthz = parse_healthz(release.healthz(), where=f"{release.namespace} /healthz")
    summary = release.log_summary()
    verdict = health_verdict(
        healthz, summary, KUBERNETES_PLUGIN, aliases=release.scenario.source_aliases()
    )
    return healthz, summary, verdict


def wait_for_plugin_status(
    release: Release,
    status: str,
    timeout: float,
    on_poll: Callable[[], object] | None = None,
) -> tuple[Healthz, LogSummary, HealthVerdict]:
    """Poll /healthz until every kubernetes source alias shows ``status`` (e.g. Deactivated);
    ``on_poll`` runs on every poll."""
    aliases = release.scenario.source_aliases()
    last: list[str] = ["/healthz not read yet"]

    def probe() -> tuple[Healthz, LogSummary, HealthVerdict] | None:
        if on_poll is not None:
            on_poll()
        healthz = parse_healthz(release.healthz(), where=f"{release.namespace} /healthz")
        entries = {a: healthz.plugins.get(a) for a in aliases}
        last[0] = ", ".join(
            f"{a}: {p.status} {p.restarts}/{p.threshold}" if p else f"{a}: absent"
            for a, p in entries.items()
        )
        if all(p is not None and p.status == status for p in entries.values()):
            summary = release.log_summary()
            verdict = health_verdict(healthz, summary, KUBERNETES_PLUGIN, aliases=aliases)
            return healthz, summary, verdict
        return None

    return wait_until(
        probe,
        timeout=timeout,
        interval=2.0,
        what=f"/healthz to show {status} for {', '.join(aliases) or 'no alias'}",
        describe=lambda: last[0],
        retry_on=(KubeError,),
    )


def plugin_problems(
    expect: PluginExpectation,
    healthz: Healthz,
    summary: LogSummary,
    aliases: Sequence[str],
    threshold: int,
) -> list[str]:
    """Every way the observed plugin differs from ``expect``; empty when it matches."""
    problems: list[str] = []
    for alias in aliases:
        entry = healthz.plugins.get(alias)
        if entry is None:
            problems.append(f"/healthz has no entry for source {alias}")
            continue
        if entry.status != expect.status:
            problems.append(f"{alias}: status {entry.status}, expected {expect.status}")
        if not expect.restarts.holds(entry.restarts, threshold):
            problems.append(
                f"{alias}: {entry.restarts} restarts, expected "
                f"{expect.restarts.describe(threshold)}"
            )
    timeline = summary.plugins.get(KUBERNETES_PLUGIN)
    statuses = tuple(timeline.exit_statuses) if timeline is not None else ()
    unexpected = sorted({s for s in statuses if s not in expect.exit_statuses})
    if unexpected:
        problems.append(f"plugin exit statuses {unexpected} not in {list(expect.exit_statuses)}")
    if expect.exit_statuses and not statuses:
        problems.append(f"no plugin exit in the log, expected {list(expect.exit_statuses)}")
    panic = timeline.panic if timeline is not None else None
    if expect.panic is not None:
        if panic is None:
            problems.append(f"no panic in the agent log, expected {expect.panic.message!r}")
        else:
            if expect.panic.message not in panic.message:
                problems.append(f"panic {panic.message!r} lacks {expect.panic.message!r}")
            frames = [(f.short_function, f.location) for f in panic.frames]
            if not any(
                expect.panic.function in fn and loc.endswith(expect.panic.location)
                for fn, loc in frames
            ):
                problems.append(
                    f"no frame {expect.panic.function} at {expect.panic.location} in "
                    f"{[f'{fn} ({loc})' for fn, loc in frames]}"
                )
    elif panic is not None:
        problems.append(f"unexpected panic in the agent log: {panic.message}")
    if expect.registering_informers is not None:
        seen = bool(timeline is not None and timeline.informers_registered)
        if seen != expect.registering_informers:
            problems.append(
                f"'Registering informers...' {'logged' if seen else 'never logged'}, expected "
                f"{'logged' if expect.registering_informers else 'never logged'}"
            )
    return problems


def log_lacks(text: str, needles: Sequence[str]) -> list[str]:
    """``log_contains`` entries that do not occur in the agent log text."""
    return [needle for needle in needles if needle not in text]


class Health:
    """The ``botkube_health`` fixture: /healthz and the agent log of one release."""

    def __init__(self, release: Release) -> None:
        self.release = release

    def read(self) -> tuple[Healthz, LogSummary, HealthVerdict]:
        return read_health(self.release)

    def wait_for(self, status: str, timeout: float) -> tuple[Healthz, LogSummary, HealthVerdict]:
        return wait_for_plugin_status(self.release, status, timeout)


def rows_from_diff(diff: DeliveryDiff) -> tuple[tuple[DeliveryRow, ...], tuple[str, ...]]:
    """The delivery diff as the report's rows, plus the unmatched deliveries."""
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


_PREDICTED = {
    "healthy": ("Running", ()),
    "crash": ("Deactivated", (2,)),
    "exit": ("Deactivated", (1,)),
}


def prediction(analysis: Analysis) -> Prediction:
    """The model's prediction of a run, as the report shows it beside what was observed."""
    status, exits = _PREDICTED.get(analysis.verdict, ("?", ()))
    return Prediction(status, exits, f"lint verdict: {analysis.verdict}")


def run_record(
    release: Release,
    *,
    analysis: Analysis,
    healthz: Healthz | None,
    summary: LogSummary,
    verdict: HealthVerdict,
    diff: DeliveryDiff,
    kubernetes_version: str,
    node_image: str,
    expectations_met: bool | None,
    tool_versions: tuple[str, str] = ("", ""),
) -> RunRecord:
    """The report's record of one live run (what ``record_property`` and the bundle carry)."""
    worst = None
    if healthz is not None:
        entries = [
            healthz.plugins[a] for a in release.scenario.source_aliases() if a in healthz.plugins
        ]
        worst = max(entries, key=lambda e: (e.deactivated, e.restarts), default=None)
    observed = observed_from_log(summary.plugins.get(KUBERNETES_PLUGIN))
    rows, unmatched = rows_from_diff(diff)
    return RunRecord(
        name=release.scenario.name,
        botkube_version=release.scenario.botkube_version,
        values=release.values,
        chart_version=release.version,
        kubernetes_version=kubernetes_version,
        kind_version=tool_versions[0],
        helm_version=tool_versions[1],
        node_image=node_image,
        predicted=prediction(analysis),
        observed_status=worst.status if worst is not None else "",
        restarts=worst.restarts if worst is not None else observed["restarts"],
        threshold=worst.threshold if worst is not None else observed["threshold"],
        exit_statuses=observed["exit_statuses"],
        panic=observed["panic"],
        happenings=tuple(row.happening for row in rows),
        delivered=tuple(row.happening for row in rows if row.delivered),
        diff=rows,
        unmatched=unmatched,
        diagnosis=(verdict.sentence, *verdict.notes),
        known_issue=verdict.known_issue_url or "",
        known_issue_title=verdict.known_issue.title if verdict.known_issue else "",
        expectations_met=expectations_met,
    )


@dataclass(frozen=True)
class Judgement:
    """One observed run judged: what contradicts the scenario, and the report's record."""

    problems: tuple[str, ...]  # found here, after the caller's ``earlier`` ones
    record: RunRecord
    diff: DeliveryDiff
    verdict: HealthVerdict


def judge_run(
    release: Release,
    *,
    analysis: Analysis,
    happened: Sequence[Happening],
    receiver: WebhookReceiver,
    health: tuple[Healthz, LogSummary, HealthVerdict] | None,
    kubernetes_version: str,
    node_image: str,
    restart_threshold: int,
    earlier: Sequence[str] = (),
    by_model: bool = False,
    tool_versions: tuple[str, str] = ("", ""),
) -> Judgement:
    """The end of every live run, the e2e test's and ``botkube-repro run``'s: the delivery diff,
    the scenario's plugin, log and model checks, and the record. ``health`` is the /healthz and
    log read-out (None: unreadable, which the caller counted in ``earlier``); ``by_model``: no
    scenario expectations, the model's prediction is the judge. ``tool_versions``: kind's and
    helm's, for the record."""
    from pytest_botkube.model.semantics import forwarding
    from pytest_botkube.readers.logs import read_log
    from pytest_botkube.report.records import disagreements
    from pytest_botkube.reproduce.delivery_diff import delivery_diff

    scenario = release.scenario
    expect = scenario.expect
    diff = delivery_diff(happened, receiver.deliveries(), lambda h: forwarding(analysis, h))
    problems: list[str] = []
    if expect is not None and health is not None:
        healthz, summary, _ = health
        problems += plugin_problems(
            expect.plugin, healthz, summary, scenario.source_aliases(), restart_threshold
        )
        if expect.plugin.log_contains:
            text = release.log(previous=True) + release.log()
            lacking = log_lacks(text, expect.plugin.log_contains)
            problems += [f"agent log lacks {needle!r}" for needle in lacking]
        problems += [f"model disagrees: {row.what()}: {row.why()}" for row in diff.disagreements]
    if health is not None:
        healthz_or_none: Healthz | None = health[0]
        summary, verdict = health[1], health[2]
    else:
        healthz_or_none, summary = None, read_log([])
        verdict = health_verdict(None, summary, aliases=scenario.source_aliases())
    met: bool | None = None
    if expect is not None or by_model:
        met = not earlier and not problems
    record = run_record(
        release,
        analysis=analysis,
        healthz=healthz_or_none,
        summary=summary,
        verdict=verdict,
        diff=diff,
        kubernetes_version=kubernetes_version,
        node_image=node_image,
        expectations_met=met,
        tool_versions=tool_versions,
    )
    # The one home of "a model-judged run fails when the model disagrees": both front-ends'
    # verdict (Reproduction.ok: pytest's assertion, run's exit status) reads the record.
    if by_model and disagreements(record):
        record = replace(record, expectations_met=False)
    return Judgement(tuple(problems), record, diff, verdict)
