"""pytest wiring only: options, ini keys, markers, fixtures and the report hook.

Fixture bodies live in focused modules (``cluster``: the session's cluster and receiver;
``release``: per test; ``matrix``: the scenario parameter; ``xdist``: the handoff to workers),
imported inside the fixtures, so that
``pytest --help`` and test runs that use no BotKube fixture never load the cluster layer or the
kubernetes client. Shape as pytest-httpserver's: expensive session objects (the cluster, the
receiver server) and cheap per-test handles (the receiver, reset around every test).

Fixtures:

- ``botkube_settings`` (session): every ``--botkube-*`` setting, resolved.
- ``botkube_environment`` (session): tools + cluster (kind via pytest-kind's ``KindCluster``,
  or an existing kubeconfig) + API and Helm handles; skips when this machine cannot run it.
  The cluster itself belongs to the session, not to the fixture: it is brought up on first
  need and deleted (per keep policy, only if the suite created it) in ``pytest_sessionfinish``,
  and the terminal summary says which.

pytest-xdist: the controller brings the cluster up once, as soon as a worker reports live
tests in its collection (before any test is scheduled), and hands it to the workers: their
``workerinput`` names the cluster, its kubeconfig and a directory where the controller leaves
the handoff (tools, context, or why the cluster cannot run). Workers attach without running
kind and never delete; each installs its scenarios in namespaces and releases of its own. The
controller deletes the cluster once. Without xdist (or with ``-n 0``) the process is its own
controller.
- ``botkube_cluster`` (session): the cluster (name, kubeconfig, context, created-by-us).
- ``botkube_receiver_endpoint`` (session): the webhook receiver and the URL pods use.
- ``botkube_receiver`` (function): the receiver, reset before and after the test.
- ``botkube_scenario_name`` / ``botkube_scenario`` (function): from the
  ``botkube_scenario("name")`` marker, else one test per selected scenario (the plugin's
  ``pytest_generate_tests``: every scenario in scenarios/, or ``--botkube-scenario`` /
  ``--botkube-values``).
- ``botkube_reproduce`` (function): ``botkube_reproduce(scenario)`` runs the whole live
  sequence (reproduce/pipeline.py, the one ``botkube-repro run`` uses) and returns the
  reproduction: ``assert done.ok, done.explain()`` (tests/e2e does exactly that).
- ``botkube_release`` (function): the scenario's release in its own namespace, installed and
  started; uninstalled (and its namespace deleted) at teardown, even after a failure.
- ``botkube_workload`` (function): the Deployment + HPA, created after the plugin started.
- ``botkube_health`` (function): reads /healthz and the agent log into a verdict.
"""

from __future__ import annotations

import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_botkube.plugin.options import SettingError, Settings, add_options, settings_from_config
from pytest_botkube.plugin.xdist import WORKERINPUT_KEY, XdistController

if TYPE_CHECKING:
    from pytest_botkube.live.environment import LiveEnvironment
    from pytest_botkube.live.kind import Cluster
    from pytest_botkube.live.receiver import WebhookReceiver
    from pytest_botkube.live.release import Release
    from pytest_botkube.live.workload import Workload
    from pytest_botkube.plugin.cluster import ClusterHolder
    from pytest_botkube.plugin.release import Reproducer
    from pytest_botkube.reproduce.judge import Health
    from pytest_botkube.reproduce.pipeline import ReceiverEndpoint
    from pytest_botkube.scenario import Scenario

MARKERS = (
    "botkube_scenario(name): run this test against the named scenario from scenarios/ "
    "(the botkube_scenario fixture loads it)",
    "botkube_e2e: needs Docker, kind and helm (a live cluster); skipped when they are missing; "
    "added to every test that uses a live botkube fixture",
)

SETTINGS_KEY = pytest.StashKey[Settings]()
SESSION_KEY = pytest.StashKey["ClusterSession"]()
#: Shown for each e2e test in the terminal summary (the JUnit XML carries all botkube_*).
SUMMARY_PROPERTIES = (
    "botkube_version",
    "botkube_plugin_status",
    "botkube_plugin_restarts",
    "botkube_plugin_exit_statuses",
    "botkube_panic",
    "botkube_happened",
    "botkube_delivered",
    "botkube_model_disagreements",
    "botkube_known_issue",
)

