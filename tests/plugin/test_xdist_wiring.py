"""The plugin with and without pytest-xdist: its xdist hooks are registered only when xdist is,
so a machine without xdist (here: ``-p no:xdist``) never meets an unknown hook."""

from __future__ import annotations

from pathlib import Path

import pytest

LIVE_TEST = """
import pytest

@pytest.mark.botkube_scenario("control-healthy-v1.13.0")
def test_live(botkube_release):
    pass

def test_offline(pytestconfig):
    plugins = pytestconfig.pluginmanager
    assert plugins.get_plugin("botkube-cluster-session") is not None
    controller = plugins.get_plugin("botkube-xdist-controller")
    assert (controller is not None) == plugins.hasplugin("xdist"), controller
"""


@pytest.fixture
def no_tools(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no docker, kind or helm: the skip path
    for name in ("BOTKUBE_REQUIRE_CLUSTER", "BOTKUBE_DOCKER", "BOTKUBE_KIND", "BOTKUBE_HELM"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("xdist", ["loaded", "blocked"])
def test_live_test_skips_and_offline_test_passes_with_or_without_xdist(
    pytester: pytest.Pytester, no_tools: None, xdist: str
):
    if xdist == "loaded":
        pytest.importorskip("xdist")
    pytester.makepyfile(test_mine=LIVE_TEST)
    args = ["-rs", "-p", "no:cacheprovider", "-W", "error", "--strict-markers"]
    result = pytester.runpytest(*args, *(["-p", "no:xdist"] if xdist == "blocked" else []))
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*BotKube e2e cannot run here: docker not found on PATH*"])
    assert "= botkube =" not in result.stdout.str()  # no cluster, no run: nothing to sum up
