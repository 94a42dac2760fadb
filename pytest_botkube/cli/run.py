"""``botkube-repro run``: reproduce a scenario or a user's values file on a live cluster.

The live-run options are the pytest suite's (``settings.OPTIONS``: same defaults, same
environment variables, same parsing, one typed ``Settings``) without the ``--botkube-`` prefix, e.g.
``--cluster-mode reuse --keep on-failure --quiet-window 10``. Exit status: 0 every run matched
its expectations (a values file: every run completed), 1 a mismatch, 2 bad input, 3 the
environment cannot run it (no Docker, kind, helm, cluster, or no chart source answering).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, cast

from pytest_botkube.cli._progress import StatusLine
from pytest_botkube.cli.values import add_target_argument, resolve_target
from pytest_botkube.errors import BadInput, BotkubeReproError, ExitCode
from pytest_botkube.report.bundle import write_bundle
from pytest_botkube.report.records import RunRecord
from pytest_botkube.report.render import verdict_table_text
from pytest_botkube.reproduce import pipeline
from pytest_botkube.reproduce.delivery_diff import DeliveryDiff
from pytest_botkube.reproduce.plan import PlannedRun, plan_runs
from pytest_botkube.settings import (
    BY_NAME,
    OPTIONS,
    Option,
    SettingError,
    Settings,
    build_settings,
    cli_flag,
    run_spelling,
)

if TYPE_CHECKING:  # the cluster layer is imported when a run starts, not with the CLI
    from pytest_botkube.live.environment import LiveEnvironment
    from pytest_botkube.live.receiver import WebhookReceiver
    from pytest_botkube.live.release import Release
    from pytest_botkube.reproduce.live_plan import LivePlan

HELP = "reproduce a scenario or a values file on a live kind cluster and print the verdict"

EXIT_CODES = {
    0: "every run matched its expectations (a values file: every run completed)",
    1: "a mismatch: the run did not do what the scenario (or the model) expects",
    3: "the environment cannot run it (no Docker, kind, helm, cluster, or chart network)",
}

#: The pytest suite's options that a run does not offer: scenario and values are positional,
#: artifacts go to --report, require-cluster is the exit status 3. Every other one is a run's.
PYTEST_ONLY = frozenset({"scenario", "values", "version", "artifacts", "require_cluster"})
LIVE_OPTIONS: tuple[Option, ...] = tuple(o for o in OPTIONS if o.name not in PYTEST_ONLY)


def _metavar(option: Option) -> str:
    if option.choices:
        return "|".join(option.choices)
    return option.metavar or option.name.upper()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_argument(parser)
    # One value per flag (repeat it, or comma-separate): a list-taking flag (nargs="+") would
    # swallow the positional file after it, as in `run --botkube-version v1.13.0 values.yaml`.
    parser.add_argument(
        "--botkube-version",
        action="append",
        metavar="V[,V...]",
        help="BotKube version(s) to run a values file on (the first is the main run; more are "
        "like --compare); repeat or comma-separate",
    )
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="V[,V...]",
        help="also run the same values on these versions, on the same cluster, one after "
        "another; repeat or comma-separate",
    )
    parser.add_argument(
        "--with-workaround",
        action="store_true",
        help="also run the values with a top-level config.event.types added to every kubernetes "
        "source that lacks one (issue #1474's workaround), on each version that panics",
    )
    parser.add_argument(
        "--report",
        type=Path,
        metavar="DIR",
        help="write DIR/report.md (ready for a GitHub issue) and the redacted raw artifacts; "
        "when the run cannot happen, the prediction, the values and the environment problem",
    )
    parser.add_argument(
        "--plan",
        action="store_true",
        help="print what the run would do (every kind/docker/helm argv, chart sources and "
        "sha256, images, values files, waits and budgets) and exit 0, touching nothing",
    )
    group = parser.add_argument_group(
        "live run", "the pytest suite's --botkube-* options, same defaults and env variables"
    )
    for option in LIVE_OPTIONS:
        env_note = f" [env {option.env}]" if option.env else ""
        if option.kind == "bool":
            group.add_argument(
                cli_flag(option), dest=option.name, action="store_const", const=True,
                help=f"{option.help}{env_note}",
            )  # fmt: skip
        else:
            group.add_argument(
                cli_flag(option), dest=option.name, metavar=_metavar(option),
                help=f"{option.described}{env_note}",
            )  # fmt: skip


def live_settings(args: argparse.Namespace, environ: dict[str, str]) -> Settings:
    """Each live option from the command line, else its environment variable, else its
    default, converted exactly as the pytest plugin converts it (paths relative to the current
    directory)."""
    try:
        settings = build_settings(
            command_line={o.name: getattr(args, o.name) for o in LIVE_OPTIONS},
            environ=environ,
            spell=cli_flag,
            invocation_dir=Path.cwd(),
            options=LIVE_OPTIONS,
        )
    except SettingError as exc:
        raise BadInput(str(exc)) from None
    return settings


def check_local_chart(
    settings: Settings, plans: Sequence[PlannedRun], environ: Mapping[str, str]
) -> None:
    """A ``--chart`` file or directory is one BotKube version: every run must be on it. Said
    before any cluster exists (BadInput naming each run that cannot use it)."""
    from pytest_botkube.live.chart import ChartVersionMismatch
    from pytest_botkube.reproduce.pipeline import chart_fetcher

    where = cli_flag(BY_NAME["chart"])
    try:
        charts = chart_fetcher(settings, environ)
    except BadInput as exc:
        raise BadInput(str(exc).replace(BY_NAME["chart"].flag, where, 1)) from None
    if charts.spec.kind == "sources" or "://" in charts.spec.location:
        return  # fetched by URL later; checked once it is here
    problems = []
    for plan in plans:
        try:
            charts.get(plan.scenario.botkube_version)
        except ChartVersionMismatch as exc:
            problems.append(f"{plan.name}: {exc}")
    if problems:
        raise BadInput(f"{where}: " + "; ".join(problems))


def _command_line(args: argparse.Namespace) -> list[str]:
    """The arguments after ``run`` as the CLI parsed them (``cli.main`` keeps them on
    ``args.argv``; a namespace built otherwise has only its target)."""
    parsed: tuple[str, ...] = getattr(args, "argv", ())
    if "run" in parsed:
        return list(parsed[parsed.index("run") + 1 :])
    return [args.target]


def _versions(given: Sequence[str] | None) -> list[str]:
    return [part.strip() for item in given or () for part in item.split(",") if part.strip()]


LIVE_NAMES = frozenset(o.name for o in LIVE_OPTIONS)


class _Respelled(io.TextIOBase):
    """An output stream whose text names the flags as ``run`` spells them (``--kind``), though
    the live layer it comes from names the pytest spelling (``--botkube-kind``)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(run_spelling(text, LIVE_NAMES))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def writable(self) -> bool:
        return True


