"""The pure parts of ``botkube-repro run``: the workaround transform, the run plan, progress."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time

import pytest

from pytest_botkube.cli._progress import StatusLine as Progress
from pytest_botkube.errors import BadInput
from pytest_botkube.model.config import CHART_DEFAULT_CONTEXT as CONTEXT
from pytest_botkube.model.semantics import analyze
from pytest_botkube.reproduce.pipeline import install_failure_hint, plugin_download_failure
from pytest_botkube.reproduce.plan import plan_runs, workaround_values
from pytest_botkube.scenario import adhoc_scenario, find_scenario, freeze, thaw


def _source(config: dict[str, object]) -> dict[str, object]:
    return {"botkube/kubernetes": {"enabled": True, "context": CONTEXT, "config": config}}


def test_workaround_adds_top_level_types_only_where_missing_and_stops_the_panic():
    values = {
        "sources": {
            "bad": _source({"resources": [{"type": "v1/pods", "event": {"types": ["error"]}}]}),
            "null": _source({"event": None, "resources": [{"type": "v1/pods"}]}),
            "fine": _source({"event": {"types": ["create"]}, "resources": [{"type": "v1/pods"}]}),
            "recs": _source({"recommendations": {"pod": {"noLatestImageTag": True}}}),
        }
    }
    frozen = freeze(values)
    patched, added = workaround_values(frozen)
    assert added == [
        "sources.bad.botkube/kubernetes.config.event.types",
        "sources.null.botkube/kubernetes.config.event.types",
    ]
    sources = patched["sources"]
    assert sources["bad"]["botkube/kubernetes"]["config"]["event"] == {
        "types": ["create", "delete", "error"]
    }
    assert sources["null"]["botkube/kubernetes"]["config"]["event"] == {
        "types": ["create", "delete", "error"]
    }
    assert sources["fine"] == values["sources"]["fine"]
    assert "event" not in sources["recs"]["botkube/kubernetes"]["config"]
    assert thaw(frozen) == values  # the caller's values are untouched
    assert analyze(values, "v1.13.0").verdict == "crash"
    assert analyze(patched, "v1.13.0").verdict == "healthy"
    assert workaround_values(patched)[1] == []  # idempotent


def test_plan_uses_a_shipped_scenario_with_the_same_values_else_the_model():
    crash = find_scenario("crash-v1.13.0")
    plans = plan_runs(crash, ["1.14.0", "v1.13.0"], with_workaround=True)
    assert [p.name for p in plans] == [
        "crash-v1.13.0",
        "crash-v1.13.0@v1.14.0",
        "crash-v1.13.0+workaround",
    ]
    own, fixed, workaround = plans
    assert own.scenario is crash
    assert not own.by_model
    assert fixed.scenario.botkube_version == "v1.14.0"
    assert fixed.scenario.expect == find_scenario("fixed-v1.14.0").expect
    assert fixed.judged_by.startswith("scenario fixed-v1.14.0")
    assert workaround.by_model
    assert workaround.scenario.expect is None
    assert workaround.scenario.botkube_version == "v1.13.0"
    assert "config.event.types" in workaround.note


def test_plan_of_a_values_file_is_ad_hoc_for_every_version(tmp_path):
    values = tmp_path / "mine.yaml"
    values.write_text(
        "sources:\n  s:\n    botkube/kubernetes:\n      enabled: true\n"
        "      config:\n        resources:\n          - type: v1/pods\n",
        encoding="utf-8",
    )
    plans = plan_runs(adhoc_scenario(values, "v1.13.0"), ["v1.14.0"], with_workaround=True)
    assert [(p.name, p.scenario.botkube_version) for p in plans] == [
        ("adhoc-mine", "v1.13.0"),
        ("adhoc-mine@v1.14.0", "v1.14.0"),
        ("adhoc-mine+workaround", "v1.13.0"),
    ]
    assert all(p.scenario.expect is None and not p.by_model for p in plans)


@pytest.mark.parametrize(
    ("name", "compare", "message"),
    [
        ("control-healthy-v1.13.0", [], "nothing to work around"),
        ("fixed-v1.14.0", [], "none of v1.14.0 has the nil-event panic"),
        ("crash-v1.13.0", ["one"], "--compare one:"),
    ],
)
def test_plan_rejects_what_cannot_be_run(name: str, compare: list[str], message: str):
    with pytest.raises(BadInput, match=message):
        plan_runs(find_scenario(name), compare, with_workaround=True)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_plain_lines_per_phase_and_changes_only():
    clock = FakeClock()
    out = io.StringIO()
    progress = Progress(out, live=False, heartbeat=1000, clock=clock)
    with progress.phase("install") as result:
        clock.now += 4.25
        result.text = "deployed"
    with progress.phase("watching health"):
        progress.update("hpa Running, restarts 1/3")
        progress.update("hpa Running, restarts 1/3")  # unchanged: no new line
        clock.now += 2
        progress.update("hpa Deactivated, restarts 4/3")

    def interrupted() -> None:
        with progress.phase("quiet window", "20s"):
            clock.now += 1
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    progress.close()
    assert out.getvalue().splitlines() == [
        "[   4.2s]   install          deployed (4.2s)",
        "[   4.2s]   .. watching health: hpa Running, restarts 1/3 (0s)",
        "[   6.2s]   .. watching health: hpa Deactivated, restarts 4/3 (2s)",
        "[   6.2s]   watching health  done (2.0s)",
        "[   7.2s]   quiet window     INTERRUPTED (20s) (1.0s)",
    ]
    assert "\r" not in out.getvalue()


def test_progress_heartbeat_in_a_log_file_during_a_long_phase():
    out = io.StringIO()
    progress = Progress(out, live=False, heartbeat=0.2)
    with progress.phase("install"):
        progress.update("helm upgrade --install")
        time.sleep(1.6)
    progress.close()
    beats = [line for line in out.getvalue().splitlines() if "still waiting" in line]
    assert beats, out.getvalue()
    assert "install: still waiting, helm upgrade --install" in beats[0]


def test_progress_on_a_terminal_redraws_one_status_line():
    out = io.StringIO()
    progress = Progress(out, live=True, heartbeat=1000)
    with progress.phase("watching health"):
        progress.update("hpa Running, restarts 2/3")
        time.sleep(1.3)  # the ticker redraws the elapsed time
    progress.close()
    text = out.getvalue()
    redraws = text.count("\r\x1b[K  .. watching health: hpa Running, restarts 2/3")
    assert redraws >= 2, text
    assert re.search(r"\r\x1b\[K\[   1\.\ds\]   watching health  done \(1\.\ds\)\n$", text), text
    assert "\n  .. " not in text  # the status line is never left behind as its own line


def test_plugin_download_failure_read_from_json_and_text_logs():
    url = "https://example.invalid/plugins-index.yaml"
    msg = (f'while starting plugins manager: while fetching index for "botkube" repository '
           f'with URL "{url}": dial tcp: i/o timeout')  # fmt: skip
    json_line = json.dumps({"level": "fatal", "msg": msg})
    assert plugin_download_failure(json_line) == f"the plugin index {url} (repository 'botkube')"
    assert plugin_download_failure(f"FATA[0003] {msg}") == (
        f"the plugin index {url} (repository 'botkube')"
    )
    binary = json.dumps({"msg": 'while fetching plugin "botkube/kubernetes" binary: 404'})
    assert plugin_download_failure(binary) == "the plugin 'botkube/kubernetes' from its index"
    assert plugin_download_failure('{"msg": "plugin started"}') is None


def test_install_hint_only_for_an_object_another_release_owns():
    owned = (
        "Error: rendered manifests contain a resource that already exists. Unable to continue "
        'with install: ClusterRole "bk-x-botkube-system" in namespace "" exists and cannot be '
        "imported into the current release: invalid ownership metadata"
    )
    hint = install_failure_hint(owned)
    assert "helm list --all-namespaces" in hint
    assert hint.startswith("; ")
    assert install_failure_hint("Error: context deadline exceeded") == ""


def test_the_run_command_loads_neither_pytest_nor_the_plugin():
    code = (
        "import sys\n"
        "import pytest_botkube.cli.run\n"
        "print(sorted(m for m in sys.modules if m == 'pytest' or m.startswith('_pytest')"
        " or m in ('pytest_botkube.plugin.options', 'pytest_botkube.plugin')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)  # fmt: skip
    assert done.stdout.strip() == "[]"


def test_the_run_command_records_the_arguments_it_parsed_not_sys_argv(monkeypatch):
    from pytest_botkube import cli
    from pytest_botkube.cli import run as run_command

    recorded: list[list[str]] = []

    def execute(plans, settings, **kwargs):
        recorded.append(list(kwargs["command_line"]))
        return []

    monkeypatch.setattr(run_command, "execute", execute)
    monkeypatch.setattr(sys, "argv", ["pytest", "-q", "something-else"])
    argv = ["run", "control-healthy-v1.13.0", "--quiet-window", "5"]
    assert cli.main(argv) == 0
    assert recorded == [["control-healthy-v1.13.0", "--quiet-window", "5"]]
