"""Every verdict check fails, with its own message, when the agent double breaks its rule.

The agent double (doubles/agent.py) behaves as the model predicts for the installed values, so
with nothing injected each shipped scenario passes (test_e2e_rehearsal, test_run_command). Here
one violation per check goes in through ``BOTKUBE_STANDIN_AGENT_VIOLATION`` and both front-ends
run a scenario it breaks: the e2e suite must fail that scenario's test, and ``botkube-repro
run`` must exit 1 with a MISMATCH; each must print the check's own words. Switching a check off
in the product makes its rows here fail (the table in the issue note).

Each case runs a renamed copy of a shipped scenario (so: namespaces of its own, to which its
violation is scoped); a copy may empty one expectation so that a later check gets to see the
violation (the model's delivery diff only judges what the scenario's own checks let through).
To stay fast, the e2e suite runs every copy in one pytest session (the late delivery's in a
second one, for its quiet window), and the ``run`` commands go three at a time.
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from doubles import agent
from doubles.fixtures import FAST_RUN, e2e_suite_args, make_sandbox
from doubles.kubeapi import KubeApiDouble

from pytest_botkube.bundled import scenarios_dir


@dataclass(frozen=True)
class Case:
    """One violation, the scenario it breaks and the words of the check that must catch it."""

    check: str  # where the check lives (reproduce/judge.py unless named)
    violation: str  # a key of agent.VIOLATIONS
    scenario: str
    message: str  # regex over what the front-end prints
    run_waits: tuple[str, ...] = ()  # "option=value" for this case's run command (--X)
    drop: tuple[str, ...] = ()  # expect keys emptied in the copy, so a later check is reached

    @property
    def id(self) -> str:
        return f"{self.violation}-{self.scenario}" + "".join(f"-no-{d}" for d in self.drop)

    @property
    def copy(self) -> str:
        """The name of this case's copy of the scenario (its own namespaces, its violation);
        short, so the namespace ``bk-<name>-<hex>`` stays whole within Kubernetes' 63."""
        return f"v{CASES.index(self):02d}-{self.violation}"


PANIC = "invalid memory address or nil pointer dereference"
HEALTHY = "control-healthy-v1.13.0"
CASES = (
    Case("plugin_problems: status", "status", HEALTHY,
         r"k8s-deployment-events: status Deactivated, expected Running"),
    Case("wait_for_plugin_status: every source Deactivated", "status",
         "crash-alone-v1.13.0",
         r"timed out after 1s .*waiting for /healthz to show Deactivated for k8s-hpa-events",
         ("health-timeout=1",)),
    Case("plugin_problems: a /healthz entry per source", "no-entry", HEALTHY,
         r"/healthz has no entry for source k8s-deployment-events"),
    Case("plugin_problems: restarts bound", "restarts", "crash-alone-v1.13.0",
         r"k8s-hpa-events: 5 restarts, expected exactly threshold\+1 = 4"),
    Case("plugin_problems: exit statuses", "exit-status", "crash-alone-v1.13.0",
         r"plugin exit statuses \[1\] not in \[2\]"),
    Case("plugin_problems: an exit expected", "no-exit", "crash-alone-v1.13.0",
         r"no plugin exit in the log, expected \[2\]"),
    Case("plugin_problems: a panic expected", "no-panic", "crash-alone-v1.13.0",
         rf"no panic in the agent log, expected '{PANIC}'"),
    Case("plugin_problems: panic message", "panic-message", "crash-alone-v1.13.0",
         rf"panic '[^']*index out of range \[3\]' lacks '{PANIC}'"),
    Case("plugin_problems: panic frame function", "panic-function", "crash-alone-v1.13.0",
         r"no frame mergeResourceEvents at router\.go:159 in \[[^]]*mergeRouteTypes "
         r"\([^)]*router\.go:159\)"),
    Case("plugin_problems: panic frame location", "panic-location", "crash-alone-v1.13.0",
         r"no frame mergeResourceEvents at router\.go:159 in \[[^]]*mergeResourceEvents "
         r"\([^)]*router\.go:171\)"),
    Case("plugin_problems: no panic expected", "panic", HEALTHY,
         rf"unexpected panic in the agent log: .*{PANIC}"),
    Case("plugin_problems: registering_informers", "informers", "crash-alone-v1.13.0",
         r"'Registering informers\.\.\.' logged, expected never logged"),
    Case("judge_run: log_contains", "parse-error-line", "unknown-type-v1.14.0",
         r"agent log lacks 'Unable to parse resource: autoscaling/v2beta2/"
         r"horizontalpodautoscalers to register with informer'"),
    Case("wait_for_delivery: a required delivery",
         "drop-deliveries", HEALTHY,
         r"timed out after 1s .*waiting for delivery Type=create, Kind=Deployment, "
         r"Name=hpa-target, .*Source=k8s-deployment-events \(why:", ("event-timeout=1",)),
    Case("assert_not_delivered: the quiet window (its matching and its length)",
         "late-unforwarded", HEALTHY,
         r"a delivery that must not arrive.* happened [\d.]+s into a 2s quiet window: "
         r"\[Kind=HorizontalPodAutoscaler\] matched .*SuccessfulRescale", ("quiet-window=2",)),
    Case("judge_run: model disagrees, a delivery the model rules out (DiffRow.disagreement)",
         "unforwarded", HEALTHY,
         r"model disagrees: Normal SuccessfulRescale autoscaling/v2/horizontalpodautoscalers "
         r"bk-\S+/hpa-target: delivered, but the model says BotKube would not forward it",
         drop=("not_delivered",)),
    Case("judge_run: model disagrees, a predicted delivery missing (DiffRow.disagreement)",
         "drop-deliveries", HEALTHY,
         r"model disagrees: create apps/v1/deployments bk-\S+/hpa-target: the model predicts "
         r"delivery by k8s-deployment-events, but nothing arrived", drop=("delivered",)),
    Case("judge_run: model disagrees, another source (DiffRow.disagreement)", "extra-source",
         "fixed-v1.14.0",
         r"model disagrees: create apps/v1/deployments bk-\S+/hpa-target: predicted sources "
         r"k8s-deployment-events: unpredicted delivery from k8s-hpa-events"),
)  # fmt: skip
#: The e2e session's waits: every case's, except the quiet window (the late delivery's case
#: runs in a session of its own with it; a long window would hold up every other case).
E2E_WAITS = ("--botkube-event-timeout=1", "--botkube-health-timeout=1")
LATE_WAITS = ("--botkube-quiet-window=2",)
#: The model judges a user's values file; a plugin status it did not predict is flagged.
ADHOC_MESSAGE = "plugin status: predicted Running, observed Deactivated"