def run(args: argparse.Namespace) -> int:
    """Every option checked (live settings, versions, target, chart, report directory) before
    anything touches Docker, kind, helm or a cluster; messages in ``run``'s spelling."""
    try:
        return _run(args)
    except BotkubeReproError as exc:
        exc.args = (run_spelling(str(exc), LIVE_NAMES),)
        raise


def _run(args: argparse.Namespace) -> int:
    environ = dict(os.environ)
    settings = live_settings(args, environ)
    versions = _versions(args.botkube_version)
    scenario = resolve_target(args.target, versions[0] if versions else None)
    plans = plan_runs(scenario, [*versions[1:], *_versions(args.compare)], args.with_workaround)
    check_local_chart(settings, plans, environ)
    from pytest_botkube.reproduce import live_plan

    planned = live_plan.build(plans, settings, environ, collect_artifacts=args.report is not None)
    if args.plan:
        sys.stdout.write(run_spelling(planned.render(), LIVE_NAMES))
        return int(ExitCode.OK)
    if args.report is not None:  # before the cluster: a run must not end unable to report
        try:
            args.report.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BadInput(f"--report {args.report}: cannot create the directory: {exc}") from None
    outcomes = execute(
        plans,
        settings,
        environ=environ,
        report_dir=args.report,
        command_line=_command_line(args),
        planned=planned,
    )
    return int(ExitCode.OK if all(o.ok for o in outcomes) else ExitCode.PROBLEM)


# -- the whole command: one cluster, one receiver, the planned runs one after the other -------


@dataclass
class RunOutcome:
    """One planned run: the pipeline's reproduction, with the command's additions."""

    plan: PlannedRun
    reproduction: pipeline.Reproduction

    @property
    def record(self) -> RunRecord:
        return self.reproduction.record

    @property
    def problems(self) -> list[str]:
        return self.reproduction.problems

    @property
    def diff(self) -> DeliveryDiff | None:
        return self.reproduction.diff

    @property
    def ok(self) -> bool:
        return self.reproduction.ok


