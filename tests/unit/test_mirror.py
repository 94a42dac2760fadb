"""The air-gapped mirror: plugin index parsing, download plan, digests, and the exact tool argv.

The index below is written in the upstream layout (kubeshop/botkube v1.14.0 pkg/plugin/index.go:
entries of name/type/version/urls with url, checksum, platform.os/architecture, dependencies);
the archives are fake bytes served by a real http.server on 127.0.0.1, beside a chart repository
holding a tiny packaged chart. docker is a small recording stand-in put first on PATH through a
copied environment.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from doubles.charts import chart_tgz, repository_index

from pytest_botkube.errors import BadInput, EnvironmentUnavailable
from pytest_botkube.live.chart import ChartUnavailable
from pytest_botkube.mirror.bundle import (
    Checksum,
    DigestMismatch,
    Download,
    MirrorRequest,
    download_verified,
    image_archive_name,
    mirror,
    parse_checksum,
    parse_index,
    plan_downloads,
    rebase,
    rewrite_index,
    verify_sums,
)

VERSION = "v1.14.0"
ARCHIVES = {
    "source_kubernetes_linux_amd64.tar.gz": b"fake kubernetes source plugin linux/amd64",
    "source_kubernetes_linux_arm64.tar.gz": b"fake kubernetes source plugin linux/arm64",
    "executor_kubectl_linux_amd64.tar.gz": b"fake kubectl executor plugin linux/amd64",
    "executor_kubectl_linux_arm64.tar.gz": b"fake kubectl executor plugin linux/arm64",
    "kubectl-linux-amd64": b"fake kubectl binary linux/amd64",
    "kubectl-linux-arm64": b"fake kubectl binary linux/arm64",
}
CHART_BYTES = chart_tgz(VERSION)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def index_yaml(base: str, *, checksums: dict[str, str] | None = None) -> str:
    sums = {name: sha256(data) for name, data in ARCHIVES.items()} | (checksums or {})

    def urls(kind: str, deps: bool) -> str:
        out = ""
        for arch in ("amd64", "arm64"):
            name = f"{kind}_linux_{arch}.tar.gz"
            out += f"""
      - url: {base}/{VERSION}/{name}
        checksum: {sums[name]}
        platform:
          os: linux
          architecture: {arch}"""
            if deps:
                out += f"""
        dependencies:
          kubectl:
            url: {base}/deps/kubectl-linux-{arch}"""
        return out

    return f"""entries:
  - name: kubernetes
    type: source
    description: Kubernetes source plugin.
    version: {VERSION}
    urls:{urls("source_kubernetes", False)}
    jsonSchema:
      value: '{{"type": "object"}}'
    recommended: true
  - name: kubectl
    type: executor
    description: Kubectl executor plugin.
    documentationUrl: https://docs.botkube.io/configuration/executor/kubectl
    version: {VERSION}
    urls:{urls("executor_kubectl", True)}
    recommended: true
"""


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real HTTP server on 127.0.0.1 serving a directory laid out like a release."""
    root = tmp_path / "upstream"
    (root / VERSION).mkdir(parents=True)
    (root / "deps").mkdir()
    for name, data in ARCHIVES.items():
        where = root / "deps" if name.startswith("kubectl-") else root / VERSION
        (where / name).write_bytes(data)

    def handler(*args: Any, **kwargs: Any) -> _Handler:
        return _Handler(*args, directory=str(root), **kwargs)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    (root / VERSION / "plugins-index.yaml").write_text(index_yaml(base), encoding="utf-8")
    (root / "charts").mkdir()
    (root / "charts" / f"botkube-{VERSION}.tgz").write_bytes(CHART_BYTES)
    index = repository_index({VERSION: CHART_BYTES})
    (root / "charts" / "index.yaml").write_text(index, encoding="utf-8")
    try:
        yield base, root
    finally:
        httpd.shutdown()
        httpd.server_close()


STANDIN = """#!{python}
import json, os, sys
argv = sys.argv[1:]
with open(os.environ["STANDIN_LOG"], "a") as log:
    log.write(json.dumps([os.path.basename(sys.argv[0]), *argv]) + "\\n")
name = os.path.basename(sys.argv[0])
if name == "docker":
    if argv[:1] == ["version"]:
        print("27.3.1")
    elif argv[:2] == ["image", "inspect"]:
        print(json.dumps([argv[-1].split(":")[0] + "@sha256:" + "ab" * 32]))
    elif argv[:1] == ["save"]:
        with open(argv[argv.index("--output") + 1], "wb") as out:
            out.write(("image archive of " + argv[-1]).encode())
    elif argv[:1] == ["pull"] and "missing" in argv[-1]:
        print("Error response from daemon: manifest unknown", file=sys.stderr)
        sys.exit(1)
"""


