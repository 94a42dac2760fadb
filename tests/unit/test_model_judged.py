"""The rule "a model-judged run fails when the model disagrees" has one home, ``judge_run``; both
front-ends' verdict (``Reproduction.ok``: the pytest assertion, ``run``'s exit status) reads it.

Observed here: the recorded v1.13.0 crash loop (its /healthz and agent log), judged against the
model's prediction for values it does not predict a crash for.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from pytest_botkube.live.receiver import WebhookReceiver
from pytest_botkube.live.release import Release
from pytest_botkube.model.semantics import analyze
from pytest_botkube.readers.health import health_verdict, parse_healthz
from pytest_botkube.readers.logs import read_log_file
from pytest_botkube.reproduce.judge import judge_run
from pytest_botkube.reproduce.pipeline import Reproduction
from pytest_botkube.scenario import find_scenario

DATA = Path(__file__).resolve().parents[1] / "data"


def judged(scenario_name: str, *, by_model: bool, earlier: tuple[str, ...] = ()) -> Reproduction:
    scenario = replace(find_scenario(scenario_name), expect=None)  # an ad-hoc run: no expect
    values: dict[str, Any] = dict(scenario.values)
    fake: Any = SimpleNamespace(
        scenario=scenario, values=values, version="", log=lambda previous=False: ""
    )
    release = cast(Release, fake)
    receiver = cast(WebhookReceiver, SimpleNamespace(deliveries=list))
    healthz = parse_healthz((DATA / "healthz" / "deactivated_v1.13.0.json").read_text())
    summary = read_log_file(DATA / "logs" / "crash_loop_v1.13.0.json.log")
    verdict = health_verdict(healthz, summary, aliases=scenario.source_aliases())
    judgement = judge_run(
        release,
        analysis=analyze(values, scenario.botkube_version, "v1.29.2"),
        happened=(),
        receiver=receiver,
        health=(healthz, summary, verdict),
        kubernetes_version="v1.29.2",
        node_image="",
        restart_threshold=10,
        earlier=earlier,
        by_model=by_model,
    )
    return Reproduction(
        scenario, judgement.record, [*earlier, *judgement.problems], by_model=by_model
    )


def test_a_model_judged_run_the_model_disagrees_with_fails():
    # fixed-v1.14.0's values: the model predicts Running; the recording is Deactivated.
    done = judged("fixed-v1.14.0", by_model=True)
    assert done.model_disagreements()[0].startswith("plugin status: predicted Running")
    assert done.record.expectations_met is False
    assert not done.ok
    assert "  model disagrees: plugin status: predicted Running" in done.explain()


def test_a_run_not_judged_by_the_model_reports_the_disagreement_but_passes():
    done = judged("fixed-v1.14.0", by_model=False)
    assert done.record.expectations_met is None
    assert done.model_disagreements() == []
    assert done.ok


@pytest.mark.parametrize("by_model", [True, False])
def test_a_model_judged_run_the_model_agrees_with_passes_unless_a_problem(by_model: bool):
    # crash-v1.13.0's values: the model predicts the crash the recording shows.
    done = judged("crash-v1.13.0", by_model=by_model)
    assert done.model_disagreements() == []
    assert done.ok
    assert not judged("crash-v1.13.0", by_model=by_model, earlier=("a wait gave up",)).ok
