"""pytest wiring only: options, ini keys, markers, fixtures and the report hook.

Fixture bodies live in :mod:`pytest_botkube.fixtures`, imported inside the fixtures, so that
``pytest --help`` and test runs that use no BotKube fixture never load the cluster layer or the
kubernetes client. Shape as pytest-httpserver's: expensive session objects (the cluster, the
receiver server) and cheap per-test handles (the receiver, reset around every test).

Fixtures:

- ``botkube_settings`` (session): every ``--botkube-*`` setting, resolved.
- ``botkube_environment`` (session): tools + cluster (kind via pytest-kind's ``KindCluster``,
  or an existing kubeconfig) + API and Helm handles; skips when this machine cannot run it.
- ``botkube_cluster`` (session): the cluster (name, kubeconfig, context, created-by-us).
- ``botkube_receiver_endpoint`` (session): the webhook receiver and the URL pods use.
- ``botkube_receiver`` (function): the receiver, reset before and after the test.
- ``botkube_scenario_name`` / ``botkube_scenario`` (function): from the
  ``botkube_scenario("name")`` marker, or parametrized (tests/e2e does).
- ``botkube_release`` (function): the scenario's release in its own namespace, installed and
  started; uninstalled (and its namespace deleted) at teardown, even after a failure.
- ``botkube_workload`` (function): the Deployment + HPA, created after the plugin started.
- ``botkube_health`` (function): reads /healthz and the agent log into a verdict.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING

import pytest

from .options import SettingError, Settings, add_options, settings_from_config

if TYPE_CHECKING:
    from .cluster.checks import Health
    from .cluster.kind import Cluster
    from .cluster.live import LiveEnvironment
    from .cluster.release import Release
    from .cluster.workload import Workload
    from .fixtures import ReceiverEndpoint
    from .observe.receiver import WebhookReceiver
    from .scenario import Scenario

MARKERS = (
    "botkube_scenario(name): run this test against the named scenario from scenarios/ "
    "(the botkube_scenario fixture loads it)",
    "botkube_e2e: needs Docker, kind and helm (a live cluster); skipped when they are missing; "
    "added to every test that uses a live botkube fixture",
)

SETTINGS_KEY = pytest.StashKey[Settings]()

#: Fixtures that need a live cluster: a test using any of them is marked ``botkube_e2e``, so
#: ``-m "not botkube_e2e"`` deselects every live test, wherever it is.
LIVE_FIXTURES = frozenset(
    {
        "botkube_environment",
        "botkube_cluster",
        "botkube_receiver_endpoint",
        "botkube_receiver",
        "botkube_release",
        "botkube_workload",
        "botkube_health",
    }
)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    try:
        config.stash[SETTINGS_KEY] = settings_from_config(config)
    except SettingError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if LIVE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker("botkube_e2e")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed and report.when in ("setup", "call"):
        names = getattr(item, "fixturenames", ())
        if "botkube_release" in names:
            from . import fixtures

            test = item.stash.get(fixtures.RELEASE_KEY, None)
            if test is not None:
                if report.when == "call":
                    excerpt = fixtures.save_artifacts(item, test)
                else:
                    excerpt = test.setup_excerpt or ""
                if excerpt:
                    report.sections.append(("botkube artifacts", excerpt))
    return report


@pytest.fixture(scope="session")
def botkube_settings(pytestconfig: pytest.Config) -> Settings:
    return pytestconfig.stash[SETTINGS_KEY]


@pytest.fixture(scope="session")
def botkube_environment(
    botkube_settings: Settings,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveEnvironment]:
    from . import fixtures

    work_dir = tmp_path_factory.mktemp("botkube-cluster")  # the kind cluster's kubeconfig
    yield from fixtures.environment(botkube_settings, request, work_dir)


@pytest.fixture(scope="session")
def botkube_cluster(botkube_environment: LiveEnvironment) -> Cluster:
    return botkube_environment.cluster


@pytest.fixture(scope="session")
def botkube_receiver_endpoint(
    botkube_settings: Settings, botkube_environment: LiveEnvironment
) -> Iterator[ReceiverEndpoint]:
    from . import fixtures

    yield from fixtures.receiver_endpoint(botkube_settings, botkube_environment)


@pytest.fixture
def botkube_receiver(botkube_receiver_endpoint: ReceiverEndpoint) -> Iterator[WebhookReceiver]:
    from . import fixtures

    yield from fixtures.reset_receiver(botkube_receiver_endpoint)


@pytest.fixture
def botkube_scenario_name(request: pytest.FixtureRequest) -> str:
    marker = request.node.get_closest_marker("botkube_scenario")
    if marker is None or not marker.args:
        pytest.fail(
            "botkube_scenario needs @pytest.mark.botkube_scenario('name') or a parametrized "
            "botkube_scenario_name",
            pytrace=False,
        )
    return str(marker.args[0])


@pytest.fixture
def botkube_scenario(botkube_scenario_name: str, botkube_settings: Settings) -> Scenario:
    from . import fixtures

    return fixtures.load_scenario_param(botkube_scenario_name, botkube_settings)


@pytest.fixture
def botkube_release(
    request: pytest.FixtureRequest,
    botkube_settings: Settings,
    botkube_scenario: Scenario,
    botkube_environment: LiveEnvironment,
    botkube_receiver_endpoint: ReceiverEndpoint,
    botkube_receiver: WebhookReceiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Release]:
    from . import fixtures

    # Not tmp_path: its teardown fails after a Ctrl-C in the call phase (it looks up the call
    # report, which an interrupted test never gets), and this teardown must stay clean.
    workdir = tmp_path_factory.mktemp("botkube-release")
    yield from fixtures.release(
        request,
        botkube_settings,
        botkube_scenario,
        botkube_environment,
        botkube_receiver_endpoint,
        workdir,
    )


@pytest.fixture
def botkube_workload(botkube_release: Release) -> Workload:
    from . import fixtures

    return fixtures.workload(botkube_release)


@pytest.fixture
def botkube_health(botkube_release: Release) -> Health:
    from .cluster.checks import Health

    return Health(botkube_release)