def _copy_scenario(directory: Path, case: Case) -> Path:
    """A copy of the shipped scenario named ``case.copy`` (so: namespaces of its own)."""
    text = (scenarios_dir() / f"{case.scenario}.yaml").read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    doc["name"] = case.copy
    for key in case.drop:
        doc["expect"][key] = []
    path = directory / f"{case.copy}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("violation-scenarios")
    return {case.id: _copy_scenario(directory, case) for case in CASES}


@dataclass(frozen=True)
class Outcome:
    passed: bool
    text: str  # the failure message, then the test's properties


@dataclass(frozen=True)
class E2ESession:
    outcomes: dict[str, Outcome]  # by scenario name (the test id's parameter)
    stdout: str


def _e2e(root: Path, double: KubeApiDouble, scoped: Sequence[str], *args: str) -> E2ESession:
    junit = root / "junit.xml"
    extra = {agent.VIOLATION_ENV: ",".join(scoped)}
    sandbox = make_sandbox(root / "sandbox", double.url, extra=extra)
    argv = e2e_suite_args(root, root / "artifacts", "--junitxml", str(junit), *args)
    done = subprocess.run([sys.executable, "-m", "pytest", *argv], env=sandbox.env, cwd=root,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    outcomes = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        match = re.search(r"\[(.+)\]$", case.get("name", ""))
        failure = case.find("failure")
        props = [f"{p.get('name')}={p.get('value')}" for p in case.iter("property")]
        text = failure.get("message", "") + (failure.text or "") if failure is not None else ""
        if match:
            outcomes[match[1]] = Outcome(failure is None, text + "\n".join(props))
    return E2ESession(outcomes, done.stdout + done.stderr)


@pytest.fixture(scope="module")
def e2e_sessions(
    tmp_path_factory: pytest.TempPathFactory, copies: dict[str, Path]
) -> Iterator[list[E2ESession]]:
    """The e2e suite: once with every case's copy and a user's values file (ad hoc), once with
    the late delivery's case and its quiet window."""
    root = tmp_path_factory.mktemp("violations-e2e")
    shipped = (scenarios_dir() / "workaround-v1.13.0.yaml").read_text(encoding="utf-8")
    user_values = root / "user-values.yaml"
    user_values.write_text(yaml.safe_dump(yaml.safe_load(shipped)["values"]), encoding="utf-8")
    adhoc = ("--botkube-values", str(user_values), "--botkube-version", "v1.13.0")
    late = [c for c in CASES if c.violation == "late-unforwarded"]
    quick = [c for c in CASES if c not in late]
    with KubeApiDouble(hpa_sync_delay=0) as double:
        double.set_profile("*", agent.model_agent())
        sessions = []
        for index, (cases, args) in enumerate([(quick, (*E2E_WAITS, *adhoc)), (late, LATE_WAITS)]):
            scoped = [f"{c.violation}@{agent.namespace_glob(c.copy)}" for c in cases]
            if index == 0:
                scoped.append(f"status@{agent.namespace_glob('adhoc-user-values')}")
            names = [arg for c in cases for arg in ("--botkube-scenario", str(copies[c.id]))]
            where = root / f"session-{index}"
            where.mkdir()
            sessions.append(_e2e(where, double, scoped, *args, *names))
        yield sessions


def _e2e_outcome(sessions: list[E2ESession], name: str) -> Outcome:
    for session in sessions:
        if name in session.outcomes:
            return session.outcomes[name]
    raise AssertionError(f"no test for {name}: {sessions[0].stdout[-3000:]}")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_e2e_suite_fails_with_the_checks_message(e2e_sessions: list[E2ESession], case: Case):
    outcome = _e2e_outcome(e2e_sessions, case.copy)
    assert not outcome.passed, f"{case.copy} passed despite the violation {case.violation}"
    assert re.search(case.message, outcome.text), outcome.text


def test_the_e2e_suite_flags_a_model_disagreement_on_a_users_values(
    e2e_sessions: list[E2ESession],
):
    """An ad-hoc run has no expectations, so it passes; the model's disagreement is what it
    reports (the JUnit property and the terminal summary)."""
    outcome = _e2e_outcome(e2e_sessions, "adhoc-user-values")
    assert outcome.passed, outcome.text
    assert f"botkube_model_disagreements={ADHOC_MESSAGE}" in outcome.text
    assert f"model_disagreements={ADHOC_MESSAGE}" in e2e_sessions[0].stdout


# -- botkube-repro run -------------------------------------------------------------------------


Done = subprocess.CompletedProcess[str]
#: The model judges the workaround variant; a plugin status it did not predict fails the run.
WORKAROUND = ("crash-v1.13.0", "--with-workaround")


@pytest.fixture(scope="module")
def runs(
    tmp_path_factory: pytest.TempPathFactory, copies: dict[str, Path]
) -> Iterator[dict[str, Done]]:
    """``botkube-repro run`` once per case's copy (and the workaround run), three at a time."""
    root = tmp_path_factory.mktemp("violations-run")
    jobs: list[tuple[str, str, tuple[str, ...]]] = [
        (c.id, c.violation, (str(copies[c.id]), *(f"--{w}" for w in c.run_waits))) for c in CASES
    ]
    glob = agent.namespace_glob("crash-v1.13.0+workaround")
    jobs.append(("workaround", f"status@{glob}", WORKAROUND))
    with KubeApiDouble(hpa_sync_delay=0) as double:
        double.set_profile("*", agent.model_agent())

        def one(job: tuple[str, str, tuple[str, ...]]) -> tuple[str, Done]:
            key, violation, args = job
            where = root / key
            sandbox = make_sandbox(where / "sandbox", double.url,
                                   extra={agent.VIOLATION_ENV: violation})  # fmt: skip
            argv = (sys.executable, "-m", "pytest_botkube.cli", "run", *FAST_RUN, *args)
            return key, subprocess.run(argv, env=sandbox.env, cwd=where, capture_output=True,
                                       text=True, timeout=120, check=False)  # fmt: skip

        with ThreadPoolExecutor(max_workers=3) as pool:
            yield dict(pool.map(one, jobs))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_botkube_repro_run_fails_with_the_checks_message(runs: dict[str, Done], case: Case):
    done = runs[case.id]
    shown = done.stderr + done.stdout
    assert done.returncode == 1, shown
    assert re.search(rf"   problem: .*{case.message}", done.stdout), shown
    assert f"result: MISMATCH in {case.copy} (1/1 runs)" in done.stdout


def test_botkube_repro_run_fails_a_model_judged_run_that_disagrees(
    runs: dict[str, Done],
):
    done = runs["workaround"]
    assert done.returncode == 1, done.stderr + done.stdout
    assert re.search(r"^crash-v1.13.0\+workaround .*!! MODEL DISAGREES !!$", done.stdout, re.M)
    assert f"!! MODEL DISAGREES !! crash-v1.13.0+workaround: {ADHOC_MESSAGE}" in done.stdout
    assert f"   model disagrees: {ADHOC_MESSAGE}" in done.stdout
    assert "result: MISMATCH in crash-v1.13.0+workaround (1/2 runs)" in done.stdout


def test_every_violation_is_used_and_the_knob_is_checked():
    used = {case.violation for case in CASES}
    assert used == set(agent.VIOLATIONS), set(agent.VIOLATIONS) ^ used
    with pytest.raises(ValueError, match="unknown violation 'stauts'"):
        agent.parse_violations("stauts", "bk-x-1")
    scoped = "status@bk-a-*, restarts"
    assert agent.parse_violations(scoped, "bk-a-1") == {"status", "restarts"}
    assert agent.parse_violations(scoped, "bk-b-1") == {"restarts"}