class Runner:
    """The planned runs on one live environment and one receiver, one after the other, each
    through :func:`pipeline.reproduce`; the cluster is stopped per the keep policy after."""

    def __init__(
        self,
        settings: Settings,
        progress: StatusLine,
        *,
        environ: Mapping[str, str],
        work_dir: Path,
        collect_artifacts: bool = False,
        release_names: Sequence[str] = (),
    ) -> None:
        self.settings = settings
        self.release_names = list(release_names)  # the plan's; empty: drawn per release
        self.outcomes: list[RunOutcome] = []  # so far (kept when the environment gives out)
        self.progress = progress
        self.environ = dict(environ)
        self.work_dir = work_dir
        self.collect_artifacts = collect_artifacts
        self.cluster_message = ""
        self.charts = pipeline.chart_fetcher(settings, self.environ)  # BadInput before a cluster

    def run_all(self, plans: Sequence[PlannedRun]) -> list[RunOutcome]:
        from pytest_botkube.live import environment as live

        config = pipeline.live_config(self.settings, self.work_dir)
        versions = [plan.scenario.botkube_version for plan in plans]
        env = live.start(config, self.environ, phases=self.progress, before_cluster=lambda: (
            pipeline.preflight(self.settings, versions, self.charts, self.progress,
                               self.environ)))  # fmt: skip
        outcomes = self.outcomes
        failed = True
        try:
            pipeline.load_image(self.settings, env, self.progress)
            with pipeline.open_receiver(self.settings, env, self.progress) as endpoint:
                for index, plan in enumerate(plans, 1):
                    self.progress.section(
                        f"run {index}/{len(plans)}: {plan.name} on BotKube "
                        f"{plan.scenario.botkube_version}, judged by {plan.judged_by}"
                    )
                    if plan.note:
                        self.progress.say(f"  {plan.note}")
                    name = self.release_names[index - 1] if self.release_names else None
                    outcomes.append(self.run_one(plan, env, endpoint, name))
            failed = not all(o.ok for o in outcomes)
        finally:
            with self.progress.phase("cluster stop") as result:
                self.cluster_message = result.text = env.stop(failed)
        return outcomes

    def run_one(
        self,
        plan: PlannedRun,
        env: LiveEnvironment,
        endpoint: pipeline.ReceiverEndpoint,
        release_name: str | None = None,
    ) -> RunOutcome:
        done = pipeline.reproduce(
            plan.scenario,
            settings=self.settings,
            env=env,
            endpoint=endpoint,
            workdir=self.work_dir / "releases",
            charts=self.charts,
            progress=self.progress,
            by_model=plan.by_model,
            collect=self._artifacts if self.collect_artifacts else None,
            release_name=release_name,
        )
        # The command's additions: every problem, the judge and the plan's note.
        extra = (
            *done.problems,
            f"run: judged by {plan.judged_by}",
            *([f"run: {plan.note}"] if plan.note else []),
        )
        record = done.record
        done.record = replace(record, name=plan.name, diagnosis=(*record.diagnosis, *extra))
        return RunOutcome(plan, done)

    def _artifacts(
        self, release: Release, receiver: WebhookReceiver, _: pipeline.Reproduction
    ) -> tuple[Path, ...]:
        from pytest_botkube.live.artifacts import collect

        directory = self.work_dir / "artifacts" / release.namespace
        with self.progress.phase("artifacts") as result:
            saved = collect(release, directory, receiver.summary())
            result.text = f"{len(saved.files)} files"
        return tuple(saved.files)  # files: the bundle files them under the run's own name


# -- what the command prints and writes -----------------------------------------------------------


def render_outcomes(outcomes: Sequence[RunOutcome]) -> str:
    """The end of a run: the verdict table, then per run its judge, problems and delivery diff."""
    records = [o.record for o in outcomes]
    parts = ["", verdict_table_text(records).rstrip("\n")]
    for outcome in outcomes:
        record = outcome.record
        mark = "ok" if outcome.ok else "MISMATCH"
        parts.append("")
        parts.append(
            f"== {record.name} (BotKube {record.botkube_version}): {mark}, judged by "
            f"{outcome.plan.judged_by}"
        )
        parts += [f"   problem: {p}" for p in outcome.problems]
        parts += [f"   model disagrees: {d}" for d in outcome.reproduction.model_disagreements()]
        if outcome.diff is not None and record.diagnosis:  # the agent log's health sentence
            parts.append(f"   diagnosis: {record.diagnosis[0]}")
        if record.known_issue:
            parts.append(f"   upstream: {record.known_issue} {record.known_issue_title}".rstrip())
        if outcome.diff is not None and outcome.diff.rows:
            parts.append("   delivery diff:")
            parts += [f"     {line}" for line in outcome.diff.render_text().splitlines()]
    bad = [o.record.name for o in outcomes if not o.ok]
    parts.append("")
    if bad:
        parts.append(f"result: MISMATCH in {', '.join(bad)} ({len(bad)}/{len(outcomes)} runs)")
    else:
        parts.append(f"result: all {len(outcomes)} runs matched their expectations")
    from pytest_botkube.redact import redact_text

    return redact_text("\n".join(parts) + "\n")