#: Fixtures that need a live cluster: a test using any of them is marked ``botkube_e2e``, so
#: ``-m "not botkube_e2e"`` deselects every live test, wherever it is.
LIVE_FIXTURES = frozenset(
    {
        "botkube_environment",
        "botkube_cluster",
        "botkube_receiver_endpoint",
        "botkube_receiver",
        "botkube_reproduce",
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
        settings = config.stash[SETTINGS_KEY] = settings_from_config(config)
    except SettingError as exc:
        raise pytest.UsageError(str(exc)) from None
    if settings.scenario or settings.values is not None:  # else nothing to load (--help)
        from pytest_botkube.plugin.matrix import check_selection

        check_selection(config, settings)
    session = ClusterSession(config, settings)
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "botkube-cluster-session")
    if session.worker is None and config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistController(session), "botkube-xdist-controller")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The scenario matrix (``--botkube-scenario``, ``--botkube-values``) for any test that uses
    ``botkube_scenario`` without naming one: this repository's tests/e2e and a user's own; and
    the ``botkube_scenario`` marker's scenario loaded at collection (an error, not a skip)."""
    if "botkube_scenario_name" in metafunc.fixturenames or metafunc.definition.get_closest_marker(
        "botkube_scenario"
    ):
        from pytest_botkube.plugin.matrix import parametrize

        parametrize(metafunc, metafunc.config.stash[SETTINGS_KEY])


@pytest.hookimpl(tryfirst=True)  # before -m/-k deselect: `-m "not botkube_e2e"` must see it
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if LIVE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker("botkube_e2e")


def _work_dir(config: pytest.Config) -> Path:
    """A fresh directory under pytest's basetemp (kind's kubeconfig, the xdist handoff)."""
    # pytest keeps its TempPathFactory here and offers no public accessor outside fixtures;
    # pytest-xdist reads the same attribute to give each worker a basetemp below it.
    factory: pytest.TempPathFactory | None = getattr(config, "_tmp_path_factory", None)
    if factory is not None:
        return factory.mktemp("botkube-cluster")
    return Path(tempfile.mkdtemp(prefix="pytest-botkube-"))


class ClusterSession:
    """The session's side of the cluster (a plugin object): who owns it, its end, the summary.

    In the owning process (a plain run or xdist's controller) it keeps a
    :class:`~pytest_botkube.plugin.cluster.ClusterHolder`, created on first need; in a worker it
    knows where the controller's handoff is.
    """

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        # pytest-xdist sets config.workerinput in workers only (PYTEST_XDIST_WORKER too).
        workerinput: dict[str, Any] = getattr(config, "workerinput", None) or {}
        self.worker: dict[str, str] | None = workerinput.get(WORKERINPUT_KEY)
        self.worker_id: str | None = workerinput.get("workerid")
        self._holder: ClusterHolder | None = None
        self.outcome: str | None = None  # the cluster deleted/kept line
        self.tool_lines: list[str] = []  # kind/helm versions, warnings about them
        self.live_reports: dict[str, str] = {}  # nodeid -> outcome of each live test
        self.runs: list[tuple[str, str, list[tuple[str, str]]]] = []

    @property
    def holder(self) -> ClusterHolder:
        if self._holder is None:
            from pytest_botkube.plugin.cluster import ClusterHolder
            from pytest_botkube.plugin.matrix import selected_versions

            invocation_dir = Path(self.config.invocation_params.dir)
            self._holder = ClusterHolder(
                self.settings,
                lambda: _work_dir(self.config),
                lambda: selected_versions(self.settings, invocation_dir),
            )
        return self._holder

    @pytest.hookimpl(tryfirst=True)  # before xdist's worker reports the collection
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self.worker is None or self.worker_id is None:
            return
        from pytest_botkube.plugin.xdist import selected_file, write_json

        live = sum(1 for item in session.items if item.get_closest_marker("botkube_e2e"))
        write_json(selected_file(Path(self.worker["dir"]), self.worker_id), {"live": live})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if "botkube_e2e" in report.keywords and (report.when == "call" or not report.passed):
            reason = ""
            if report.skipped and isinstance(report.longrepr, tuple):
                reason = f" ({report.longrepr[2]})"
            self.live_reports[report.nodeid] = f"{report.outcome}{reason}"
        if report.when != "call":
            return
        props = [(str(k), str(v)) for k, v in report.user_properties]
        if any(name.startswith("botkube_") for name, _ in props):
            self.runs.append((report.nodeid, report.outcome, props))

    # After pytest's own sessionfinish has torn the fixtures down (releases uninstalled, also
    # after Ctrl-C), and before the terminal summary is written.
    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self._holder is not None:
            self.tool_lines = self._holder.tool_lines()
            self.outcome = self._holder.stop(failed=session.testsfailed > 0)
        summary = self.settings.step_summary
        if summary is not None and self.worker is None and (self.runs or self.live_reports):
            self._write_step_summary(summary)

    def _write_step_summary(self, path: Path) -> None:
        """Append the job summary (``--botkube-step-summary``): pure rendering, report/."""
        from pytest_botkube.report.records import RECORD_PROPERTY, record_from_json
        from pytest_botkube.report.render import step_summary_markdown

        records = [record_from_json(dict(props)[RECORD_PROPERTY]) for _, _, props in self.runs
                   if RECORD_PROPERTY in dict(props)]  # fmt: skip
        notes = [*self.tool_lines, *([self.outcome] if self.outcome else [])]
        text = step_summary_markdown(records, self.live_reports, notes)
        try:
            with path.open("a", encoding="utf-8") as out:
                out.write(text)
        except OSError as exc:
            raise pytest.UsageError(f"--botkube-step-summary {path}: {exc}") from None

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.runs and self.outcome is None:
            return
        terminalreporter.write_sep("=", "botkube")
        for nodeid, outcome, props in self.runs:
            terminalreporter.write_line(f"{nodeid} {outcome.upper()}")
            values = dict(props)
            shown = [
                f"{name.removeprefix('botkube_')}={values[name]}"
                for name in SUMMARY_PROPERTIES
                if values.get(name)
            ]
            terminalreporter.write_line("    " + " ".join(shown))
        for line in self.tool_lines:
            terminalreporter.write_line(f"botkube: {line}")
        if self.outcome is not None:
            terminalreporter.write_line(f"botkube: {self.outcome}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed and report.when in ("setup", "call"):
        names = getattr(item, "fixturenames", ())
        if "botkube_release" in names:
            from pytest_botkube.plugin import release as fixtures

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
    botkube_settings: Settings, pytestconfig: pytest.Config
) -> Iterator[LiveEnvironment]:
    from pytest_botkube.plugin.xdist import attached_environment

    session = pytestconfig.stash[SESSION_KEY]
    if session.worker is not None:
        yield from attached_environment(botkube_settings, session.worker)
    else:
        yield session.holder.environment()  # deleted in pytest_sessionfinish, not here


