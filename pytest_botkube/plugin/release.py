"""Per test: the scenario's release (installed, started, uninstalled at teardown), its
workload, and the artifacts of a failed test."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_botkube.errors import BadInput
from pytest_botkube.live import environment as live
from pytest_botkube.live.artifacts import collect, node_dir_name
from pytest_botkube.live.chart import ChartFetcher, ChartUnavailable, ChartVersionMismatch
from pytest_botkube.live.receiver import WebhookReceiver
from pytest_botkube.live.release import Release
from pytest_botkube.live.tools import CommandFailed
from pytest_botkube.live.workload import Workload, create, prepare
from pytest_botkube.plugin.outcomes import cannot_run, fail
from pytest_botkube.reproduce import pipeline
from pytest_botkube.reproduce.pipeline import ReceiverEndpoint
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


def release(
    request: pytest.FixtureRequest,
    settings: Settings,
    scenario: Scenario,
    env: live.LiveEnvironment,
    endpoint: ReceiverEndpoint,
    workdir: Path,
) -> Iterator[Release]:
    try:
        charts = request.config.stash.get(CHARTS_KEY, None)
        if charts is None:
            charts = request.config.stash[CHARTS_KEY] = pipeline.chart_fetcher(
                settings, env.tools.env
            )
        planned = pipeline.plan_live_release(settings, scenario, env, endpoint.url, workdir, charts)
    except (ChartUnavailable, ChartVersionMismatch) as exc:
        cannot_run(settings, f"{scenario.name}: {exc}")
    except (BadInput, ValueError) as exc:
        fail(str(exc))
    artifacts_root = settings.artifacts
    problems: list[str] = []
    test = LiveTest(planned, endpoint.receiver, artifacts_root)
    request.node.stash[RELEASE_KEY] = test
    try:
        try:
            try:
                planned.install(settings.install_timeout)
            except CommandFailed as exc:
                hint = pipeline.install_failure_hint(str(exc))
                fail(f"helm install of {scenario.name} failed: {exc}{hint}")
            planned.wait_plugin_started(settings.start_timeout, grace=settings.start_grace)
        except Exception:
            # The release is removed before pytest reports a setup failure: save it now.
            test.setup_excerpt = save_artifacts(request.node, test)
            raise
        yield planned
    finally:
        problems = planned.teardown(settings.teardown_timeout)
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
