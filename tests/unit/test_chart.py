"""The chart by URL: ordered sources, pinned sha256, the cache, and what --botkube-chart accepts.

Every download goes over a real socket to a real ``http.server`` on 127.0.0.1
(tests/doubles/charts.py); a source that is down is a port nobody listens on. The pinned digest
in these tests is that of the test chart the server holds (the bytes are ours; what is tested
is that the fetcher refuses any others), and the shipped pin table is checked separately
against upstream's own tarballs where this machine has them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from doubles.charts import (
    chart_tgz,
    closed_port_url,
    repository_files,
    repository_index,
    serving,
    sha256,
)
from doubles.upstream import SKIP_REASON, upstream_chart

from pytest_botkube.errors import BadInput, EnvironmentUnavailable, ExitCode
from pytest_botkube.live.chart import (
    CHART_SHA256,
    DEFAULT_SOURCES,
    ChartFetcher,
    ChartSpec,
    ChartUnavailable,
    ChartVersionMismatch,
    parse_chart_spec,
    read_chart_metadata,
)

V = "v1.13.0"
GOOD = chart_tgz(V)
PINS = {V: sha256(GOOD)}


def fetcher(tmp_path: Path, *sources: str, pins: dict[str, str] | None = None) -> ChartFetcher:
    spec = ChartSpec("sources", tuple(sources))
    return ChartFetcher(spec, tmp_path / "cache", pins=PINS if pins is None else pins)


def test_right_digest_is_fetched_into_the_cache(tmp_path: Path):
    with serving({f"/up/botkube-{V}.tgz": GOOD}) as server:
        chart = fetcher(tmp_path, f"{server.url}/up").get(V)
    assert chart.path == tmp_path / "cache" / PINS[V] / f"botkube-{V}.tgz"
    assert chart.path.read_bytes() == GOOD
    assert (chart.version, chart.app_version, chart.sha256) == (V, V, PINS[V])
    assert chart.pinned
    assert chart.origin == f"{server.url}/up/botkube-{V}.tgz"
    assert chart.skipped == ()
    assert server.requests == [f"/up/botkube-{V}.tgz"]


def test_wrong_digest_is_refused_and_nothing_is_kept(tmp_path: Path):
    other = chart_tgz(V, app_version="v1.13.0-evil")
    with serving({f"/botkube-{V}.tgz": other}) as server, pytest.raises(ChartUnavailable) as caught:
        fetcher(tmp_path, server.url).get(V)
    message = str(caught.value)
    assert f"{server.url}/botkube-{V}.tgz: sha256 {sha256(other)}, expected {PINS[V]}" in message
    assert caught.value.exit_code is ExitCode.ENVIRONMENT
    assert not list((tmp_path / "cache").rglob("*.tgz*"))


def test_first_source_down_second_up(tmp_path: Path):
    down = closed_port_url()
    with serving({f"/botkube-{V}.tgz": GOOD}) as server:
        chart = fetcher(tmp_path, down, server.url).get(V)
    assert chart.origin == f"{server.url}/botkube-{V}.tgz"
    assert len(chart.skipped) == 1
    assert chart.skipped[0].startswith(f"{down}/botkube-{V}.tgz: ")
    assert "refused" in chart.skipped[0].lower()


def test_a_source_serving_other_bytes_or_404_is_skipped_for_the_next(tmp_path: Path):
    files = {f"/bad/botkube-{V}.tgz": b"not a chart", f"/good/botkube-{V}.tgz": GOOD}
    with serving(files) as server:
        base = server.url
        chart = fetcher(tmp_path, f"{base}/missing", f"{base}/bad", f"{base}/good").get(V)
    assert chart.origin == f"{base}/good/botkube-{V}.tgz"
    assert [s.split(": ", 1)[1] for s in chart.skipped] == [
        "HTTP 404",
        f"sha256 {sha256(b'not a chart')}, expected {PINS[V]}",
    ]


def test_all_sources_down_is_one_environment_line_naming_each(tmp_path: Path):
    first, second = closed_port_url(), closed_port_url()
    with pytest.raises(ChartUnavailable) as caught:
        fetcher(tmp_path, first, second).get(V)
    message = str(caught.value)
    assert isinstance(caught.value, EnvironmentUnavailable)
    assert "\n" not in message
    assert message.startswith(f"cannot get the BotKube chart botkube {V}: {first}/botkube-")
    assert f"; {second}/botkube-{V}.tgz: " in message
    assert "pass --botkube-chart with a .tgz" in message  # botkube-repro run respells it
    assert len(caught.value.tried) == 2


def test_the_cache_is_used_offline_and_a_damaged_copy_is_fetched_again(tmp_path: Path):
    with serving({f"/botkube-{V}.tgz": GOOD}) as server:
        first = fetcher(tmp_path, server.url).get(V)
    offline = fetcher(tmp_path, closed_port_url()).get(V)  # a new session, no network
    assert offline.path == first.path
    assert offline.origin == f"cache {first.path}"
    first.path.write_bytes(b"bit rot")
    with serving({f"/botkube-{V}.tgz": GOOD}) as server:
        again = fetcher(tmp_path, server.url).get(V)
        assert server.requests == [f"/botkube-{V}.tgz"]
    assert again.path.read_bytes() == GOOD


def test_one_session_fetches_a_version_once(tmp_path: Path):
    with serving({f"/botkube-{V}.tgz": GOOD}) as server:
        charts = fetcher(tmp_path, server.url, pins={})  # not pinned: the index is read too
        server.files["/index.yaml"] = repository_index({V: GOOD}).encode()
        assert charts.get(V) is charts.get("1.13.0")
        assert server.requests == ["/index.yaml", f"/botkube-{V}.tgz"]


def test_a_version_not_pinned_takes_the_digest_from_the_sources_index(tmp_path: Path):
    # upstream's index names tarballs on charts.botkube.io only: the source's own URL is used
    index = repository_index({V: GOOD}, url_prefix="https://charts.invalid/")
    with serving({"/index.yaml": index.encode(), f"/botkube-{V}.tgz": GOOD}) as server:
        chart = fetcher(tmp_path, server.url, pins={}).get(V)
    assert chart.origin == f"{server.url}/botkube-{V}.tgz"
    assert not chart.pinned
    assert chart.sha256 == sha256(GOOD)


def test_a_version_with_no_digest_anywhere_is_refused(tmp_path: Path):
    index = b"apiVersion: v1\nentries:\n  botkube:\n  - version: v1.13.0\n    urls: [x.tgz]\n"
    with serving({"/index.yaml": index, f"/botkube-{V}.tgz": GOOD}) as server:
        with pytest.raises(ChartUnavailable, match="no tarball URL and sha256"):
            fetcher(tmp_path, server.url, pins={}).get(V)
        assert f"/botkube-{V}.tgz" not in server.requests


def test_a_users_repository_is_read_through_its_index_as_helm_does(tmp_path: Path):
    files = repository_files(prefix="/repo")
    with serving(files) as server:
        spec = parse_chart_spec(f"{server.url}/repo/")
        assert spec.use_index
        assert spec.sources == (f"{server.url}/repo",)
        charts = ChartFetcher(spec, tmp_path / "cache")  # the shipped pins: not these bytes
        chart = charts.get("v1.14.0")
        assert server.requests == ["/repo/index.yaml", "/repo/botkube-v1.14.0.tgz"]
    assert chart.version == "v1.14.0"
    assert not chart.pinned
    assert "sha256" in chart.describe()
    assert "upstream" not in chart.describe()


@pytest.mark.parametrize(
    ("text", "kind"),
    [(None, "sources"), ("", "sources"), ("https://example.org/charts", "sources"),
     ("https://example.org/botkube-v1.13.0.tgz", "tarball"),
     ("file:///tmp/botkube-v1.13.0.tgz", "tarball")],
)  # fmt: skip
def test_chart_spec_from_urls(text: str | None, kind: str):
    spec = parse_chart_spec(text)
    assert spec.kind == kind
    if text is None:
        assert spec.sources == DEFAULT_SOURCES
        assert not spec.use_index


def test_chart_spec_from_paths(tmp_path: Path):
    (tmp_path / "botkube").mkdir()
    (tmp_path / "c.tgz").write_bytes(GOOD)
    (tmp_path / "notes.txt").write_text("x")
    assert parse_chart_spec(str(tmp_path / "botkube")).kind == "directory"
    assert parse_chart_spec(str(tmp_path / "c.tgz")).kind == "tarball"
    with pytest.raises(BadInput, match=r"notes.txt: not a chart directory or a \.tgz"):
        parse_chart_spec(str(tmp_path / "notes.txt"))
    with pytest.raises(BadInput, match="no such file or directory"):
        parse_chart_spec(str(tmp_path / "absent"), "--chart")
    with pytest.raises(BadInput, match="only http"):
        parse_chart_spec("ftp://example.org/c.tgz")


def test_the_default_sources_do_not_all_depend_on_the_botkube_io_domain():
    hosts = [re.sub(r"^https://([^/]+).*", r"\1", s) for s in DEFAULT_SOURCES]
    assert hosts[0] == "charts.botkube.io"
    assert "raw.githubusercontent.com" in hosts
    assert [h for h in hosts if not h.endswith("botkube.io")]
    assert all(s.startswith("https://") for s in DEFAULT_SOURCES)


def _chart_dir(root: Path, version: str, app_version: str | None) -> Path:
    directory = root / "botkube"
    (directory / "templates").mkdir(parents=True)
    app = f"appVersion: {app_version}\n" if app_version else ""
    text = f"apiVersion: v1\nname: botkube\nversion: {version}\n{app}"
    (directory / "Chart.yaml").write_text(text, encoding="utf-8")
    return directory


def test_a_chart_directory_runs_only_scenarios_of_its_app_version(tmp_path: Path):
    directory = _chart_dir(tmp_path, "v9.99.9-dev", "v1.14.0")
    charts = ChartFetcher(parse_chart_spec(str(directory)), tmp_path / "cache")
    chart = charts.get("1.14.0")
    assert (chart.path, chart.version, chart.sha256) == (directory, "v9.99.9-dev", None)
    with pytest.raises(ChartVersionMismatch) as caught:
        charts.get("v1.13.0")
    assert str(caught.value) == (
        f"the chart {directory} is BotKube v1.14.0 (appVersion), the scenario needs v1.13.0: "
        "pass a chart of that version, or run only the v1.14.0 scenarios"
    )
    assert caught.value.exit_code is ExitCode.BAD_INPUT


def test_a_chart_without_app_version_is_judged_by_its_version(tmp_path: Path):
    charts = ChartFetcher(parse_chart_spec(str(_chart_dir(tmp_path, "1.13.0", None))), tmp_path)
    assert charts.get("v1.13.0").app_version == ""
    with pytest.raises(ChartVersionMismatch):
        charts.get("v1.14.0")


def test_a_local_and_a_remote_tgz_are_checked_the_same_way(tmp_path: Path):
    archive = tmp_path / "fork.tgz"
    archive.write_bytes(chart_tgz("v1.13.1-fork", app_version="v1.13.0"))
    local = ChartFetcher(parse_chart_spec(str(archive)), tmp_path / "cache").get(V)
    assert (local.version, local.app_version) == ("v1.13.1-fork", V)
    assert local.sha256 == sha256(archive.read_bytes())
    with serving({"/fork.tgz": archive.read_bytes()}) as server:
        remote = ChartFetcher(parse_chart_spec(f"{server.url}/fork.tgz"), tmp_path / "c").get(V)
    assert remote.sha256 == local.sha256
    assert remote.origin == f"{server.url}/fork.tgz"
    with pytest.raises(ChartVersionMismatch):
        ChartFetcher(parse_chart_spec(str(archive)), tmp_path).get("v1.14.0")


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"not gzip", "not a packaged Helm chart"),
     (chart_tgz(V, name="x/y"), r"no <chart>/Chart\.yaml inside")],
)  # fmt: skip
def test_an_archive_that_is_not_a_chart_is_bad_input_naming_it(
    tmp_path: Path, content: bytes, message: str
):
    archive = tmp_path / "odd.tgz"
    archive.write_bytes(content)
    with pytest.raises(BadInput, match=rf"{re.escape(str(archive))}: .*{message}"):
        read_chart_metadata(archive)


def test_a_chart_yaml_without_version_names_the_file(tmp_path: Path):
    directory = tmp_path / "c"
    directory.mkdir()
    (directory / "Chart.yaml").write_text("name: botkube\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"c/Chart\.yaml: a Chart\.yaml needs a `version`"):
        read_chart_metadata(directory)
    (directory / "Chart.yaml").write_text("name: [\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"Chart\.yaml line 2: not valid YAML"):
        read_chart_metadata(directory)


@pytest.mark.parametrize("version", ["v1.13.0", "v1.14.0"])
def test_the_pinned_digests_are_upstreams_tarballs(version: str):
    """The shipped table against the bytes upstream published (gh-pages), not our own."""
    tarball = upstream_chart(version)
    if tarball is None:
        pytest.skip(SKIP_REASON)
    assert sha256(tarball.read_bytes()) == CHART_SHA256[version]
    assert read_chart_metadata(tarball) == (version, version)


def test_the_pin_table_is_every_v1_release_and_well_formed():
    assert {"v1.13.0", "v1.14.0"} <= set(CHART_SHA256)
    for version, digest in CHART_SHA256.items():
        assert re.fullmatch(r"v1\.\d+\.\d+", version)
        assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert len(set(CHART_SHA256.values())) == len(CHART_SHA256)
