"""Everything a machine without internet needs for a live run, prepared on one that has it.

BotKube fetches its plugins *at runtime*: the agent downloads ``plugins.repositories.<repo>.url``
(a YAML plugin index) and then, per enabled plugin, the archive the index lists for the pod's
``os/arch``, checking it against the index's ``checksum`` (go-getter, sha256 hex). An air-gapped
cluster therefore needs a self-hosted copy of the index whose URLs point at a local server, plus
the container image and the chart. This module:

- parses and validates a plugin index in the upstream layout (``pkg/plugin/index.go`` at v1.14.0:
  ``entries[]`` of ``name``, ``type`` (source|executor), ``version``, ``urls[]`` with ``url``,
  ``checksum``, ``platform.{os,architecture}`` and optional ``dependencies.<name>.url``), with the
  same rules upstream's ``Index.Validate`` applies, so a broken index fails here, not in the pod;
- plans the downloads (selected plugins x platforms, plus their dependencies) and rewrites the
  index to a local base URL, keeping every other field;
- downloads over HTTP with urllib, verifying each file against its digest;
- saves images with ``docker save`` (for ``kind load image-archive``) and copies the chart
  tarball the live run would install: fetched from the same ordered source list and checked
  against the same pinned sha256 (``live/chart.py``).

Executables are found on the PATH of the environment passed in (stand-ins in tests) and run as argv
lists with timeouts through ``cluster.tools``.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from pytest_botkube.errors import BadInput, BotkubeReproError, EnvironmentUnavailable
from pytest_botkube.live.chart import CHART_NAME, ChartFetcher, parse_chart_spec
from pytest_botkube.live.download import (
    DownloadFailed,
    WrongDigest,
    download_file,
    user_cache_root,
)
from pytest_botkube.live.preflight import BOTKUBE_IMAGE, PLUGIN_INDEX_URL
from pytest_botkube.live.tools import CommandFailed, check_docker, find_tool, run
from pytest_botkube.yamlio import parse_yaml

PLUGIN_TYPES = ("source", "executor")
DEFAULT_INDEX_URL = PLUGIN_INDEX_URL  # what the agent fetches, and the preflight checks
IMAGE = BOTKUBE_IMAGE
DEFAULT_PLATFORMS = ("linux/amd64",)
DEFAULT_BASE_URL = "http://localhost:8080"
HTTP_TIMEOUT = 60.0
DOCKER_TIMEOUT = 900.0
_CHUNK = 1 << 16

# go-getter guesses the algorithm of an unprefixed checksum from its length.
_ALGORITHM_BY_HEX_LENGTH = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}
_VERSION = re.compile(r"v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?")


class DigestMismatch(BotkubeReproError):
    """A downloaded file is not what the index or the chart repository says it is."""


@dataclass(frozen=True)
class Checksum:
    algorithm: str  # a hashlib name: md5, sha1, sha256, sha512
    hexdigest: str

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hexdigest}"


def parse_checksum(text: str) -> Checksum:
    """``sha256:<hex>`` or bare hex (algorithm from its length, as go-getter does)."""
    algorithm, sep, value = text.strip().partition(":")
    if not sep:
        algorithm, value = "", algorithm
    value = value.lower()
    if not re.fullmatch(r"[0-9a-f]+", value):
        raise ValueError(f"checksum {text!r} is not hexadecimal")
    guessed = _ALGORITHM_BY_HEX_LENGTH.get(len(value))
    algorithm = algorithm.lower() or (guessed or "")
    if algorithm not in _ALGORITHM_BY_HEX_LENGTH.values():
        raise ValueError(f"checksum {text!r}: unknown algorithm or length")
    if guessed != algorithm:
        raise ValueError(f"checksum {text!r}: {len(value)} hex digits is not {algorithm}")
    return Checksum(algorithm, value)


@dataclass(frozen=True)
class IndexUrl:
    url: str
    os: str
    arch: str
    checksum: Checksum | None
    dependencies: Mapping[str, str] = field(default_factory=dict)  # name -> url

    @property
    def platform(self) -> str:
        return f"{self.os}/{self.arch}"


@dataclass(frozen=True)
class IndexEntry:
    name: str
    type: str
    version: str
    urls: tuple[IndexUrl, ...]

    @property
    def key(self) -> str:
        return f"{self.type}/{self.name}@{self.version}"


@dataclass(frozen=True)
class PluginIndex:
    entries: tuple[IndexEntry, ...]
    data: Mapping[str, Any]  # the parsed YAML, kept whole so a rewrite loses no field


def _str_field(
    doc_error: Callable[[Sequence[str | int], str], BadInput],
    item: Mapping[str, Any],
    path: tuple[str | int, ...],
    key: str,
    *,
    required: bool = True,
) -> str:
    value = item.get(key)
    if value is None or value == "":
        if required:
            raise doc_error((*path, key), "is required and cannot be empty")
        return ""
    if not isinstance(value, str | int | float):
        raise doc_error((*path, key), f"must be a string, got {type(value).__name__}")
    return str(value)


def parse_index(text: str, name: str) -> PluginIndex:
    """Parse and validate a plugin index; errors name the file, line and key path."""
    doc = parse_yaml(text, name, helm=False)  # BotKube decodes it into string fields
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise doc.error(("entries",), "a plugin index is a mapping with an `entries` list")
    seen: dict[tuple[str, str, str], int] = {}
    entries: list[IndexEntry] = []
    for i, item in enumerate(data["entries"]):
        path: tuple[str | int, ...] = ("entries", i)
        if not isinstance(item, dict):
            raise doc.error(path, "each entry must be a mapping")
        entry_name = _str_field(doc.error, item, path, "name")
        entry_type = _str_field(doc.error, item, path, "type")
        version = _str_field(doc.error, item, path, "version")
        if entry_type not in PLUGIN_TYPES:
            raise doc.error((*path, "type"), f"must be one of {', '.join(PLUGIN_TYPES)}")
        key = (entry_type, entry_name, version)
        if key in seen:
            raise doc.error(
                path, f"same type, name and version as entries[{seen[key]}] ({entry_name})"
            )
        seen[key] = i
        raw_urls = item.get("urls")
        if not isinstance(raw_urls, list) or not raw_urls:
            raise doc.error((*path, "urls"), "is required and cannot be empty")
        urls: list[IndexUrl] = []
        for j, raw in enumerate(raw_urls):
            upath: tuple[str | int, ...] = (*path, "urls", j)
            if not isinstance(raw, dict):
                raise doc.error(upath, "each url must be a mapping")
            url = _str_field(doc.error, raw, upath, "url")
            platform = raw.get("platform")
            if not isinstance(platform, dict):
                raise doc.error((*upath, "platform"), "needs `os` and `architecture`")
            os_name = _str_field(doc.error, platform, (*upath, "platform"), "os")
            arch = _str_field(doc.error, platform, (*upath, "platform"), "architecture")
            checksum_text = _str_field(doc.error, raw, upath, "checksum", required=False)
            try:
                checksum = parse_checksum(checksum_text) if checksum_text else None
            except ValueError as exc:
                raise doc.error((*upath, "checksum"), str(exc)) from None
            deps: dict[str, str] = {}
            raw_deps = raw.get("dependencies") or {}
            if not isinstance(raw_deps, dict):
                raise doc.error((*upath, "dependencies"), "must be a mapping of name to {url}")
            for dep_name, dep in raw_deps.items():
                dpath = (*upath, "dependencies", str(dep_name))
                if not isinstance(dep, dict):
                    raise doc.error(dpath, "must be a mapping with `url`")
                deps[str(dep_name)] = _str_field(doc.error, dep, dpath, "url")
            urls.append(IndexUrl(url, os_name, arch, checksum, deps))
        entries.append(IndexEntry(entry_name, entry_type, version, tuple(urls)))
    return PluginIndex(tuple(entries), data)


@dataclass(frozen=True)
class Download:
    """One file to fetch for the mirror, and where it goes under ``DIR/plugins``."""

    url: str
    path: str  # POSIX path relative to the plugins directory
    checksum: Checksum | None  # None for dependencies: upstream gives no digest for them
    what: str  # e.g. "source/kubernetes@v1.14.0 linux/amd64"


def _basename(url: str) -> str:
    if "::" in url.split("://", 1)[0]:
        raise BadInput(f"{url}: go-getter forced getters (`git::`, `s3::`) cannot be mirrored")
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https", "file"):
        raise BadInput(f"{url}: only http(s) and file URLs can be mirrored")
    name = PurePosixPath(urllib.parse.unquote(parsed.path)).name
    if not name or name in (".", ".."):
        raise BadInput(f"{url}: the URL names no file")
    return name


def _plugin_name(selector: str) -> str:
    """``botkube/kubernetes@v1.14.0`` or ``kubernetes`` -> ``kubernetes``."""
    return selector.split("@", 1)[0].rsplit("/", 1)[-1]


def plan_downloads(
    index: PluginIndex,
    *,
    plugins: Collection[str] | None = None,
    platforms: Collection[str] = DEFAULT_PLATFORMS,
) -> list[Download]:
    """The files to mirror: every selected plugin (all, if ``plugins`` is None) for each
    platform, and each of their dependencies. Unknown plugins or platforms are ``BadInput``."""
    wanted = {_plugin_name(p) for p in plugins} if plugins else None
    if wanted is not None:
        missing = sorted(wanted - {e.name for e in index.entries})
        if missing:
            known = ", ".join(sorted({e.name for e in index.entries}))
            raise BadInput(f"plugin(s) {', '.join(missing)} not in the index (it has: {known})")
    plan: list[Download] = []
    seen_paths: dict[str, str] = {}
    for entry in index.entries:
        if wanted is not None and entry.name not in wanted:
            continue
        by_platform = {u.platform: u for u in entry.urls}
        for platform in platforms:
            url = by_platform.get(platform)
            if url is None:
                have = ", ".join(sorted(by_platform))
                raise BadInput(f"{entry.key} has no download for {platform} (it has: {have})")
            items = [
                Download(
                    url.url,
                    f"{entry.version}/{_basename(url.url)}",
                    url.checksum,
                    f"{entry.key} {platform}",
                )
            ]
            for dep_name, dep_url in sorted(url.dependencies.items()):
                items.append(
                    Download(
                        dep_url,
                        f"deps/{entry.name}/{entry.version}/{url.os}-{url.arch}/{dep_name}/"
                        f"{_basename(dep_url)}",
                        None,
                        f"{entry.key} {platform} dependency {dep_name}",
                    )
                )
            for item in items:
                if seen_paths.get(item.path, item.url) != item.url:
                    raise BadInput(
                        f"{item.url} and {seen_paths[item.path]} would both be saved as {item.path}"
                    )
                if item.path not in seen_paths:
                    seen_paths[item.path] = item.url
                    plan.append(item)
    return plan


def local_url(base_url: str, download: Download) -> str:
    """Where the self-hosted copy of ``download`` is served; go-getter query options kept."""
    query = urllib.parse.urlsplit(download.url).query
    quoted = urllib.parse.quote(download.path)
    return f"{base_url.rstrip('/')}/{quoted}" + (f"?{query}" if query else "")


def rewrite_index(
    index: PluginIndex, plan: Sequence[Download], base_url: str, platforms: Collection[str]
) -> dict[str, Any]:
    """The index for the air-gapped agent: only mirrored entries and platforms, URLs rebased.

    Every other field (description, jsonSchema, checksum, ...) is kept as upstream wrote it.
    """
    rebased = {d.url: local_url(base_url, d) for d in plan}
    mirrored = {d.what.split(" ", 1)[0] for d in plan}
    out = {k: v for k, v in index.data.items() if k != "entries"}
    entries: list[dict[str, Any]] = []
    for entry, raw in zip(index.entries, index.data["entries"], strict=True):
        if entry.key not in mirrored:
            continue
        new_entry = dict(raw)
        new_urls = []
        for raw_url in raw["urls"]:
            platform = f"{raw_url['platform']['os']}/{raw_url['platform']['architecture']}"
            if platform not in platforms:
                continue
            new_url = dict(raw_url)
            new_url["url"] = rebased[str(raw_url["url"])]
            if raw_url.get("dependencies"):
                new_url["dependencies"] = {
                    name: {**dep, "url": rebased[str(dep["url"])]}
                    for name, dep in raw_url["dependencies"].items()
                }
            new_urls.append(new_url)
        new_entry["urls"] = new_urls
        entries.append(new_entry)
    out["entries"] = entries
    return out


# --- downloads -----------------------------------------------------------------------------------


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    digest = hashlib.new(algorithm)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


_SCHEMES = ("http", "https", "file")


def _check_scheme(url: str) -> None:
    if urllib.parse.urlsplit(url).scheme not in _SCHEMES:
        raise BadInput(f"{url}: only http(s) and file URLs are supported")


def _open(url: str, timeout: float) -> Any:
    _check_scheme(url)
    return urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 - scheme checked above


def fetch_bytes(url: str, *, timeout: float = HTTP_TIMEOUT, what: str = "") -> bytes:
    """GET ``url``; 404 is bad input (wrong version or URL), other failures are environment."""
    try:
        with _open(url, timeout) as response:
            data: bytes = response.read()
            return data
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise BadInput(f"{what or url}: {url} does not exist (HTTP 404)") from None
        raise EnvironmentUnavailable(f"cannot download {url}: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise EnvironmentUnavailable(f"cannot download {url} (no network?): {reason}") from None


def download_verified(
    item: Download, destination: Path, *, timeout: float = HTTP_TIMEOUT
) -> tuple[str, bool]:
    """Fetch ``item`` to ``destination`` unless a verified copy is there; returns (sha256,
    downloaded). A digest mismatch leaves no file behind and raises ``DigestMismatch``."""
    checksum = item.checksum
    if (
        checksum is not None
        and destination.is_file()
        and file_digest(destination, checksum.algorithm) == checksum.hexdigest
    ):
        return file_digest(destination), False
    _check_scheme(item.url)
    try:
        sha256 = download_file(
            item.url,
            destination,
            timeout=timeout,
            expected=(checksum.algorithm, checksum.hexdigest) if checksum else None,
            schemes=_SCHEMES,
        )
    except DownloadFailed as exc:
        if exc.status is not None:
            raise EnvironmentUnavailable(
                f"cannot download {item.what}: {item.url} answered HTTP {exc.status}"
            ) from None
        raise EnvironmentUnavailable(
            f"cannot download {item.what} from {item.url} (no network?): {exc.reason}"
        ) from None
    except WrongDigest as exc:
        raise DigestMismatch(
            f"{item.what}: {item.url} has {exc.algorithm} {exc.actual}, "
            f"the index says {exc.expected}; nothing was saved"
        ) from None
    return sha256, True


# --- chart and images ----------------------------------------------------------------------------


def docker_pull_argv(docker: str, image: str) -> list[str]:
    return [docker, "pull", image]


def docker_save_argv(docker: str, image: str, output: Path) -> list[str]:
    """``docker save --output FILE IMAGE``: the archive ``kind load image-archive`` reads."""
    return [docker, "save", "--output", str(output), image]


def docker_inspect_argv(docker: str, image: str) -> list[str]:
    return [docker, "image", "inspect", "--format", "{{json .RepoDigests}}", image]


def image_archive_name(image: str) -> str:
    """``ghcr.io/kubeshop/botkube:v1.14.0`` -> ``ghcr.io_kubeshop_botkube_v1.14.0.tar``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", image.split("@", 1)[0]) + ".tar"


