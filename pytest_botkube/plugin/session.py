"""The fixtures' bodies. ``plugin.py`` declares the fixtures and imports this module inside them,
so that neither ``pytest --help`` nor a test run without BotKube fixtures loads the cluster layer
or the kubernetes client.

"Cannot run here" (no Docker daemon, kind or helm missing and not downloadable, cluster not
reachable) is a skip naming what is missing and how to get it, or, with
``--botkube-require-cluster``, a failure: a CI job must never pass by skipping.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, NoReturn

import pytest

from pytest_botkube.bundled import scenarios_dir
from pytest_botkube.errors import BadInput, EnvironmentUnavailable
from pytest_botkube.live import environment as live
from pytest_botkube.live.artifacts import collect, node_dir_name
from pytest_botkube.live.helm import ChartSource
from pytest_botkube.live.receiver import WebhookReceiver
from pytest_botkube.live.release import HealthSettings, Release
from pytest_botkube.live.tools import CommandFailed
from pytest_botkube.live.workload import Workload, create, prepare
from pytest_botkube.plugin.options import BY_NAME, Settings
from pytest_botkube.reproduce import pipeline
from pytest_botkube.reproduce.pipeline import ReceiverEndpoint
from pytest_botkube.scenario import Scenario, adhoc_scenario, find_scenario, scenario_names

VALUES_PREFIX = "values:"  # a scenario parameter naming a user's values file (ad-hoc run)
RELEASE_KEY = pytest.StashKey["LiveTest"]()


def fail(message: str) -> NoReturn:
    """Fail with one message; ``from None`` keeps a caught error's traceback out of the report."""
    raise pytest.fail.Exception(message, pytrace=False) from None


def cannot_run(settings: Settings, message: str) -> NoReturn:
    """Skip, or fail under ``--botkube-require-cluster``."""
    if settings.require_cluster:
        fail(f"--botkube-require-cluster: {message}")
    raise pytest.skip.Exception(f"BotKube e2e cannot run here: {message}") from None


# -- scenario selection ----------------------------------------------------------------------


def selected_scenarios(settings: Settings) -> list[str]:
    """Scenario parameters for the e2e matrix: names from scenarios/, and ``values:FILE`` for
    ``--botkube-values`` (alone, unless scenarios are also named)."""
    known = scenario_names()
    chosen = [_scenario_ref(name, settings) for name in settings.scenario or ()]
    unknown = [name for name in chosen if name not in known and not Path(name).is_file()]
    if unknown:
        raise pytest.UsageError(
            f"--botkube-scenario: unknown {', '.join(unknown)} (known: {', '.join(known)})"
        )
    params = chosen or ([] if settings.values is not None else known)
    if settings.values is not None:
        params.append(f"{VALUES_PREFIX}{settings.path('values')}")
    return params


def _scenario_ref(name: str, settings: Settings) -> str:
    """A scenario name as given, or a scenario file's path made absolute (a file outside
    scenarios/, e.g. one a user wrote for a bug report)."""
    if name.endswith((".yaml", ".yml")) or "/" in name:
        path = Path(name)
        return str(path if path.is_absolute() else settings.invocation_dir / path)
    return name


def scenario_id(param: str) -> str:
    if param.startswith(VALUES_PREFIX):
        return f"adhoc-{Path(param[len(VALUES_PREFIX) :]).stem}"
    if param.endswith((".yaml", ".yml")):
        return Path(param).stem
    return param


def load_scenario_param(param: str, settings: Settings) -> Scenario:
    try:
        if param.startswith(VALUES_PREFIX):
            return adhoc_scenario(param[len(VALUES_PREFIX) :], str(settings.version))
        return find_scenario(param, scenarios_dir())
    except BadInput as exc:
        fail(str(exc))


# -- the session: cluster and receiver --------------------------------------------------------


