"""pytest-xdist: the controller brings the cluster up once and hands it to the workers.

The controller's ``workerinput`` names the cluster, its kubeconfig and a directory where it
leaves the handoff (tools, context, or why the cluster cannot run). Workers attach without
running kind and never delete. Only stdlib and pytest at import time: the controller plugin is
registered in ``pytest_configure``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from pytest_botkube.plugin.outcomes import cannot_run, fail
from pytest_botkube.settings import Settings

if TYPE_CHECKING:
    from pytest_botkube.live.environment import LiveEnvironment
    from pytest_botkube.plugin.cluster import ClusterHolder

#: What pytest-xdist's controller puts in each worker's ``workerinput``.
WORKERINPUT_KEY = "botkube_cluster"
HANDOFF_FILE = "cluster.json"


def selected_file(directory: Path, worker_id: str) -> Path:
    """Where a worker says how many live tests it collected (the controller reads it)."""
    return directory / f"selected-{worker_id}.json"


def write_json(path: Path, data: Any) -> None:
    """Written whole or not at all: another process may read it at any moment."""
    from pytest_botkube.live.download import private_sibling

    partial = private_sibling(path)
    partial.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
    partial.replace(path)


def attached_environment(
    settings: Settings, workerinput: Mapping[str, str]
) -> Iterator[LiveEnvironment]:
    """A pytest-xdist worker's view of the controller's cluster: the cluster name and
    kubeconfig from ``workerinput``, its state and tools from the controller's handoff file in
    the directory ``workerinput`` names; attach ("reuse" semantics), never delete."""
    from pytest_botkube.errors import EnvironmentUnavailable
    from pytest_botkube.live import environment as live
    from pytest_botkube.plugin.cluster import live_config, raise_problem

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


class _Owner(Protocol):
    """The controller's session (``plugin.ClusterSession``): what the handoff needs of it."""

    config: pytest.Config
    settings: Settings

    @property
    def holder(self) -> ClusterHolder: ...


class XdistController:
    """pytest-xdist's controller: the cluster once, for every worker (registered only when
    xdist is installed, so its hooks are known)."""

    def __init__(self, session: _Owner) -> None:
        self.session = session
        self.directory: Path | None = None
        self.decided = False

    def pytest_configure_node(self, node: Any) -> None:
        if self.directory is None:
            self.directory = self.session.holder.work_dir
        from pytest_botkube.live.environment import planned_kubeconfig
        from pytest_botkube.plugin.cluster import live_config

        settings = self.session.settings
        config = live_config(settings, self.directory)
        node.workerinput[WORKERINPUT_KEY] = {
            "dir": str(self.directory),
            "cluster_name": config.cluster_name,
            "kubeconfig": str(planned_kubeconfig(config, dict(os.environ))),
        }

    def pytest_xdist_node_collection_finished(self, node: Any, ids: Sequence[str]) -> None:
        """Runs before the scheduler hands any test out: the handoff exists before a worker
        can need it. Every worker collects the same items, so the first answer decides."""
        if self.decided or self.directory is None:
            return
        if self.session.config.getoption("setupplan", False):
            return  # --setup-plan runs no fixture: no cluster either
        path = selected_file(self.directory, str(node.workerinput["workerid"]))
        try:
            live = int(json.loads(path.read_text(encoding="utf-8"))["live"])
        except (OSError, ValueError, KeyError):
            live = 0
        self.decided = True
        if not live:
            return
        reporter = self.session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(f"botkube: preparing the cluster for {live} live tests")
        record = self.session.holder.handoff_record()
        write_json(self.directory / HANDOFF_FILE, record)
        if reporter is not None:
            cluster = record["cluster"]
            reason = record["problem"] or record["error"]
            reporter.write_line(
                f"botkube: cluster {cluster['name']!r} ready for the workers"
                if cluster is not None
                else f"botkube: no cluster: {reason}"
            )