def execute(
    plans: Sequence[PlannedRun],
    settings: Settings,
    *,
    environ: Mapping[str, str],
    report_dir: Path | None = None,
    err: TextIO | None = None,
    out: TextIO | None = None,
    live: bool | None = None,
    command_line: Sequence[str] = (),
    planned: LivePlan | None = None,
) -> list[RunOutcome]:
    """Run ``plans`` on one cluster, print the verdict, write the bundle; the outcomes.
    ``planned`` (``live_plan.build``): its work directory and release names are used, and its
    rendering goes into the bundle as ``plan.txt``. When the environment cannot run them, the
    bundle still gets the prediction and the values of every run not done, and the problem."""
    from pytest_botkube.errors import EnvironmentUnavailable

    err = cast(TextIO, _Respelled(err if err is not None else sys.stderr))
    out = cast(TextIO, _Respelled(out if out is not None else sys.stdout))
    progress = StatusLine(err, live=live)
    if planned is not None:
        work_dir = planned.make_work_dir()
    else:
        work_dir = Path(tempfile.mkdtemp(prefix="botkube-repro-"))
    outcomes: list[RunOutcome] = []
    keep_work = False
    shared: list[Path] = []
    if planned is not None:
        shared.append(work_dir / "plan.txt")
        shared[0].write_text(run_spelling(planned.render(), LIVE_NAMES), encoding="utf-8")
    try:
        names = [r.name for r in planned.releases] if planned is not None else []
        runner = Runner(settings, progress, environ=environ, work_dir=work_dir,
                        collect_artifacts=report_dir is not None,
                        release_names=names)  # fmt: skip
        if command_line:
            progress.say("botkube-repro run " + " ".join(command_line))
        try:
            outcomes = runner.run_all(plans)
        except KeyboardInterrupt:
            progress.say("interrupted: cleaned up (releases uninstalled, cluster per --keep)")
            raise
        except EnvironmentUnavailable as exc:
            if report_dir is not None and planned is not None:
                said = (
                    f"the run cannot happen; report of what it would do: {report_dir / 'report.md'}"
                )
                error = f"botkube-repro run: error: {run_spelling(str(exc), LIVE_NAMES)}"
                report = _write_report(report_dir, work_dir, progress, shared, [
                    *(o.record for o in runner.outcomes),
                    *(r.not_run_record(run_spelling(str(exc), LIVE_NAMES),
                                       planned.config.node_image)
                      for r in planned.releases[len(runner.outcomes):]),
                ], tail=(said, error))  # fmt: skip
                progress.say(said)
            raise
        keep_work = "kept" in runner.cluster_message
        out.write(render_outcomes(outcomes))
        out.flush()
        if report_dir is not None:
            records = [o.record for o in outcomes]
            report = _write_report(report_dir, work_dir, progress, shared, records)
            out.write(f"report: {report}\n")
        if keep_work:
            out.write(f"kubeconfig of the kept cluster: {work_dir}\n")
    finally:
        progress.close()
        if not keep_work:
            shutil.rmtree(work_dir, ignore_errors=True)
    return outcomes


def _write_report(
    report_dir: Path,
    work_dir: Path,
    progress: StatusLine,
    shared: Sequence[Path],
    records: Sequence[RunRecord],
    tail: Sequence[str] = (),
) -> Path:
    """The bundle: the records, the progress transcript (``run.log``, then the ``tail`` lines
    the terminal gets after it, e.g. the error that stops the run) and ``shared``."""
    transcript = work_dir / "run.log"
    transcript.write_text("\n".join([*progress.lines, *tail]) + "\n", encoding="utf-8")
    return write_bundle(report_dir, records, [transcript, *shared])