def run_settings(settings: Settings) -> pipeline.RunSettings:
    """The live settings in the typed form ``botkube-repro run`` uses, so that the session's
    pieces (cluster, receiver, release) are built by the same functions (pipeline.py)."""
    values: dict[str, Any] = {}
    for f in fields(pipeline.RunSettings):
        kind = BY_NAME[f.name].kind
        values[f.name] = settings.path(f.name) if kind == "path" else getattr(settings, f.name)
    return pipeline.RunSettings(**values)


def live_config(settings: Settings, work_dir: Path) -> live.LiveConfig:
    return pipeline.live_config(run_settings(settings), work_dir)


class ClusterHolder:
    """The session's cluster in the process that owns it: a plain run, or pytest-xdist's
    controller, which brings it up once for every worker. Started on first need, deleted (per
    keep policy, only if created here) by :meth:`stop` at the end of the session.

    A problem is kept, not raised: every test that needs the cluster sees the same one
    (skip, or failure under ``--botkube-require-cluster``), and workers get it in the handoff.
    """

    def __init__(self, settings: Settings, work_dir: Callable[[], Path]) -> None:
        self.settings = settings
        self._work_dir_factory = work_dir
        self._work_dir: Path | None = None
        self.env: live.LiveEnvironment | None = None
        self.started = False
        self.problem: str | None = None  # cannot run here: a skip
        self.error: str | None = None  # a tool answered wrongly: a failure

    @property
    def work_dir(self) -> Path:
        if self._work_dir is None:
            self._work_dir = self._work_dir_factory()
        return self._work_dir

    def config(self) -> live.LiveConfig:
        return live_config(self.settings, self.work_dir)

    def start(self) -> None:
        if self.started:
            return
        self.started = True
        try:
            self.env = live.start(self.config(), dict(os.environ))
        except EnvironmentUnavailable as exc:
            self.problem = str(exc)
            return
        except (BadInput, CommandFailed) as exc:
            self.error = str(exc)  # kind or docker answered, but wrongly: a failure, not a skip
            return
        image = self.settings.image
        if image:
            try:
                self.env.load_image(str(image), timeout=float(self.settings.install_timeout))
            except (CommandFailed, BadInput) as exc:
                self.error = f"--botkube-image {image}: {exc}"

    def environment(self) -> live.LiveEnvironment:
        """The started environment, or the session's skip/failure."""
        self.start()
        raise_problem(self.settings, self.problem, self.error)
        assert self.env is not None
        return self.env

    def handoff_record(self) -> dict[str, Any]:
        """What a worker reads (JSON): the cluster to attach to, or why there is none."""
        self.start()
        cluster = None
        if self.env is not None and self.problem is None and self.error is None:
            cluster = asdict(self.env.handoff())
        return {"problem": self.problem, "error": self.error, "cluster": cluster}

    def stop(self, failed: bool) -> str | None:
        """Delete (or keep) the cluster; the line for the terminal summary, None if unused."""
        env, self.env = self.env, None
        return None if env is None else env.stop(failed)


def raise_problem(settings: Settings, problem: str | None, error: str | None) -> None:
    if problem is not None:
        cannot_run(settings, problem)
    if error is not None:
        fail(error)


HANDOFF_FILE = "cluster.json"


def selected_file(directory: Path, worker_id: str) -> Path:
    """Where a worker says how many live tests it collected (the controller reads it)."""
    return directory / f"selected-{worker_id}.json"