@pytest.fixture
def tools(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A recording stand-in docker first on PATH of a *copy* of the environment, and a private
    cache directory (the chart is cached there)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in ("docker",):
        script = bindir / name
        script.write_text(STANDIN.format(python=sys.executable), encoding="utf-8")
        script.chmod(0o755)
    log = tmp_path / "argv.jsonl"
    env = dict(os.environ)
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    env["STANDIN_LOG"] = str(log)
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    return env, log


def recorded(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


# --- index parsing -------------------------------------------------------------------------------


def test_parse_index_in_upstream_layout() -> None:
    index = parse_index(index_yaml("https://example.invalid"), "plugins-index.yaml")
    assert [e.key for e in index.entries] == [
        "source/kubernetes@v1.14.0",
        "executor/kubectl@v1.14.0",
    ]
    kubectl_amd64 = index.entries[1].urls[0]
    assert kubectl_amd64.platform == "linux/amd64"
    assert kubectl_amd64.checksum == Checksum(
        "sha256", sha256(ARCHIVES["executor_kubectl_linux_amd64.tar.gz"])
    )
    assert kubectl_amd64.dependencies == {
        "kubectl": "https://example.invalid/deps/kubectl-linux-amd64"
    }


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda t: t.replace(f"    version: {VERSION}\n", "", 1),
            ":2: entries[0].version: is required",
        ),
        (lambda t: t.replace("type: source", "type: sink"), "entries[0].type: must be one of"),
        (
            lambda t: t.replace("name: kubectl", "name: kubernetes").replace(
                "type: executor", "type: source"
            ),
            "entries[1]: same type, name and version as entries[0]",
        ),
        (
            lambda t: t.replace("checksum: ", "checksum: zz", 1),
            "entries[0].urls[0].checksum: checksum 'zz",
        ),
        (
            lambda t: t.replace("url: https://example.invalid/deps/kubectl-linux-amd64", "url: ''"),
            "entries[1].urls[0].dependencies.kubectl.url: is required",
        ),
        (lambda t: t.replace("architecture: amd64", "arch: amd64", 1), "platform.architecture"),
        (lambda t: "entries: {}\n", "entries: a plugin index is a mapping with an `entries` list"),
    ],
)
def test_parse_index_rejects_what_upstream_rejects(mutate: Any, message: str) -> None:
    text = mutate(index_yaml("https://example.invalid"))
    with pytest.raises(BadInput) as info:
        parse_index(text, "idx.yaml")
    assert message in str(info.value)
    assert str(info.value).startswith("idx.yaml")


def test_parse_index_empty_urls() -> None:
    text = "entries:\n  - name: a\n    type: source\n    version: v1\n    urls: []\n"
    with pytest.raises(BadInput, match=r"idx.yaml:5: entries\[0\].urls: is required"):
        parse_index(text, "idx.yaml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ab" * 32, Checksum("sha256", "ab" * 32)),
        ("sha256:" + "AB" * 32, Checksum("sha256", "ab" * 32)),
        ("sha512:" + "cd" * 64, Checksum("sha512", "cd" * 64)),
        ("0" * 40, Checksum("sha1", "0" * 40)),
    ],
)
def test_parse_checksum(text: str, expected: Checksum) -> None:
    assert parse_checksum(text) == expected


@pytest.mark.parametrize("text", ["sha256:abcd", "md5:" + "0" * 64, "crc:" + "0" * 64, "xyz"])
def test_parse_checksum_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="checksum"):
        parse_checksum(text)


# --- plan and rewrite ----------------------------------------------------------------------------


