"""The verdict table and the bug-report bundle, on fabricated crash / workaround / fixed runs."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_botkube.model.events import Forwarding, Happening
from pytest_botkube.readers.logs import read_log_file
from pytest_botkube.readers.payload import Delivery
from pytest_botkube.report.bundle import write_bundle
from pytest_botkube.report.records import (
    DeliveryRow,
    Prediction,
    RunRecord,
    disagreements,
    observed_from_log,
    record_from_json,
    record_properties,
    record_to_json,
)
from pytest_botkube.report.render import LOUD, render_report, verdict_table_text
from pytest_botkube.reproduce.delivery_diff import delivery_diff
from pytest_botkube.reproduce.judge import rows_from_diff

ISSUE = "https://github.com/kubeshop/botkube/issues/1474"
HPA = "autoscaling/v2/horizontalpodautoscalers"
FAKE_SLACK = "xoxb-0000000000-1111111111111-FAKEreportTOKENnotREAL"


def _values(event: dict[str, Any] | None) -> dict[str, Any]:
    config: dict[str, Any] = {"resources": [{"type": HPA}]}
    if event is not None:
        config["event"] = event
    return {
        "settings": {"clusterName": "repro"},
        "communications": {
            "default-group": {
                "webhook": {"enabled": True, "url": "http://172.18.0.1:8765/hook"},
                "socketSlack": {"enabled": False, "botToken": FAKE_SLACK},
            }
        },
        "sources": {"k8s-hpa": {"botkube/kubernetes": {"enabled": True, "config": config}}},
    }


def _diff(delivered_create: bool) -> tuple[DeliveryRow, ...]:
    return (
        DeliveryRow(
            f"create {HPA} repro/web",
            delivered=delivered_create,
            expected=delivered_create,
            why="create is in the effective types" if delivered_create else "plugin is down",
        ),
        DeliveryRow(
            f"Normal SuccessfulRescale {HPA} repro/web",
            delivered=False,
            expected=False,
            why="Normal Events are never forwarded (no informer path)",
        ),
    )


CRASH = RunRecord(
    name="crash-v1.13.0",
    botkube_version="v1.13.0",
    values=_values(None),
    kubernetes_version="v1.31.0",
    kind_version="v0.24.0",
    node_image="kindest/node:v1.31.0@sha256:53df",
    predicted=Prediction("Deactivated", (2,), "source k8s-hpa has resources but no event: SIGSEGV"),
    observed_status="Deactivated",
    restarts=4,
    threshold=3,
    exit_statuses=(2, 2, 2, 2),
    panic="SIGSEGV nil pointer in mergeResourceEvents (router.go:159)",
    diff=_diff(False),
    diagnosis=("plugin botkube/kubernetes exited 4 times with exit status 2 (panic)",),
    known_issue=ISSUE,
    known_issue_title="source plugin panics when event is missing",
)
WORKAROUND = RunRecord(
    name="workaround-v1.13.0",
    botkube_version="v1.13.0",
    values=_values({"types": ["create", "delete", "error"]}),
    predicted=Prediction("Running"),
    observed_status="Running",
    restarts=0,
    threshold=3,
    diff=_diff(True),
)
FIXED = RunRecord(
    name="fixed-v1.14.0",
    botkube_version="v1.14.0",
    values=_values(None),
    predicted=Prediction("Running"),
    observed_status="Running",
    restarts=0,
    threshold=3,
    diff=_diff(False)[1:],
)
# The model said the fix holds, but the run crashed: exactly what must be shouted about.
WRONG = RunRecord(
    name="model-wrong",
    botkube_version="v1.14.0",
    values=_values(None),
    predicted=Prediction("Running"),
    observed_status="Deactivated",
    restarts=4,
    threshold=3,
    exit_statuses=(2, 2, 2, 2),
    diff=(
        DeliveryRow(f"create {HPA} repro/web", delivered=False, expected=True, why="plugin down"),
    ),
)


def _line_for(table: str, name: str) -> str:
    (line,) = [ln for ln in table.splitlines() if ln.startswith(name + " ")]
    return line


def test_text_table_rows_for_crash_workaround_fixed() -> None:
    table = verdict_table_text([CRASH, WORKAROUND, FIXED])
    header, rule, *rows = table.splitlines()
    assert header.split() == [
        "run",
        "BotKube",
        "plugin",
        "restarts",
        "exits",
        "panic",
        "happened",
        "delivered",
        "predicted",
        "model",
    ]
    assert set(rule.replace(" ", "")) == {"-"}
    assert len(rows) == 3
    crash = _line_for(table, "crash-v1.13.0")
    assert "Deactivated" in crash
    assert "4/3" in crash
    assert "2 x4" in crash
    assert "mergeResourceEvents" in crash
    assert crash.endswith("agrees")
    workaround = _line_for(table, "workaround-v1.13.0")
    assert workaround.split()[2:5] == ["Running", "0/3", "none"]
    # 2 happenings, 1 delivered
    assert workaround.split()[6:8] == ["2", "1"]
    assert LOUD not in table


def test_text_table_is_fixed_width() -> None:
    table = verdict_table_text([CRASH, WORKAROUND, FIXED])
    header, _rule, *rows = table.splitlines()
    starts = [i for i, ch in enumerate(header) if ch != " " and (i == 0 or header[i - 1] == " ")]
    assert len(starts) == 10
    bounds = [*zip(starts, [*starts[1:], None], strict=True)]
    cells = [[row[a:b].strip() for a, b in bounds] for row in rows]
    assert cells[0] == [
        "crash-v1.13.0",
        "v1.13.0",
        "Deactivated",
        "4/3",
        "2 x4",
        "SIGSEGV nil pointer in mergeResourceEvents (router.go:159)",
        "2",
        "0",
        "Deactivated, exit 2",
        "agrees",
    ]
    assert cells[2][:5] == ["fixed-v1.14.0", "v1.14.0", "Running", "0/3", "none"]


def test_disagreement_is_flagged_loudly_in_text() -> None:
    table = verdict_table_text([CRASH, WRONG])
    assert _line_for(table, "model-wrong").endswith(LOUD)
    assert _line_for(table, "crash-v1.13.0").endswith("agrees")
    loud_lines = [ln for ln in table.splitlines() if ln.startswith(LOUD)]
    assert loud_lines == [
        f"{LOUD} model-wrong: plugin status: predicted Running, observed Deactivated",
        f"{LOUD} model-wrong: plugin exit statuses: predicted none, observed 2 x4",
        f"{LOUD} model-wrong: create {HPA} repro/web: predicted delivered, observed not delivered",
    ]


@pytest.mark.parametrize("record", [CRASH, WORKAROUND, FIXED], ids=lambda r: r.name)
def test_agreeing_runs_have_no_disagreements(record: RunRecord) -> None:
    assert disagreements(record) == []


def test_status_comparison_ignores_case_and_unknowns() -> None:
    assert disagreements(RunRecord("a", "v1.13.0", predicted=Prediction("running"))) == []
    unknown = RunRecord("b", "v1.13.0", predicted=Prediction("Running"), observed_status="")
    assert disagreements(unknown) == []


def test_markdown_report_sections_and_flag() -> None:
    text = render_report([CRASH, WORKAROUND, FIXED, WRONG])
    assert text.startswith("# BotKube reproduction report\n")
    assert "> [!CAUTION]" in text
    assert f"**{LOUD}**" in text
    assert "## Verdict" in text
    assert "| run | BotKube | plugin | restarts |" in text
    assert "## Versions" in text
    assert (
        "| crash-v1.13.0 | v1.13.0 | v1.13.0 | v0.24.0 | ? | kindest/node:v1.31.0@sha256:53df |"
        in (text)
    )
    assert "[kubeshop/botkube#1474](https://github.com/kubeshop/botkube/issues/1474)" in text
    assert "### Delivery diff" in text
    assert "Normal Events are never forwarded" in text
    assert "### Agent log diagnosis" in text
    for record in (CRASH, WORKAROUND, FIXED, WRONG):
        assert f"## {record.name} (BotKube {record.botkube_version})" in text


def test_markdown_report_without_disagreement_has_no_caution() -> None:
    text = render_report([CRASH, WORKAROUND, FIXED])
    assert "[!CAUTION]" not in text
    assert LOUD not in text


def test_pipes_in_cells_do_not_break_the_table() -> None:
    record = RunRecord("pipes", "v1.13.0", panic="a | b")
    text = render_report([record])
    assert "a \\| b" in text


def test_bundle_writes_report_values_and_redacted_artifacts(tmp_path: Path) -> None:
    run_logs = tmp_path / "in" / "crash"
    run_logs.mkdir(parents=True)
    (run_logs / "agent.log").write_text(
        f'{{"level":"error","msg":"slack auth failed","token":"{FAKE_SLACK}"}}\n'
        '{"level":"error","msg":"plugin process exited","error":"exit status 2"}\n',
        encoding="utf-8",
    )
    (run_logs / "nested").mkdir()
    (run_logs / "nested" / "healthz.json").write_text('{"plugins":{}}', encoding="utf-8")
    shared = tmp_path / "in" / "kind-export.txt"
    shared.write_text("kubeconfig token: FAKEsharedTOKEN0000\n", encoding="utf-8")
    crash = RunRecord(**{**CRASH.__dict__, "artifacts": (run_logs,)})
    before = copy.deepcopy(crash.values)

    report = write_bundle(tmp_path / "bundle", [crash, WORKAROUND], [shared])

    bundle = tmp_path / "bundle"
    assert report == bundle / "report.md"
    files = sorted(p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file())
    assert files == [
        "artifacts/crash-v1.13.0/crash/agent.log",
        "artifacts/crash-v1.13.0/crash/nested/healthz.json",
        "artifacts/shared/kind-export.txt",
        "report.md",
        "values/crash-v1.13.0.yaml",
        "values/workaround-v1.13.0.yaml",
    ]
    everything = "".join(p.read_text(encoding="utf-8") for p in bundle.rglob("*") if p.is_file())
    assert FAKE_SLACK not in everything
    assert "FAKEreportTOKEN" not in everything
    assert "FAKEsharedTOKEN0000" not in everything
    assert "plugin process exited" in (bundle / files[0]).read_text(encoding="utf-8")
    values = yaml.safe_load((bundle / "values" / "crash-v1.13.0.yaml").read_text(encoding="utf-8"))
    assert values["communications"]["default-group"]["socketSlack"]["botToken"] == "<redacted>"
    assert values["sources"] == CRASH.values["sources"]
    assert crash.values == before
    text = report.read_text(encoding="utf-8")
    assert "`values/crash-v1.13.0.yaml`" not in text  # named in the details summary instead
    assert "<code>values/crash-v1.13.0.yaml</code>" in text
    assert "`artifacts/crash-v1.13.0/crash/agent.log`" in text
    assert "- `artifacts/shared/kind-export.txt`" in text


def test_bundle_run_names_become_distinct_safe_directories(tmp_path: Path) -> None:
    a = RunRecord("run/one", "v1.13.0")
    b = RunRecord("run one", "v1.13.0")
    write_bundle(tmp_path, [a, b])
    assert sorted(p.name for p in (tmp_path / "values").iterdir()) == [
        "run-one-2.yaml",
        "run-one.yaml",
    ]


def test_report_shows_redacted_values_of_each_run() -> None:
    text = render_report([CRASH])
    assert "<details><summary>Helm values used (redacted)</summary>" in text
    assert "botToken: <redacted>" in text
    assert FAKE_SLACK not in text
    assert f"type: {HPA}" in text


def test_rows_from_the_verdict_delivery_diff() -> None:
    create = Happening(HPA, "web", "repro", action="create")
    rescale = Happening(HPA, "web", "repro", event_type="Normal", reason="SuccessfulRescale")

    def model(h: Happening) -> Forwarding:
        if h.action == "create":
            return Forwarding(True, ("k8s-hpa",), "create is in the effective types")
        return Forwarding(False, (), "Normal Events are never forwarded")

    deliveries = [
        Delivery(("k8s-hpa",), "create", name="web", namespace="repro", resource=HPA),
        Delivery(("k8s-hpa",), "delete", name="other", namespace="repro", resource=HPA),
    ]
    rows, unmatched = rows_from_diff(delivery_diff([create, rescale], deliveries, model))
    assert [(r.happening, r.delivered, r.expected, r.agrees) for r in rows] == [
        (create.describe(), True, True, True),
        (rescale.describe(), False, False, True),
    ]
    assert rows[1].why == "Normal Events are never forwarded"
    assert len(unmatched) == 1
    assert "delete" in unmatched[0]
    record = RunRecord("r", "v1.14.0", diff=rows, unmatched=unmatched)
    assert disagreements(record) == []
    assert "Deliveries matching nothing that happened" in render_report([record])


def test_source_disagreement_from_the_verdict_is_flagged() -> None:
    create = Happening(HPA, "web", "repro", action="create")

    def model(h: Happening) -> Forwarding:
        return Forwarding(True, ("k8s-a", "k8s-b"), "both sources watch HPAs")

    deliveries = [Delivery(("k8s-a",), "create", name="web", namespace="repro", resource=HPA)]
    rows, _ = rows_from_diff(delivery_diff([create], deliveries, model))
    record = RunRecord("r", "v1.14.0", diff=rows)
    (problem,) = disagreements(record)
    assert problem.endswith("no delivery from k8s-b")
    assert verdict_table_text([record]).rstrip().splitlines()[-1].startswith(LOUD)


LOGS = Path(__file__).resolve().parent.parent / "data" / "logs"


def test_observed_fields_from_a_crash_loop_log() -> None:
    timeline = read_log_file(LOGS / "crash_loop_v1.13.0.json.log").plugins["botkube/kubernetes"]
    fields = observed_from_log(timeline)
    assert fields["restarts"] == 11
    assert fields["threshold"] == 10
    assert fields["exit_statuses"] == (2,) * 11
    assert fields["panic"] == (
        "SIGSEGV in mergeResourceEvents (router.go:159): runtime error: invalid memory address"
        " or nil pointer dereference"
    )
    record = RunRecord("crash", "v1.13.0", observed_status="Deactivated", **fields)
    assert "11/10" in verdict_table_text([record])
    assert "2 x11" in verdict_table_text([record])


def test_observed_fields_from_an_exit_loop_and_a_healthy_log() -> None:
    exit_loop = read_log_file(LOGS / "exit_loop_unknown_type.json.log").plugins
    assert observed_from_log(exit_loop["botkube/kubernetes"]) == {
        "restarts": 4,
        "threshold": 3,
        "exit_statuses": (1, 1, 1, 1),
        "panic": "",
    }
    healthy = read_log_file(LOGS / "healthy_v1.14.0.json.log").plugins["botkube/kubernetes"]
    assert observed_from_log(healthy)["exit_statuses"] == ()
    assert observed_from_log(None)["restarts"] == 0


@pytest.mark.parametrize("record", [CRASH, WORKAROUND, WRONG], ids=lambda r: r.name)
def test_record_json_round_trip_redacts_values(record: RunRecord) -> None:
    text = record_to_json(record)
    assert FAKE_SLACK not in text
    back = record_from_json(text)
    assert back == RunRecord(**{**record.__dict__, "values": back.values})
    assert back.values["communications"]["default-group"]["socketSlack"]["botToken"] == (
        "<redacted>"
    )
    assert back.values["sources"] == record.values["sources"]
    assert disagreements(back) == disagreements(record)


def test_record_properties_for_junit() -> None:
    props = dict(record_properties(CRASH))
    assert props["botkube_version"] == "v1.13.0"
    assert props["botkube_plugin_status"] == "Deactivated"
    assert props["botkube_plugin_restarts"] == "4/3"
    assert props["botkube_plugin_exit_statuses"] == "2 x4"
    assert props["botkube_model_disagreements"] == ""
    assert props["botkube_known_issue"] == ISSUE
    assert all(name.startswith("botkube_") for name in props)
    wrong = dict(record_properties(WRONG))
    assert wrong["botkube_model_disagreements"].startswith("plugin status: predicted Running")