def write_json(path: Path, data: Any) -> None:
    """Written whole or not at all: another process may read it at any moment."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
    partial.replace(path)


def attached_environment(
    settings: Settings, workerinput: Mapping[str, str]
) -> Iterator[live.LiveEnvironment]:
    """A pytest-xdist worker's view of the controller's cluster: the cluster name and
    kubeconfig from ``workerinput``, its state and tools from the controller's handoff file in
    the directory ``workerinput`` names; attach ("reuse" semantics), never delete."""
    directory = Path(workerinput["dir"])
    path = directory / HANDOFF_FILE
    if not path.is_file():
        fail(
            "pytest-xdist: the controller prepared no BotKube cluster for this worker "
            f"(no {path}); it does so for tests that use the botkube fixtures as arguments "
            "or carry the botkube_e2e marker"
        )
    record = json.loads(path.read_text(encoding="utf-8"))
    raise_problem(settings, record.get("problem"), record.get("error"))
    handoff = live.ClusterHandoff(**record["cluster"])
    planned = (workerinput["cluster_name"], workerinput["kubeconfig"])
    if handoff.kubeconfig != planned[1] or (handoff.is_kind and handoff.name != planned[0]):
        fail(
            f"pytest-xdist: the controller's cluster {handoff.name!r} ({handoff.kubeconfig}) "
            f"is not the one it announced ({planned[0]!r}, {planned[1]})"
        )
    problem: str | None = None
    try:
        env = live.attach(handoff, live_config(settings, directory), dict(os.environ))
    except EnvironmentUnavailable as exc:
        problem = str(exc)
    if problem is not None:
        cannot_run(settings, problem)
    try:
        yield env
    finally:
        env.kube.close()  # the controller deletes the cluster, once


def receiver_endpoint(settings: Settings, env: live.LiveEnvironment) -> Iterator[ReceiverEndpoint]:
    with contextlib.ExitStack() as stack:
        try:
            endpoint = stack.enter_context(pipeline.open_receiver(run_settings(settings), env))
        except (BadInput, EnvironmentUnavailable, CommandFailed) as exc:
            fail(f"webhook receiver: {exc}")
        yield endpoint


def reset_receiver(endpoint: ReceiverEndpoint) -> Iterator[WebhookReceiver]:
    endpoint.receiver.reset()
    try:
        yield endpoint.receiver
    finally:
        endpoint.receiver.reset()


# -- per test: release, workload ----------------------------------------------------------------


@dataclass
class LiveTest:
    """What the report hook needs to save artifacts of a failed test."""

    release: Release
    receiver: WebhookReceiver
    artifacts_root: Path
    setup_excerpt: str | None = None  # saved by the fixture when setup failed


def health_settings(settings: Settings) -> HealthSettings:
    return pipeline.health_settings(run_settings(settings))


def chart_source(settings: Settings) -> ChartSource:
    return pipeline.chart_source(run_settings(settings))


def release(
    request: pytest.FixtureRequest,
    settings: Settings,
    scenario: Scenario,
    env: live.LiveEnvironment,
    endpoint: ReceiverEndpoint,
    workdir: Path,
) -> Iterator[Release]:
    try:
        planned = pipeline.plan_live_release(
            run_settings(settings), scenario, env, endpoint.url, workdir
        )
    except (BadInput, ValueError) as exc:
        fail(str(exc))
    artifacts_root = settings.path("artifacts") or Path("botkube-artifacts")
    problems: list[str] = []
    test = LiveTest(planned, endpoint.receiver, artifacts_root)
    request.node.stash[RELEASE_KEY] = test
    try:
        try:
            try:
                planned.install(float(settings.install_timeout))
            except CommandFailed as exc:
                hint = pipeline.install_failure_hint(str(exc))
                fail(f"helm install of {scenario.name} failed: {exc}{hint}")
            planned.wait_plugin_started(
                float(settings.start_timeout), grace=float(settings.start_grace)
            )
        except Exception:
            # The release is removed before pytest reports a setup failure: save it now.
            test.setup_excerpt = save_artifacts(request.node, test)
            raise
        yield planned
    finally:
        problems = planned.teardown(float(settings.teardown_timeout))
    if problems:
        fail("cleanup failed: " + "; ".join(problems))


def workload(release: Release) -> Workload:
    created = prepare(release.namespace)
    create(release.kube, created)
    return created


def save_artifacts(item: pytest.Item, test: LiveTest) -> str:
    """Collect a failed test's artifacts; return the excerpt for the report."""
    directory = test.artifacts_root / node_dir_name(item.nodeid)
    with contextlib.suppress(Exception):
        artifacts = collect(test.release, directory, deliveries=test.receiver.summary())
        return artifacts.excerpt()
    return f"artifacts: collecting into {directory} failed"
