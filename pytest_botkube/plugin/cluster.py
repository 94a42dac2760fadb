"""The session's cluster and receiver in the process that owns them (a plain run, or
pytest-xdist's controller). Imported inside the fixtures, so that neither ``pytest --help`` nor
a run without BotKube fixtures loads the cluster layer or the kubernetes client.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pytest_botkube.errors import BadInput, EnvironmentUnavailable
from pytest_botkube.live import environment as live
from pytest_botkube.live.receiver import WebhookReceiver
from pytest_botkube.live.tools import CommandFailed
from pytest_botkube.plugin.outcomes import cannot_run, fail
from pytest_botkube.reproduce import pipeline
from pytest_botkube.reproduce.pipeline import ReceiverEndpoint
from pytest_botkube.settings import Settings


def live_config(settings: Settings, work_dir: Path) -> live.LiveConfig:
    return pipeline.live_config(settings, work_dir)


class ClusterHolder:
    """The session's cluster in the process that owns it: a plain run, or pytest-xdist's
    controller, which brings it up once for every worker. Started on first need, deleted (per
    keep policy, only if created here) by :meth:`stop` at the end of the session.

    A problem is kept, not raised: every test that needs the cluster sees the same one
    (skip, or failure under ``--botkube-require-cluster``), and workers get it in the handoff.
    """

    def __init__(
        self,
        settings: Settings,
        work_dir: Callable[[], Path],
        versions: Callable[[], list[str]] = list,
    ) -> None:
        self.settings = settings
        self._work_dir_factory = work_dir
        self.versions = versions  # the BotKube versions the session installs (the preflight's)
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
            charts = pipeline.chart_fetcher(self.settings, os.environ)
            self.env = live.start(self.config(), dict(os.environ), before_cluster=lambda: (
                pipeline.preflight(self.settings, self.versions(), charts,
                                   environ=os.environ)))  # fmt: skip
        except EnvironmentUnavailable as exc:
            self.problem = str(exc)
            return
        except (BadInput, CommandFailed) as exc:
            self.error = str(exc)  # kind or docker answered, but wrongly: a failure, not a skip
            return
        try:
            pipeline.load_image(self.settings, self.env)  # the one image step (run's too)
        except BadInput as exc:
            self.error = str(exc)

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

    def tool_lines(self) -> list[str]:
        """For the terminal summary: the tools' versions and any warning about them."""
        if self.env is None:
            return []
        tools = self.env.tools
        kind = f"kind {tools.kind_version}, " if tools.kind is not None else ""
        return [f"tools: {kind}helm {tools.helm_version}",
                *(f"warning: {note}" for note in self.env.notes)]  # fmt: skip

    def stop(self, failed: bool) -> str | None:
        """Delete (or keep) the cluster; the line for the terminal summary, None if unused."""
        env, self.env = self.env, None
        return None if env is None else env.stop(failed)


def raise_problem(settings: Settings, problem: str | None, error: str | None) -> None:
    if problem is not None:
        cannot_run(settings, problem)
    if error is not None:
        fail(error)


def receiver_endpoint(settings: Settings, env: live.LiveEnvironment) -> Iterator[ReceiverEndpoint]:
    with contextlib.ExitStack() as stack:
        try:
            endpoint = stack.enter_context(pipeline.open_receiver(settings, env))
        except (BadInput, EnvironmentUnavailable, CommandFailed) as exc:
            fail(f"webhook receiver: {exc}")
        yield endpoint


def reset_receiver(endpoint: ReceiverEndpoint) -> Iterator[WebhookReceiver]:
    endpoint.receiver.reset()
    try:
        yield endpoint.receiver
    finally:
        endpoint.receiver.reset()
