"""The preflight's checks over real sockets: the chart (by URL, digest), the plugin index (a GET
that must return an index) and the image's registry (a HEAD on the manifest behind the
registry's token challenge), each against a local server; a port nobody listens on is a
source that is down."""

from __future__ import annotations

from pathlib import Path

import pytest
from doubles.charts import chart_tgz, closed_port_url, serving, sha256
from doubles.registry import RegistryDouble

from pytest_botkube.errors import EnvironmentUnavailable
from pytest_botkube.live.chart import ChartFetcher, ChartSpec
from pytest_botkube.live.preflight import (
    BOTKUBE_IMAGE,
    PLUGIN_INDEX_URL,
    check_image,
    check_plugin_index,
    manifest_url,
    require,
    run_checks,
)

INDEX = b"entries:\n  - name: kubernetes\n    type: source\n    version: v1.13.0\n    urls: []\n"


def test_the_defaults_are_what_the_agent_and_the_chart_use():
    assert PLUGIN_INDEX_URL.format(version="v1.13.0") == (
        "https://github.com/kubeshop/botkube/releases/download/v1.13.0/plugins-index.yaml"
    )
    assert BOTKUBE_IMAGE.format(version="v1.14.0") == "ghcr.io/kubeshop/botkube:v1.14.0"
    assert manifest_url("ghcr.io/kubeshop/botkube:v1.13.0") == (
        "https://ghcr.io/v2/kubeshop/botkube/manifests/v1.13.0"
    )
    assert (
        manifest_url("busybox")
        == "https://registry-1.docker.io/v2/library/busybox/manifests/latest"
    )
    assert manifest_url("localhost:5000/me/botkube:dev").startswith("http://localhost:5000/v2/")


def test_the_registry_is_asked_with_its_own_anonymous_token():
    with RegistryDouble({"kubeshop/botkube:v1.13.0"}) as registry:
        found = check_image(f"{registry.host}/kubeshop/botkube:v1.13.0")
        assert found.ok, found.line()
        assert found.detail.startswith("manifest sha256:")
        methods = [(m, p.split("?")[0], a) for m, p, a in registry.requests]
        assert methods == [
            ("HEAD", "/v2/kubeshop/botkube/manifests/v1.13.0", ""),
            ("GET", "/token", ""),
            ("HEAD", "/v2/kubeshop/botkube/manifests/v1.13.0", "Bearer token-for-kubeshop/botkube"),
        ]
        missing = check_image(f"{registry.host}/kubeshop/botkube:v9.9.9")
        assert missing.problem == "no such image or tag (HTTP 404)"


def test_a_private_image_is_reachable_not_a_failure():
    with RegistryDouble(set(), private={"me/botkube"}) as registry:
        found = check_image(f"{registry.host}/me/botkube:fix")
    assert found.ok
    assert found.detail == "registry answers; the image needs credentials"


def test_an_unreachable_registry_is_a_problem():
    host = closed_port_url().removeprefix("http://")
    found = check_image(f"{host}/kubeshop/botkube:v1.13.0")
    assert found.problem.startswith("registry unreachable (")


def test_the_plugin_index_must_be_an_index():
    with serving({"/i.yaml": INDEX, "/page.html": b"<html>moved</html>"}) as server:
        assert check_plugin_index(f"{server.url}/i.yaml").detail == "1 plugins"
        assert check_plugin_index(f"{server.url}/gone.yaml").problem == "HTTP 404"
        html = check_plugin_index(f"{server.url}/page.html")
        assert "not with a plugin index" in html.problem
    assert check_plugin_index(f"{closed_port_url()}/i.yaml").problem.startswith("unreachable (")


def _charts(tmp_path: Path, *sources: str, version: str = "v1.13.0") -> ChartFetcher:
    pins = {version: sha256(chart_tgz(version))}
    return ChartFetcher(ChartSpec("sources", sources), tmp_path / "cache", pins=pins)


def test_all_checks_pass_and_a_chart_once_fetched_is_cached(tmp_path: Path):
    files = {"/botkube-v1.13.0.tgz": chart_tgz("v1.13.0"), "/index.yaml": INDEX}
    with serving(files) as server, RegistryDouble({"kubeshop/botkube:v1.13.0"}):
        charts = _charts(tmp_path, server.url)
        checks = run_checks(["v1.13.0", "v1.13.0"], charts, plugin_index=f"{server.url}/index.yaml",
                            image="me/botkube:fix")  # fmt: skip
        require(checks)  # nothing raised
        assert [c.what for c in checks] == ["chart botkube v1.13.0", "plugin index",
                                            "image me/botkube:fix"]  # fmt: skip
        assert checks[-1].where == "this machine's Docker"  # --image: loaded, not pulled
        assert server.requests.count("/botkube-v1.13.0.tgz") == 1


def test_every_failure_is_named_on_one_line(tmp_path: Path):
    down = closed_port_url()
    with serving({}) as server:
        charts = _charts(tmp_path, down)
        checks = run_checks(["v1.13.0"], charts, plugin_index=f"{server.url}/index.yaml",
                            image=None, timeout=5)  # fmt: skip
    with pytest.raises(EnvironmentUnavailable) as caught:
        require([c for c in checks if c.what != "image ghcr.io/kubeshop/botkube:v1.13.0"])
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"preflight: chart botkube v1.13.0 (chart sources {down}): cannot "
                              "get the BotKube chart botkube v1.13.0:")  # fmt: skip
    assert f"; plugin index ({server.url}/index.yaml): HTTP 404" in message