@pytest.fixture(scope="session")
def botkube_cluster(botkube_environment: LiveEnvironment) -> Cluster:
    return botkube_environment.cluster


@pytest.fixture(scope="session")
def botkube_receiver_endpoint(
    botkube_settings: Settings, botkube_environment: LiveEnvironment
) -> Iterator[ReceiverEndpoint]:
    from pytest_botkube.plugin.cluster import receiver_endpoint

    yield from receiver_endpoint(botkube_settings, botkube_environment)


@pytest.fixture
def botkube_receiver(botkube_receiver_endpoint: ReceiverEndpoint) -> Iterator[WebhookReceiver]:
    from pytest_botkube.plugin.cluster import reset_receiver

    yield from reset_receiver(botkube_receiver_endpoint)


@pytest.fixture
def botkube_scenario_name(request: pytest.FixtureRequest) -> str:
    marker = request.node.get_closest_marker("botkube_scenario")
    if marker is None:
        pytest.fail(
            "botkube_scenario needs @pytest.mark.botkube_scenario('name') or a parametrized "
            "botkube_scenario_name",
            pytrace=False,
        )
    from pytest_botkube.plugin.matrix import scenario_of_marker

    return scenario_of_marker(marker)  # checked at collection already (matrix.check_marker)


@pytest.fixture
def botkube_scenario(botkube_scenario_name: str, botkube_settings: Settings) -> Scenario:
    from pytest_botkube.plugin.matrix import load_scenario_param

    return load_scenario_param(botkube_scenario_name, botkube_settings)


@pytest.fixture
def botkube_reproduce(
    request: pytest.FixtureRequest,
    botkube_settings: Settings,
    botkube_environment: LiveEnvironment,
    botkube_receiver_endpoint: ReceiverEndpoint,
    botkube_receiver: WebhookReceiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> Reproducer:
    from pytest_botkube.plugin.release import Reproducer

    return Reproducer(
        request, botkube_settings, botkube_environment, botkube_receiver_endpoint, tmp_path_factory
    )


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
    from pytest_botkube.plugin import release as fixtures

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
    from pytest_botkube.plugin import release as fixtures

    return fixtures.workload(botkube_release)


@pytest.fixture
def botkube_health(botkube_release: Release) -> Health:
    from pytest_botkube.reproduce.judge import Health

    return Health(botkube_release)
