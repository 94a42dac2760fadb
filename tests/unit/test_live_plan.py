"""``run --plan``'s plan built without any tool (the rehearsal checks it against a run)."""

from __future__ import annotations

from pathlib import Path

from pytest_botkube.live.chart import CHART_SHA256, DEFAULT_SOURCES
from pytest_botkube.live.kind import NODE_IMAGE
from pytest_botkube.reproduce.live_plan import build
from pytest_botkube.reproduce.plan import plan_runs
from pytest_botkube.scenario import load_scenarios
from pytest_botkube.settings import build_settings

SCENARIOS = {s.name: s for s in load_scenarios()}


def _plan(tmp_path: Path, **options: str):
    environ = {"PATH": str(tmp_path / "empty"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    settings = build_settings(command_line=options, environ=environ, invocation_dir=tmp_path)
    runs = plan_runs(SCENARIOS["crash-v1.13.0"], ["v1.14.0"], False)
    return build(runs, settings, environ, work_dir=tmp_path / "work")


def test_every_missing_tool_is_named_and_nothing_is_touched(tmp_path: Path):
    plan = _plan(tmp_path, no_download=True)
    assert [p.split(" ")[0] for p in plan.problems] == ["docker", "kind", "helm"]
    assert list(tmp_path.iterdir()) == []  # no cache, no work directory
    text = plan.render()
    assert "the run would stop before any cluster (exit 3):" in text


def test_charts_sources_digests_and_the_installed_path(tmp_path: Path):
    plan = _plan(tmp_path)
    for chart, version in zip(plan.charts, ("v1.13.0", "v1.14.0"), strict=True):
        assert chart.sha256 == CHART_SHA256[version]
        assert chart.urls == tuple(f"{s}/botkube-{version}.tgz" for s in DEFAULT_SOURCES)
        want = tmp_path / "cache" / "pytest-botkube" / "charts" / chart.sha256
        assert chart.path == str(want / f"botkube-{version}.tgz")
    installs = [s for s in plan.commands() if s.argv[1:2] == ("upgrade",)]
    assert [s.argv[3] for s in installs] == [c.path for c in plan.charts]
    assert [s.argv[s.argv.index("--values") + 1] for s in installs] == [
        str(r.values_file) for r in plan.releases
    ]
    assert (NODE_IMAGE, "the kind node image: pulled before the create") in plan.images
    assert [ref for ref, _ in plan.images[1:]] == [
        "ghcr.io/kubeshop/botkube:v1.13.0", "ghcr.io/kubeshop/botkube:v1.14.0",
    ]  # fmt: skip
    assert plan.total_budget == sum(s.budget for s in plan.steps) > 0


def test_existing_mode_runs_no_kind_and_no_docker(tmp_path: Path):
    plan = _plan(tmp_path, cluster_mode="existing", receiver_host="10.0.0.5")
    assert {s.tool.split("-")[0] for s in plan.commands()} == {"helm"}
    assert [t.name for t in plan.tools] == ["helm"]
    assert [how for _, how in plan.images] == ["pulled by the cluster's nodes"] * 2
    assert plan.render().startswith("botkube-repro run plan: 2 run(s), cluster mode existing "
                                    "(existing); nothing")  # fmt: skip
