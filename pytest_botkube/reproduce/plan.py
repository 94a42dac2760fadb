"""What one ``botkube-repro run`` command installs: the scenario's run, each ``--compare``
version and the ``--with-workaround`` variants, each with the judge it is held to (pure).

Which expectations a run is judged by:

- the scenario's own run: the scenario file's ``expect``;
- a variant (another version, the workaround): a shipped scenario with the same values and
  version if there is one (``crash-v1.13.0`` on v1.14.0 is ``fixed-v1.14.0``), else the model's
  prediction (``lint``): any disagreement is a mismatch;
- a user's values file: none; the run must complete (disagreements are still flagged).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pytest_botkube.bundled import scenarios_dir
from pytest_botkube.errors import BadInput
from pytest_botkube.model.semantics import analyze
from pytest_botkube.model.versions import has_nil_event_panic
from pytest_botkube.scenario import Scenario, freeze, load_scenarios, normalize_version, thaw
from pytest_botkube.yamlio import format_key_path

#: How a user's values file (no scenario, so no expectations) is judged, as ``run`` does it:
#: it passes when every step completes, whatever BotKube then does; what it did is shown
#: beside the model's prediction, a disagreement flagged but not failing the run.
ADHOC = (
    "completing only (a values file has no expectations): the model's prediction is reported "
    "beside what BotKube does; a disagreement is flagged, it does not fail the run"
)

#: The event types the upstream maintainer's workaround on issue #1474 adds (and lint suggests).
WORKAROUND_TYPES: tuple[str, ...] = ("create", "delete", "error")
_NIL_EVENT = "nil-event-panic"  # lint's finding names for a source without top-level event
_NIL_EVENT_TOLERATED = "nil-event-tolerated"
# -- the workaround, a pure transform -----------------------------------------------------------


def workaround_values(
    values: Mapping[str, Any], types: Sequence[str] = WORKAROUND_TYPES
) -> tuple[dict[str, Any], list[str]]:
    """``values`` with a top-level ``config.event.types`` on every kubernetes source that has
    ``resources:`` but no top-level ``event`` (what lint reports as BK001/BK008), and the key
    paths it added. The caller's mapping is not modified."""
    out: dict[str, Any] = thaw(values)
    analysis = analyze(out, "v1.13.0")  # the panicking version names every affected source
    added: list[str] = []
    for finding in analysis.all_findings():
        if finding.name not in (_NIL_EVENT, _NIL_EVENT_TOLERATED):
            continue
        *parents, last = finding.path
        node: Any = out
        for key in parents:
            child = node.get(key) if isinstance(node, dict) else None
            if not isinstance(child, dict):
                child = {}
                node[key] = child
            node = child
        if isinstance(node.get(last), dict) and node[last].get("types"):
            continue
        node[last] = {**(node.get(last) or {}), "types": list(types)}
        added.append(format_key_path(finding.path) + ".types")
    return out, sorted(set(added))


# -- what to run ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedRun:
    """One install: these values on this version, judged by ``judged_by``."""

    scenario: Scenario  # name is the run's label; expect None = judged by the model or ad hoc
    judged_by: str
    by_model: bool = False  # no scenario expectations: a model disagreement is a mismatch
    note: str = ""

    @property
    def name(self) -> str:
        return self.scenario.name


def _shipped_match(values: Mapping[str, Any], version: str) -> Scenario | None:
    try:
        shipped = load_scenarios(scenarios_dir())
    except BadInput:
        return None
    plain = thaw(values)
    for scenario in shipped:
        if scenario.botkube_version == version and thaw(scenario.values) == plain:
            return scenario
    return None


def _variant(
    base: Scenario, label: str, version: str, values: Mapping[str, Any], note: str
) -> PlannedRun:
    match = _shipped_match(values, version)
    if match is not None:
        scenario = replace(
            base,
            name=label,
            botkube_version=version,
            values=freeze(thaw(values)),
            expect=match.expect,
            upstream=match.upstream or base.upstream,
        )
        return PlannedRun(scenario, f"scenario {match.name} (same values and version)", note=note)
    scenario = replace(
        base, name=label, botkube_version=version, values=freeze(thaw(values)), expect=None
    )
    if base.adhoc:
        return PlannedRun(scenario, ADHOC, note=note)
    return PlannedRun(
        scenario, "the model (lint): any disagreement fails", by_model=True, note=note
    )


def plan_runs(
    base: Scenario, compare: Sequence[str] = (), with_workaround: bool = False
) -> list[PlannedRun]:
    """The runs one command makes: ``base``, then each ``compare`` version, then the workaround
    on every version whose model says the original values panic."""
    versions = [base.botkube_version]
    for raw in compare:
        try:
            version = normalize_version(raw)
        except BadInput as exc:
            raise BadInput(f"--compare {raw}: {exc}") from None
        if version not in versions:
            versions.append(version)
    primary = base.botkube_version
    runs = [
        PlannedRun(
            base,
            f"scenario {base.name}" if not base.adhoc else ADHOC,
        )
    ]
    for version in versions[1:]:
        runs.append(_variant(base, f"{base.name}@{version}", version, base.values, ""))
    if with_workaround:
        fixed, added = workaround_values(base.values)
        if not added:
            raise BadInput(
                "--with-workaround: every kubernetes source with resources already has a "
                "top-level config.event; there is nothing to work around"
            )
        note = "workaround: added " + ", ".join(added) + f" = {list(WORKAROUND_TYPES)}"
        for version in versions:
            if not has_nil_event_panic(version):
                continue
            label = f"{base.name}+workaround" + ("" if version == primary else f"@{version}")
            runs.append(_variant(base, label, version, fixed, note))
        if len(runs) == len(versions):
            raise BadInput(
                f"--with-workaround: none of {', '.join(versions)} has the nil-event panic the "
                "workaround is for; add --compare v1.13.0"
            )
    return runs