def test_plan_selects_plugins_platforms_and_dependencies() -> None:
    index = parse_index(index_yaml("https://r.invalid/dl"), "i")
    plan = plan_downloads(index, plugins=["botkube/kubernetes"], platforms=["linux/arm64"])
    assert plan == [
        Download(
            f"https://r.invalid/dl/{VERSION}/source_kubernetes_linux_arm64.tar.gz",
            f"{VERSION}/source_kubernetes_linux_arm64.tar.gz",
            Checksum("sha256", sha256(ARCHIVES["source_kubernetes_linux_arm64.tar.gz"])),
            "source/kubernetes@v1.14.0 linux/arm64",
        )
    ]
    everything = plan_downloads(index, platforms=["linux/amd64"])
    assert [d.path for d in everything] == [
        f"{VERSION}/source_kubernetes_linux_amd64.tar.gz",
        f"{VERSION}/executor_kubectl_linux_amd64.tar.gz",
        f"deps/kubectl/{VERSION}/linux-amd64/kubectl/kubectl-linux-amd64",
    ]
    assert everything[2].checksum is None


def test_plan_names_missing_plugins_and_platforms() -> None:
    index = parse_index(index_yaml("https://r.invalid"), "i")
    with pytest.raises(BadInput, match=r"plugin\(s\) helm not in the index \(it has: kubectl"):
        plan_downloads(index, plugins=["botkubeExtra/helm"])
    with pytest.raises(BadInput, match="has no download for darwin/arm64"):
        plan_downloads(index, platforms=["darwin/arm64"])


def test_rewrite_index_points_at_local_base_and_keeps_fields() -> None:
    index = parse_index(index_yaml("https://github.invalid/rel"), "i")
    plan = plan_downloads(index, plugins=["kubectl"], platforms=["linux/amd64"])
    local = rewrite_index(index, plan, "http://10.0.0.5:8080/plugins/", ["linux/amd64"])
    text = yaml.safe_dump(local)
    assert "github.invalid" not in text
    (entry,) = local["entries"]
    assert entry["name"] == "kubectl"
    assert entry["documentationUrl"] == "https://docs.botkube.io/configuration/executor/kubectl"
    (url,) = entry["urls"]
    assert (
        url["url"] == f"http://10.0.0.5:8080/plugins/{VERSION}/executor_kubectl_linux_amd64.tar.gz"
    )
    assert url["checksum"] == sha256(ARCHIVES["executor_kubectl_linux_amd64.tar.gz"])
    assert url["dependencies"]["kubectl"]["url"] == (
        f"http://10.0.0.5:8080/plugins/deps/kubectl/{VERSION}/linux-amd64/kubectl/"
        "kubectl-linux-amd64"
    )
    assert parse_index(text, "local").entries[0].urls[0].platform == "linux/amd64"


# --- downloads and digests -----------------------------------------------------------------------


