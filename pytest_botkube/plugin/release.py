"""Per test: the whole reproduction (``botkube_reproduce``), or its pieces for a test of one's
own: the scenario's release (installed, started, uninstalled at teardown), its workload; and the
artifacts of a failed test."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_botkube.errors import BadInput, EnvironmentUnavailable
from pytest_botkube.live import environment as live
from pytest_botkube.live.artifacts import collect, node_dir_name
from pytest_botkube.live.chart import ChartFetcher, ChartUnavailable, ChartVersionMismatch
from pytest_botkube.live.receiver import WebhookReceiver
from pytest_botkube.live.release import Release
from pytest_botkube.live.workload import Workload, create, prepare
from pytest_botkube.plugin.outcomes import cannot_run, fail
from pytest_botkube.report.records import RECORD_PROPERTY, record_properties, record_to_json
from pytest_botkube.reproduce import pipeline
from pytest_botkube.reproduce.pipeline import ReceiverEndpoint, Reproduction
from pytest_botkube.scenario import Scenario
from pytest_botkube.settings import Settings

RELEASE_KEY = pytest.StashKey["LiveTest"]()
CHARTS_KEY = pytest.StashKey[ChartFetcher]()  # one per session: each version fetched once


@dataclass
class LiveTest:
    """What the report hook needs to save artifacts of a failed test."""

    release: Release
    receiver: WebhookReceiver
    artifacts_root: Path
    setup_excerpt: str | None = None  # saved by the fixture when setup failed


def session_charts(
    config: pytest.Config, settings: Settings, env: live.LiveEnvironment
) -> ChartFetcher:
    """The session's chart fetcher (each chart version fetched once per session)."""
    charts = config.stash.get(CHARTS_KEY, None)
    if charts is None:
        charts = config.stash[CHARTS_KEY] = pipeline.chart_fetcher(settings, env.tools.env)
    return charts


def release(
    request: pytest.FixtureRequest,
    settings: Settings,
    scenario: Scenario,
    env: live.LiveEnvironment,
    endpoint: ReceiverEndpoint,
    workdir: Path,
) -> Iterator[Release]:
    """The ``botkube_release`` fixture: installed and started by the pipeline's own step
    (:func:`pipeline.install`), so an environment problem is classified as in
    ``botkube_reproduce`` and ``botkube-repro run``."""
    try:
        charts = session_charts(request.config, settings, env)
        planned = pipeline.plan_live_release(settings, scenario, env, endpoint.url, workdir, charts)
    except (ChartUnavailable, ChartVersionMismatch) as exc:
        cannot_run(settings, f"{scenario.name}: {exc}")
    except (BadInput, ValueError) as exc:
        fail(str(exc))
    problems: list[str] = []
    test = LiveTest(planned, endpoint.receiver, settings.artifacts)
    request.node.stash[RELEASE_KEY] = test
    try:
        try:
            problems = pipeline.install(planned, settings)
        except EnvironmentUnavailable as exc:
            test.setup_excerpt = save_artifacts(request.node, test)
            cannot_run(settings, f"{scenario.name}: {exc}")
        except BaseException:
            test.setup_excerpt = save_artifacts(request.node, test)
            raise
        if problems:
            # The release is removed before pytest reports a setup failure: save it now.
            test.setup_excerpt = save_artifacts(request.node, test)
            fail(f"{scenario.name}: " + "; ".join(problems))
        yield planned
    finally:
        problems = planned.teardown(settings.teardown_timeout)
    if problems:
        fail("cleanup failed: " + "; ".join(problems))


class Reproducer:
    """The ``botkube_reproduce`` fixture: ``botkube_reproduce(scenario)`` runs the live
    sequence :func:`pipeline.reproduce` on the session's cluster and receiver and returns its
    :class:`~pytest_botkube.reproduce.pipeline.Reproduction` (``.ok``, ``.explain()``).

    The test's report gets a ``botkube`` section (health sentence, delivery diff) and the
    ``botkube_*`` properties (JUnit XML, terminal summary); a run that is not ok leaves its
    artifacts under ``--botkube-artifacts`` and a ``botkube artifacts`` section. What cannot
    run here skips (fails under ``--botkube-require-cluster``), as ``run`` exits 3."""

    def __init__(
        self,
        request: pytest.FixtureRequest,
        settings: Settings,
        env: live.LiveEnvironment,
        endpoint: ReceiverEndpoint,
        workdirs: pytest.TempPathFactory,
    ) -> None:
        self.request = request
        self.settings = settings
        self.env = env
        self.endpoint = endpoint
        self.workdirs = workdirs

    def __call__(self, scenario: Scenario) -> Reproduction:
        settings = self.settings
        try:
            done = pipeline.reproduce(
                scenario,
                settings=settings,
                env=self.env,
                endpoint=self.endpoint,
                # Not tmp_path: its teardown fails after a Ctrl-C in the call phase.
                workdir=self.workdirs.mktemp("botkube-release"),
                charts=session_charts(self.request.config, settings, self.env),
                collect=self._collect,
            )
        except (EnvironmentUnavailable, ChartVersionMismatch) as exc:
            cannot_run(settings, f"{scenario.name}: {exc}")
        except BadInput as exc:
            fail(f"{scenario.name}: {exc}")
        node = self.request.node
        sentence = done.verdict.sentence if done.verdict is not None else "not observed"
        diff = done.diff.render_text() if done.diff is not None else ""
        node.add_report_section("call", "botkube", f"health: {sentence}\n\n{diff}".rstrip())
        # user_properties: what record_property fills, without its xunit2 warning; the JUnit
        # XML carries them with junit_family=xunit1, and every report hook sees them.
        node.user_properties.extend(record_properties(done.record))
        # the whole record (redacted JSON), for --botkube-step-summary at the end of the session
        node.user_properties.append((RECORD_PROPERTY, record_to_json(done.record)))
        return done

    def _collect(
        self, release: Release, receiver: WebhookReceiver, done: Reproduction
    ) -> tuple[Path, ...]:
        if done.ok:
            return ()
        node = self.request.node
        directory = self.settings.artifacts / node_dir_name(node.nodeid)
        try:
            saved = collect(release, directory, deliveries=receiver.summary())
        except Exception:  # evidence for a failure, never a failure of its own
            node.add_report_section(
                "call", "botkube artifacts", f"artifacts: collecting into {directory} failed"
            )
            return ()
        node.add_report_section("call", "botkube artifacts", saved.excerpt())
        return tuple(saved.files)


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