# --- the whole mirror ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MirrorRequest:
    directory: Path
    botkube_version: str
    images: tuple[str, ...] = ()  # extra images (e.g. the kind node image)
    plugins: tuple[str, ...] = ()  # empty: every plugin in the index
    platforms: tuple[str, ...] = DEFAULT_PLATFORMS
    index_url: str = ""  # default: the release asset for botkube_version
    base_url: str = DEFAULT_BASE_URL
    chart: str | None = None  # --chart: None is the default source list (see live/chart.py)
    with_images: bool = True
    with_chart: bool = True

    def validate(self) -> None:
        if not _VERSION.fullmatch(self.botkube_version):
            raise BadInput(
                f"--botkube-version {self.botkube_version!r}: expected a tag like v1.14.0 "
                "(the `v` is part of BotKube's chart and image versions)"
            )
        for platform in self.platforms:
            if not re.fullmatch(r"[a-z0-9]+/[a-z0-9]+", platform):
                raise BadInput(f"--platform {platform!r}: expected OS/ARCH, e.g. linux/amd64")
        parsed = urllib.parse.urlsplit(self.base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise BadInput(f"--plugin-base-url {self.base_url!r}: expected an http(s) URL")
        if self.directory.exists() and not self.directory.is_dir():
            raise BadInput(f"{self.directory}: exists and is not a directory")

    @property
    def plugin_index_url(self) -> str:
        return self.index_url or DEFAULT_INDEX_URL.format(version=self.botkube_version)

    @property
    def all_images(self) -> tuple[str, ...]:
        return (IMAGE.format(version=self.botkube_version), *self.images)


@dataclass
class MirrorResult:
    manifest: dict[str, Any]
    files: dict[str, str]  # bundle-relative path -> sha256


def _say(progress: Callable[[str], None] | None, line: str) -> None:
    if progress is not None:
        progress(line)


def _tool(name: str, env: Mapping[str, str], explicit: str | None) -> str:
    return str(find_tool(name, env, explicit))


def _run_tool(argv: Sequence[str], env: Mapping[str, str], timeout: float, what: str) -> str:
    try:
        return run(argv, timeout=timeout, env=env).stdout
    except CommandFailed as exc:
        text = (exc.stderr or str(exc)).lower()
        if "not found" in text or "manifest unknown" in text or "no such image" in text:
            raise BadInput(f"{what}: {exc}") from None
        raise EnvironmentUnavailable(f"{what}: {exc}") from None


def mirror(
    request: MirrorRequest,
    env: Mapping[str, str],
    *,
    docker: str | None = None,
    progress: Callable[[str], None] | None = None,
    charts: ChartFetcher | None = None,
) -> MirrorResult:
    """Prepare ``request.directory`` for an air-gapped run; see the module docstring.

    Tools are resolved and the daemon checked before anything is downloaded, so a missing Docker
    is reported at once. ``env`` is the environment the tools see (PATH first); it is copied.
    ``charts`` fetches the chart (default: ``request.chart`` cached under the user's cache).
    """
    request.validate()
    root = request.directory
    # What this call creates goes again if it fails: the topmost missing directory of the path
    # (never one that existed before), or, in an existing mirror, the sub-directories it adds.
    if root.exists():
        created = [
            root / sub for sub in ("plugins", "charts", "images") if not (root / sub).exists()
        ]
    else:
        top = root
        while not top.parent.exists():
            top = top.parent
        created = [top]
    try:
        return _mirror_into(request, env, docker=docker, progress=progress, charts=charts)
    except BaseException:
        for directory in created:
            shutil.rmtree(directory, ignore_errors=True)
        raise


def _mirror_into(
    request: MirrorRequest,
    env: Mapping[str, str],
    *,
    docker: str | None,
    progress: Callable[[str], None] | None,
    charts: ChartFetcher | None,
) -> MirrorResult:
    root = request.directory
    root.mkdir(parents=True, exist_ok=True)
    env = dict(env)
    docker_path = ""
    if request.with_chart and charts is None:
        spec = parse_chart_spec(request.chart, "--chart")
        if spec.kind == "directory":
            raise BadInput(
                f"--chart {spec.location}: a mirror keeps a chart archive; package the "
                "directory first (`helm package DIR`) and pass the .tgz"
            )
        charts = ChartFetcher(spec, user_cache_root(env) / "charts")
    if request.with_images:
        docker_path = _tool("docker", env, docker)
        check_docker(Path(docker_path), env)

    files: dict[str, str] = {}
    manifest: dict[str, Any] = {
        "botkube_version": request.botkube_version,
        "platforms": list(request.platforms),
        "plugin_base_url": request.base_url,
    }

    # plugin index and archives
    index_url = request.plugin_index_url
    _say(progress, f"plugin index  {index_url}")
    index_text = fetch_bytes(index_url, what="plugin index").decode("utf-8")
    index = parse_index(index_text, index_url)
    plan = plan_downloads(index, plugins=request.plugins or None, platforms=request.platforms)
    plugins_dir = root / "plugins"
    plugins_dir.mkdir(parents=True, exist_ok=True)
    (plugins_dir / "plugins-index.upstream.yaml").write_text(index_text, encoding="utf-8")
    mirrored: list[dict[str, Any]] = []
    for item in plan:
        sha256, fetched = download_verified(item, plugins_dir / item.path)
        state = "verified" if item.checksum else "no upstream digest, sha256 recorded"
        kept = "new" if fetched else "kept"
        _say(progress, f"plugin        {item.what}: {item.path} ({kept}, {state})")
        files[f"plugins/{item.path}"] = sha256
        mirrored.append(
            {
                "what": item.what,
                "upstream_url": item.url,
                "path": f"plugins/{item.path}",
                "local_url": local_url(request.base_url, item),
                "checksum": str(item.checksum) if item.checksum else None,
                "sha256": sha256,
            }
        )
    local_index = rewrite_index(index, plan, request.base_url, request.platforms)
    index_path = plugins_dir / "plugins-index.yaml"
    index_path.write_text(yaml.safe_dump(local_index, sort_keys=False), encoding="utf-8")
    parse_index(index_path.read_text(encoding="utf-8"), str(index_path))  # still valid upstream
    files["plugins/plugins-index.yaml"] = file_digest(index_path)
    files["plugins/plugins-index.upstream.yaml"] = file_digest(
        plugins_dir / "plugins-index.upstream.yaml"
    )
    manifest["plugins"] = mirrored
    manifest["plugin_index"] = {
        "upstream_url": index_url,
        "path": "plugins/plugins-index.yaml",
        "url": f"{request.base_url.rstrip('/')}/plugins-index.yaml",
    }

    # chart: the bytes a live run installs, from the same sources, checked the same way
    if request.with_chart:
        assert charts is not None
        chart = charts.get(request.botkube_version)
        for skipped in chart.skipped:
            _say(progress, f"chart         skipped {skipped}")
        _say(progress, f"chart         {chart.describe()}")
        charts_dir = root / "charts"
        charts_dir.mkdir(parents=True, exist_ok=True)
        tgz = charts_dir / f"{CHART_NAME}-{request.botkube_version}.tgz"
        shutil.copyfile(chart.path, tgz)
        actual = file_digest(tgz)
        if chart.sha256 is not None and actual != chart.sha256:  # changed while copying
            tgz.unlink()
            raise DigestMismatch(f"{tgz}: sha256 {actual} after copying, expected {chart.sha256}")
        files[f"charts/{tgz.name}"] = actual
        manifest["chart"] = {
            "path": f"charts/{tgz.name}",
            "origin": chart.origin,
            "sha256": actual,
            "pinned": chart.pinned,
            "skipped_sources": list(chart.skipped),
        }

    # images
    if request.with_images:
        images_dir = root / "images"
        images_dir.mkdir(parents=True, exist_ok=True)
        saved: list[dict[str, Any]] = []
        for image in request.all_images:
            archive = images_dir / image_archive_name(image)
            _say(progress, f"image         docker pull {image}")
            _run_tool(docker_pull_argv(docker_path, image), env, DOCKER_TIMEOUT, f"pull {image}")
            raw = _run_tool(docker_inspect_argv(docker_path, image), env, 60.0, f"inspect {image}")
            try:
                repo_digests = [str(d) for d in json.loads(raw or "null") or []]
            except json.JSONDecodeError:
                repo_digests = []
            _say(progress, f"image         docker save --output {archive.name} {image}")
            _run_tool(docker_save_argv(docker_path, image, archive), env, DOCKER_TIMEOUT, image)
            if not archive.is_file():
                raise EnvironmentUnavailable(f"docker save reported success but wrote no {archive}")
            sha256 = file_digest(archive)
            files[f"images/{archive.name}"] = sha256
            saved.append(
                {
                    "image": image,
                    "path": f"images/{archive.name}",
                    "repo_digests": repo_digests,
                    "sha256": sha256,
                }
            )
        manifest["images"] = saved

    manifest["files"] = dict(sorted(files.items()))
    (root / "mirror.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (root / "SHA256SUMS").write_text(
        "".join(f"{digest}  {path}\n" for path, digest in sorted(files.items())),
        encoding="utf-8",
    )
    return MirrorResult(manifest, files)


def _rebase_url(url: str, old: str, new: str) -> str:
    old = old.rstrip("/") + "/"
    if not url.startswith(old):
        raise BadInput(f"{url} is not under the mirror's base URL {old}")
    return new.rstrip("/") + "/" + url[len(old) :]


def rebase(root: Path, base_url: str) -> str:
    """Point an existing mirror's index at ``base_url`` (the address only the offline machine
    knows, e.g. the kind network gateway), without downloading anything. Returns the index URL.
    """
    manifest_path = root / "mirror.json"
    index_path = root / "plugins" / "plugins-index.yaml"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        old = str(manifest["plugin_base_url"])
    except (OSError, ValueError, KeyError, TypeError):
        raise BadInput(f"{root}: not a mirror written by `botkube-repro mirror`") from None
    parsed = urllib.parse.urlsplit(base_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise BadInput(f"--rebase {base_url!r}: expected an http(s) URL")
    index = parse_index(index_path.read_text(encoding="utf-8"), str(index_path))
    data = dict(index.data)
    for entry in data["entries"]:
        for item in entry["urls"]:
            item["url"] = _rebase_url(str(item["url"]), old, base_url)
            for dep in (item.get("dependencies") or {}).values():
                dep["url"] = _rebase_url(str(dep["url"]), old, base_url)
    index_path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    manifest["plugin_base_url"] = base_url
    for item in manifest.get("plugins", []):
        item["local_url"] = _rebase_url(str(item["local_url"]), old, base_url)
    index_url = f"{base_url.rstrip('/')}/plugins-index.yaml"
    manifest["plugin_index"]["url"] = index_url
    manifest["files"]["plugins/plugins-index.yaml"] = file_digest(index_path)
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (root / "SHA256SUMS").write_text(
        "".join(f"{digest}  {path}\n" for path, digest in sorted(manifest["files"].items())),
        encoding="utf-8",
    )
    return index_url


def verify_sums(root: Path) -> list[str]:
    """Problems found re-checking ``SHA256SUMS`` (e.g. on the air-gapped machine); [] if none."""
    problems: list[str] = []
    sums = root / "SHA256SUMS"
    if not sums.is_file():
        return [f"{sums}: missing"]
    for line in sums.read_text(encoding="utf-8").splitlines():
        digest, _, rel = line.partition("  ")
        path = root / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
        elif file_digest(path) != digest:
            problems.append(f"{rel}: sha256 differs")
    return problems