def test_download_verified_good_digest(server: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = server
    data = ARCHIVES["source_kubernetes_linux_amd64.tar.gz"]
    item = Download(
        f"{base}/{VERSION}/source_kubernetes_linux_amd64.tar.gz",
        "x.tar.gz",
        Checksum("sha256", sha256(data)),
        "k8s",
    )
    target = tmp_path / "out" / "x.tar.gz"
    assert download_verified(item, target) == (sha256(data), True)
    assert target.read_bytes() == data
    # a verified copy is kept, not fetched again
    assert download_verified(item, target) == (sha256(data), False)


def test_download_verified_bad_digest_leaves_nothing(
    server: tuple[str, Path], tmp_path: Path
) -> None:
    base, _ = server
    item = Download(
        f"{base}/{VERSION}/source_kubernetes_linux_amd64.tar.gz",
        "x.tar.gz",
        Checksum("sha256", "0" * 64),
        "source/kubernetes@v1.14.0 linux/amd64",
    )
    with pytest.raises(DigestMismatch, match="the index says 0000"):
        download_verified(item, tmp_path / "x.tar.gz")
    assert list(tmp_path.iterdir()) == [tmp_path / "upstream"]


def test_download_of_missing_file_is_environment(server: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = server
    item = Download(f"{base}/nope.tar.gz", "nope.tar.gz", None, "nope")
    with pytest.raises(EnvironmentUnavailable, match="HTTP 404"):
        download_verified(item, tmp_path / "nope.tar.gz")


# --- the whole mirror with stand-in tools --------------------------------------------------------


def _request(tmp_path: Path, base: str, **kw: Any) -> MirrorRequest:
    return MirrorRequest(
        directory=tmp_path / "mirror",
        botkube_version=VERSION,
        index_url=f"{base}/{VERSION}/plugins-index.yaml",
        chart=f"{base}/charts",
        base_url="http://172.18.0.1:8080",
        **kw,
    )


def test_mirror_end_to_end_with_stand_ins(
    server: tuple[str, Path], tools: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    base, _ = server
    env, log = tools
    lines: list[str] = []
    request = _request(tmp_path, base, images=("kindest/node:v1.31.0",), plugins=("kubernetes",))
    result = mirror(request, env, progress=lines.append)

    root = request.directory
    bot_tar = str(root / "images" / "ghcr.io_kubeshop_botkube_v1.14.0.tar")
    node_tar = str(root / "images" / "kindest_node_v1.31.0.tar")
    assert recorded(log) == [
        ["docker", "version", "--format", "{{.Server.Version}}"],
        ["docker", "pull", "ghcr.io/kubeshop/botkube:v1.14.0"],
        [
            "docker",
            "image",
            "inspect",
            "--format",
            "{{json .RepoDigests}}",
            "ghcr.io/kubeshop/botkube:v1.14.0",
        ],
        ["docker", "save", "--output", bot_tar, "ghcr.io/kubeshop/botkube:v1.14.0"],
        ["docker", "pull", "kindest/node:v1.31.0"],
        [
            "docker",
            "image",
            "inspect",
            "--format",
            "{{json .RepoDigests}}",
            "kindest/node:v1.31.0",
        ],
        ["docker", "save", "--output", node_tar, "kindest/node:v1.31.0"],
    ]
    assert (root / "plugins" / VERSION / "source_kubernetes_linux_amd64.tar.gz").read_bytes() == (
        ARCHIVES["source_kubernetes_linux_amd64.tar.gz"]
    )
    local = parse_index(
        (root / "plugins" / "plugins-index.yaml").read_text(encoding="utf-8"), "local"
    )
    assert [(e.key, [u.url for u in e.urls]) for e in local.entries] == [
        (
            "source/kubernetes@v1.14.0",
            [f"http://172.18.0.1:8080/{VERSION}/source_kubernetes_linux_amd64.tar.gz"],
        )
    ]
    assert result.manifest["chart"]["origin"] == f"{base}/charts/botkube-{VERSION}.tgz"
    assert result.manifest["chart"]["sha256"] == sha256(CHART_BYTES)
    assert result.manifest["chart"]["pinned"] is False  # test bytes, not upstream's
    assert (root / "charts" / f"botkube-{VERSION}.tgz").read_bytes() == CHART_BYTES
    assert result.manifest["images"][0]["repo_digests"] == [
        "ghcr.io/kubeshop/botkube@sha256:" + "ab" * 32
    ]
    assert verify_sums(root) == []
    assert sorted(result.files) == [
        "charts/botkube-v1.14.0.tgz",
        "images/ghcr.io_kubeshop_botkube_v1.14.0.tar",
        "images/kindest_node_v1.31.0.tar",
        "plugins/plugins-index.upstream.yaml",
        "plugins/plugins-index.yaml",
        f"plugins/{VERSION}/source_kubernetes_linux_amd64.tar.gz",
    ]
    assert any(line.startswith("plugin ") and "verified" in line for line in lines)
    # a file changed afterwards is caught by the offline re-check
    (root / "images" / "kindest_node_v1.31.0.tar").write_bytes(b"tampered")
    assert verify_sums(root) == ["images/kindest_node_v1.31.0.tar: sha256 differs"]


def test_mirror_refuses_a_chart_whose_digest_differs(
    server: tuple[str, Path], tools: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    base, root = server
    env, _ = tools
    (root / "charts" / f"botkube-{VERSION}.tgz").write_bytes(chart_tgz(VERSION, "v9.9.9"))
    with pytest.raises(ChartUnavailable, match=rf"sha256 \w+, expected {sha256(CHART_BYTES)}"):
        mirror(_request(tmp_path, base, with_images=False), env)
    assert not (tmp_path / "mirror" / "charts" / "botkube-v1.14.0.tgz").exists()
    assert not list((tmp_path / "cache").rglob("*.tgz"))  # nothing kept that failed the check


def test_mirror_without_docker_is_environment_before_any_download(
    server: tuple[str, Path], tools: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    base, _ = server
    env, log = tools
    (tmp_path / "bin" / "docker").unlink()
    env = {**env, "PATH": str(tmp_path / "bin")}
    with pytest.raises(EnvironmentUnavailable, match="docker not found on PATH"):
        mirror(_request(tmp_path, base), env)
    assert recorded(log) == []
    assert not (tmp_path / "mirror" / "plugins").exists()


def test_mirror_unknown_image_is_bad_input(
    server: tuple[str, Path], tools: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    base, _ = server
    env, _ = tools
    with pytest.raises(BadInput, match="manifest unknown"):
        mirror(_request(tmp_path, base, images=("example.invalid/missing:v0",)), env)


def test_image_archive_name() -> None:
    assert image_archive_name("kindest/node:v1.31.0@sha256:" + "0" * 64) == (
        "kindest_node_v1.31.0.tar"
    )


# --- the command: exit statuses ------------------------------------------------------------------


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_botkube.cli", "mirror", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_cli_ok(
    server: tuple[str, Path], tools: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    base, _ = server
    env, _ = tools
    out = _cli(
        [
            str(tmp_path / "m"),
            "--botkube-version",
            "1.14.0",
            "--plugin-index-url",
            f"{base}/{VERSION}/plugins-index.yaml",
            "--chart",
            f"{base}/charts",
            "--platform",
            "linux/arm64",
        ],
        env,
    )
    assert out.returncode == 0, out.stderr
    assert "kind load image-archive" in out.stdout
    assert (tmp_path / "m" / "plugins" / VERSION / "executor_kubectl_linux_arm64.tar.gz").is_file()


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (["--botkube-version", "latest"], 2, "expected a tag like v1.14.0"),
        (["--botkube-version", VERSION, "--platform", "linux"], 2, "expected OS/ARCH"),
        (["--botkube-version", VERSION, "--plugin", "helm"], 2, "plugin(s) helm not in the index"),
    ],
)
def test_cli_bad_input(
    server: tuple[str, Path],
    tools: tuple[dict[str, str], Path],
    tmp_path: Path,
    extra: list[str],
    code: int,
    message: str,
) -> None:
    base, _ = server
    env, _ = tools
    args = [str(tmp_path / "m"), "--plugin-index-url", f"{base}/{VERSION}/plugins-index.yaml"]
    out = _cli([*args, "--no-images", "--no-chart", *extra], env)
    assert out.returncode == code
    assert message in out.stderr
    assert out.stderr.startswith("botkube-repro mirror: error: ")
    assert "Traceback" not in out.stderr


def test_cli_without_network_is_environment(
    tools: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, _ = tools
    closed = "http://127.0.0.1:9/plugins-index.yaml"  # discard port: nothing listens
    out = _cli(
        [
            str(tmp_path / "m"),
            "--botkube-version",
            VERSION,
            "--plugin-index-url",
            closed,
            "--no-images",
            "--no-chart",
        ],
        env,
    )
    assert out.returncode == 3
    assert "cannot download http://127.0.0.1:9/plugins-index.yaml (no network?)" in out.stderr


def test_cli_without_docker_is_environment(
    tools: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, _ = tools
    (tmp_path / "bin" / "docker").unlink()
    out = _cli(
        [str(tmp_path / "m"), "--botkube-version", VERSION],
        {**env, "PATH": str(tmp_path / "bin")},
    )
    assert out.returncode == 3
    assert "docker not found on PATH" in out.stderr


def test_cli_digest_mismatch_is_a_problem(
    server: tuple[str, Path], tools: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    base, root = server
    env, _ = tools
    bad = root / VERSION / "bad-index.yaml"
    bad.write_text(
        index_yaml(base, checksums={"source_kubernetes_linux_amd64.tar.gz": "1" * 64}),
        encoding="utf-8",
    )
    out = _cli(
        [
            str(tmp_path / "m"),
            "--botkube-version",
            VERSION,
            "--plugin-index-url",
            f"{base}/{VERSION}/bad-index.yaml",
            "--no-images",
            "--no-chart",
        ],
        env,
    )
    assert out.returncode == 1
    assert "the index says 1111" in out.stderr


def test_rebase_points_an_existing_mirror_elsewhere(
    server: tuple[str, Path], tools: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    base, _ = server
    env, log = tools
    request = _request(tmp_path, base, with_images=False, with_chart=False)
    mirror(request, env)
    root = request.directory
    calls = len(recorded(log))
    assert rebase(root, "http://10.1.2.3:9000/p/") == "http://10.1.2.3:9000/p/plugins-index.yaml"
    index = parse_index((root / "plugins" / "plugins-index.yaml").read_text("utf-8"), "i")
    urls = [u.url for e in index.entries for u in e.urls]
    urls += [d for e in index.entries for u in e.urls for d in u.dependencies.values()]
    assert len(urls) == 3
    assert all(u.startswith("http://10.1.2.3:9000/p/") for u in urls)
    assert f"http://10.1.2.3:9000/p/{VERSION}/executor_kubectl_linux_amd64.tar.gz" in urls
    assert verify_sums(root) == []
    manifest = json.loads((root / "mirror.json").read_text("utf-8"))
    assert manifest["plugin_base_url"] == "http://10.1.2.3:9000/p/"
    assert len(recorded(log)) == calls  # nothing was run or downloaded


def test_rebase_refuses_a_directory_that_is_not_a_mirror(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="not a mirror written by"):
        rebase(tmp_path, "http://10.0.0.1:8080")


def test_cli_rebase_and_missing_version(tools: tuple[dict[str, str], Path], tmp_path: Path) -> None:
    env, _ = tools
    out = _cli([str(tmp_path / "m")], env)
    assert out.returncode == 2
    assert "one of the arguments --botkube-version --rebase is required" in out.stderr
    out = _cli([str(tmp_path / "m"), "--botkube-version", "v1.13.0", "--rebase", "http://x"], env)
    assert out.returncode == 2
    assert "not allowed with argument" in out.stderr
    assert not (tmp_path / "m").exists()
    usage = _cli(["--help"], env).stdout
    assert "(--botkube-version V | --rebase URL)" in " ".join(usage.split())
    assert "(required)" not in usage
    out = _cli([str(tmp_path), "--rebase", "http://10.0.0.1:8080"], env)
    assert out.returncode == 2
    assert "not a mirror" in out.stderr


def _real_helm() -> Path:
    from doubles.get_helm import cached_helm

    for candidate in (os.environ.get("BOTKUBE_REAL_HELM"), cached_helm()):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    pytest.skip("no real helm binary: run `python tests/doubles/get_helm.py`")


def test_real_helm_pull_matches_the_argv_and_the_repo_digest(
    server: tuple[str, Path], tmp_path: Path
) -> None:
    """A repository made by the real helm v3 (`helm package`, `helm repo index --url`): the
    mirror finds the tarball through the index and checks the digest helm recorded."""
    helm = _real_helm()
    base, root = server
    bindir = tmp_path / "realbin"
    bindir.mkdir()
    (bindir / "helm").symlink_to(helm)
    env = {
        "PATH": f"{bindir}{os.pathsep}/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "HELM_CACHE_HOME": str(tmp_path / "helm" / "cache"),
        "HELM_CONFIG_HOME": str(tmp_path / "helm" / "config"),
        "HELM_DATA_HOME": str(tmp_path / "helm" / "data"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    chart = tmp_path / "src" / "botkube"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v1\nname: botkube\nversion: v1.14.0\nappVersion: v1.14.0\n", encoding="utf-8"
    )
    (chart / "values.yaml").write_text("image:\n  tag: v1.14.0\n", encoding="utf-8")
    repo = root / "charts"
    for path in repo.iterdir():
        path.unlink()
    run = [str(helm), "package", str(chart), "--destination", str(repo)]
    subprocess.run(run, env=env, check=True, capture_output=True, timeout=60)
    index = [str(helm), "repo", "index", str(repo), "--url", f"{base}/charts"]
    subprocess.run(index, env=env, check=True, capture_output=True, timeout=60)
    packaged = (repo / "botkube-v1.14.0.tgz").read_bytes()

    result = mirror(_request(tmp_path, base, with_images=False), env)

    assert result.manifest["chart"]["origin"] == f"{base}/charts/botkube-v1.14.0.tgz"
    assert result.files["charts/botkube-v1.14.0.tgz"] == sha256(packaged)


def test_a_failed_mirror_leaves_nothing_it_created(
    tools: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, _ = tools
    closed = "http://127.0.0.1:9/plugins-index.yaml"  # discard port: nothing listens
    args = ["--botkube-version", VERSION, "--plugin-index-url", closed, "--no-images", "--no-chart"]
    out = _cli([str(tmp_path / "new" / "m"), *args], env)
    assert out.returncode == 3
    assert not (tmp_path / "new").exists()  # nor the parent it made for it
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "mine.txt").write_text("the user's", encoding="utf-8")
    out = _cli([str(existing), *args], env)
    assert out.returncode == 3
    assert sorted(p.name for p in existing.iterdir()) == ["mine.txt"]  # kept, nothing added
