"""The BotKube chart as a local file: fetched by URL, checked by digest, cached.

``charts.botkube.io`` is a custom domain over the ``gh-pages`` branch of kubeshop/botkube; it
lapsed once (upstream #1497) and the project is unmaintained, so a run must not depend on it.
The index on either host lists tarball URLs on ``charts.botkube.io`` only, so following an index
would not help: every chart is fetched as ``<source>/botkube-<version>.tgz`` from an ordered
list of sources (the custom domain, then the same branch through GitHub's raw file host and
through jsDelivr's GitHub mirror), and must match the sha256 pinned below for that version
(:data:`CHART_SHA256`: the digests of upstream's ``gh-pages`` ``index.yaml``, re-checked
against the tarballs' own bytes). A source that is down, answers an error or serves other
bytes is skipped with the reason; when none serves the pinned bytes, the run cannot happen
(:class:`ChartUnavailable`, exit status 3) and the message lists every source tried.

For a version not pinned here, the source's ``index.yaml`` gives the digest (a version with no
digest anywhere is refused). ``--botkube-chart`` (``run --chart``) takes instead:

- a Helm repository URL (a mirror, a fork's own repository): its ``index.yaml`` names the
  tarball and its sha256, as for ``helm pull``; the chart is used when the bytes match the
  index, and says whether they are also upstream's pinned ones;
- a ``.tgz`` file or URL, or a chart directory (a checkout's ``helm/botkube``): the user's own
  chart, used as it is for every scenario whose version is the chart's ``appVersion``; another
  scenario cannot run with it (:func:`version_mismatch`), since the chart sets the image tag.

Fetched tarballs are kept under the user's cache directory
(``$XDG_CACHE_HOME/pytest-botkube/charts/<sha256>/botkube-<version>.tgz``); a cached file is
re-hashed before it is used, so a damaged cache is fetched again, never trusted.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from pytest_botkube.errors import BadInput, BotkubeReproError, EnvironmentUnavailable, ExitCode
from pytest_botkube.live.download import DownloadFailed, WrongDigest, download_file

CHART_NAME = "botkube"
#: Where the upstream chart tarballs are, in the order tried (all the gh-pages branch).
DEFAULT_SOURCES: tuple[str, ...] = (
    "https://charts.botkube.io",
    "https://raw.githubusercontent.com/kubeshop/botkube/gh-pages",
    "https://cdn.jsdelivr.net/gh/kubeshop/botkube@gh-pages",
)
#: sha256 of ``botkube-<version>.tgz`` for every v1.x release, from upstream's gh-pages
#: ``index.yaml`` (commit 0cb16e2d, 2024-11-13, the last release) and equal to the sha256 of
#: the tarball files on that branch.
CHART_SHA256: Mapping[str, str] = {
    "v1.0.0": "670deac6cdf6991dc0fef430221cae3e0d5ebddd473b65d1562a3f9c3e0daaaf",
    "v1.0.1": "3488908079acaf5192349bd1f9f3d61acaf108c9c585926b0798cdb6d8fc9e9e",
    "v1.1.0": "aa95636e08d27eb60acdb4dc670ef90df0cc3db1937c135c2e157215aac0b1bf",
    "v1.1.1": "bb7943566bab419926a50a116cea865bad312f22caf2a676d96b35c8adc1087b",
    "v1.2.0": "e9f24cf0abf93b018f09b55df6e9a7390f360d3adc2bfbcdeda0ce5763644bcc",
    "v1.3.0": "6433adad96953a66357a987e9d5f56db07a6fab6c7e2748ca8b4a2db6ebacfeb",
    "v1.4.0": "2a4e469df4dd88c2f8ba5ce2b8d520b44a19a31d548b57ccf0f1d1b73e100709",
    "v1.4.1": "f99589fb6dc5550fb182cd8e5868ed2f877ef67b600c64d478232b1fe5c8f8e7",
    "v1.5.0": "80627f0f48164288cc4e1b6ca53acc8bdc592744c327b6e591bdce0fee1a8dc4",
    "v1.6.0": "44d193e746ddb04f9083ad9726efd7eb00b4c27f2a0c3425854462c8f72ddf49",
    "v1.7.0": "9fe34b90e9b1f31899e644868dab4d9bf8a2646a780f62f0ef459d9c87f683f7",
    "v1.8.0": "149493a325f1b86402f78c389653a1902bac45a900121df5907082a74fafd522",
    "v1.9.0": "b43505f1b35caf58ab66ef1fdb5135b70d42d24fcfb0073b3edcd2082c9afb97",
    "v1.9.1": "1547506069984d94c1467ade44facced309d200579e0e5a1449a4970dc9cf837",
    "v1.10.0": "01bbd5e668ae1297d2b962c76e9122d68fba91841bcaeb08700681e2ea36e636",
    "v1.11.0": "eebb77d382ae6d7512071464dc06baf3a451aec554128919bee84c2827e19893",
    "v1.12.0": "c8b3f3278881d70ddc740f0dde54bbefc2a5f123d73282b57414df1d94592785",
    "v1.13.0": "ed1efd052e35085644623dce496289a6a44b00d9e63df640c0938b31394c4f85",
    "v1.14.0": "87ddb70ff1273ea00326175c2f185fd8fa6206290e7c778cc6cb1acab6088dd2",
}
DOWNLOAD_TIMEOUT = 60.0
SCHEMES = ("https", "http", "file")
_CHART_YAML_LIMIT = 1 << 20  # a Chart.yaml larger than this is not a chart's
_CHUNK = 1 << 16

SpecKind = Literal["sources", "tarball", "directory"]


class ChartUnavailable(EnvironmentUnavailable):
    """No source served the chart with the right digest; ``tried`` says what each did."""

    def __init__(self, what: str, tried: Sequence[str]) -> None:
        super().__init__(
            f"cannot get the BotKube chart {what}: " + "; ".join(tried)
            + "; check the network, or pass --botkube-chart "
            "with a .tgz file or a chart directory"
        )  # fmt: skip
        self.tried = list(tried)


class ChartVersionMismatch(BotkubeReproError):
    """The user's chart is another BotKube version than the scenario's (it sets the image)."""

    exit_code = ExitCode.BAD_INPUT


@dataclass(frozen=True)
class ChartSpec:
    """Where ``--botkube-chart`` says the chart comes from."""

    kind: SpecKind = "sources"
    sources: tuple[str, ...] = DEFAULT_SOURCES  # kind "sources": repository base URLs
    location: str = ""  # kind "tarball" (path or URL) or "directory"
    use_index: bool = False  # a user's repository: its index.yaml names tarball and digest

    @property
    def local(self) -> bool:
        """The user's own chart: one version for every scenario, no pinned digest."""
        return self.kind != "sources"

    def tarball_urls(self, version: str) -> list[str]:
        """Where :func:`fetch_chart` looks first, in order (sources only)."""
        return [f"{base.rstrip('/')}/{CHART_NAME}-{version}.tgz" for base in self.sources]

    def describe(self) -> str:
        if self.kind == "sources":
            return "chart sources " + ", ".join(self.sources)
        return f"local chart {self.location}"


def _is_url(text: str) -> bool:
    return urllib.parse.urlsplit(text).scheme in SCHEMES and "://" in text


def parse_chart_spec(text: str | None, where: str = "--botkube-chart") -> ChartSpec:
    """A repository URL, a ``.tgz`` path or URL, or a directory; None/empty: the defaults.

    A path that does not exist, or a URL with another scheme, is :class:`BadInput`.
    """
    value = (text or "").strip()
    if not value:
        return ChartSpec()
    if _is_url(value):
        if urllib.parse.urlsplit(value).path.endswith(".tgz"):
            return ChartSpec("tarball", (), value)
        if urllib.parse.urlsplit(value).scheme == "file":
            raise BadInput(f"{where} {value}: a file URL must name a .tgz chart archive")
        return ChartSpec("sources", (value.rstrip("/"),), use_index=True)
    if "://" in value:
        raise BadInput(f"{where} {value}: only http(s) and file URLs are supported")
    local = Path(value).expanduser()
    if local.is_dir():
        return ChartSpec("directory", (), str(local.resolve()))
    if local.is_file() and local.name.endswith(".tgz"):
        return ChartSpec("tarball", (), str(local.resolve()))
    if local.exists():
        raise BadInput(f"{where} {value}: not a chart directory or a .tgz chart archive")
    raise BadInput(f"{where} {value}: no such file or directory (nor an http(s) URL)")


@dataclass(frozen=True)
class LocalChart:
    """A chart on this machine, ready for ``helm upgrade --install``."""

    path: Path  # a .tgz or a chart directory
    version: str  # Chart.yaml ``version``
    app_version: str  # Chart.yaml ``appVersion`` ("" when absent)
    origin: str  # the URL or path it came from
    sha256: str | None = None  # of the tarball (None: a directory)
    pinned: bool = False  # the bytes are upstream's (CHART_SHA256)
    skipped: tuple[str, ...] = field(default=(), compare=False)  # sources that failed first

    def describe(self) -> str:
        if self.sha256 is None:
            return f"chart {self.version} from {self.origin}"
        check = "upstream's pinned sha256" if self.pinned else "sha256"
        return f"chart {self.version} from {self.origin} ({check} {self.sha256[:12]})"


def normalize(version: str) -> str:
    text = version.strip()
    return text if text.startswith("v") or not text[:1].isdigit() else f"v{text}"


def version_mismatch(chart: LocalChart, version: str) -> str | None:
    """Why ``chart`` cannot run a scenario on BotKube ``version`` (None when it can).

    The chart's ``appVersion`` is the image tag it installs; a chart without one is judged by
    its ``version``.
    """
    have = normalize(chart.app_version or chart.version)
    if have == normalize(version):
        return None
    return (
        f"the chart {chart.origin} is BotKube {have} (appVersion), the scenario needs "
        f"{normalize(version)}: pass a chart of that version, or run only the {have} scenarios"
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _chart_yaml_text(path: Path) -> tuple[str, str]:
    """(text of Chart.yaml, where it was read) from a chart directory or a packaged chart."""
    if path.is_dir():
        chart_yaml = path / "Chart.yaml"
        try:
            if chart_yaml.stat().st_size > _CHART_YAML_LIMIT:
                raise BadInput(f"{chart_yaml}: larger than {_CHART_YAML_LIMIT} bytes")
            return chart_yaml.read_text(encoding="utf-8"), str(chart_yaml)
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"{path}: not a Helm chart directory (Chart.yaml: {exc})") from None
    try:
        with tarfile.open(path, mode="r:gz") as archive:
            for member in archive:
                parts = member.name.split("/")
                if len(parts) == 2 and parts[1] == "Chart.yaml" and member.isfile():
                    if member.size > _CHART_YAML_LIMIT:
                        raise BadInput(f"{path}: {member.name} is too large for a Chart.yaml")
                    extracted = archive.extractfile(member)
                    if extracted is None:
                        break
                    data = extracted.read(_CHART_YAML_LIMIT + 1)
                    return data.decode("utf-8"), f"{path}:{member.name}"
    except (OSError, tarfile.TarError, EOFError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: not a packaged Helm chart ({exc})") from None
    raise BadInput(f"{path}: not a packaged Helm chart (no <chart>/Chart.yaml inside)")


def read_chart_metadata(path: Path) -> tuple[str, str]:
    """(version, appVersion) from the Chart.yaml of a directory or ``.tgz``; BadInput naming
    the file when it is not a chart."""
    text, where = _chart_yaml_text(path)
    try:
        doc: Any = yaml.safe_load(io.StringIO(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise BadInput(f"{where}{line}: not valid YAML") from None
    if not isinstance(doc, dict) or not doc.get("version"):
        raise BadInput(f"{where}: a Chart.yaml needs a `version`")
    return str(doc["version"]), str(doc.get("appVersion") or "")


Fetch = Callable[..., str]  # download_file's signature: (url, destination, *, timeout, ...)


@dataclass
class ChartFetcher:
    """Charts by version for one session: fetched once, from the cache when it has them."""

    spec: ChartSpec
    cache_dir: Path  # .../pytest-botkube/charts
    pins: Mapping[str, str] = field(default_factory=lambda: dict(CHART_SHA256))
    timeout: float = DOWNLOAD_TIMEOUT
    fetch: Fetch = download_file
    _charts: dict[str, LocalChart] = field(default_factory=dict, repr=False)

    def expected_sha256(self, version: str) -> str | None:
        """The digest checked for ``version`` before anything is fetched (None: the source's
        index says, or the chart is the user's own)."""
        return None if self.spec.local or self.spec.use_index else self.pins.get(version)

    def planned(self, version: str) -> tuple[tuple[str, ...], str | None, str]:
        """What :meth:`get` will do for ``version``, touching nothing: (the URLs tried in
        order, the sha256 they must match or None when an index or nothing gives it, where
        helm will read the chart). ``<sha256>`` stands in the path for a digest an index
        gives."""
        version = normalize(version)
        if self.spec.kind == "directory" or (
            self.spec.kind == "tarball" and not _is_url(self.spec.location)
        ):
            return (), None, self.spec.location
        if self.spec.kind == "tarball":
            return (self.spec.location,), None, str(self._url_destination(self.spec.location))
        pinned = self.expected_sha256(version)
        urls = tuple(
            f"{base.rstrip('/')}/index.yaml -> its {CHART_NAME} {version} tarball"
            if pinned is None
            else url
            for base, url in zip(self.spec.sources, self.spec.tarball_urls(version), strict=True)
        )
        return urls, pinned, str(self._destination(pinned or "<sha256>", version))

    def _destination(self, sha256: str, version: str) -> Path:
        return self.cache_dir / sha256 / f"{CHART_NAME}-{version}.tgz"

    def _url_destination(self, url: str) -> Path:
        name = Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path)).name
        slot = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
        return self.cache_dir / f"url-{slot}" / name

    def get(self, version: str) -> LocalChart:
        """The chart for BotKube ``version``. Raises :class:`ChartUnavailable` (no source
        served it), :class:`ChartVersionMismatch` (the user's chart is another version) or
        BadInput (the user's chart is not a chart)."""
        version = normalize(version)
        key = "" if self.spec.local else version
        chart = self._charts.get(key)
        if chart is None:
            chart = self._charts[key] = self._resolve(version)
        problem = version_mismatch(chart, version)
        if problem is not None:
            raise ChartVersionMismatch(problem)
        return chart

    def _resolve(self, version: str) -> LocalChart:
        if self.spec.kind == "directory" or (
            self.spec.kind == "tarball" and not _is_url(self.spec.location)
        ):
            path = Path(self.spec.location)
            chart_version, app_version = read_chart_metadata(path)
            digest = None if path.is_dir() else file_sha256(path)
            return LocalChart(path, chart_version, app_version, str(path), digest)
        if self.spec.kind == "tarball":
            return self._user_tarball(self.spec.location)
        return self._from_sources(version)

    def _user_tarball(self, url: str) -> LocalChart:
        destination = self._url_destination(url)
        name = destination.name
        try:
            digest = self.fetch(url, destination, timeout=self.timeout, schemes=SCHEMES)
        except (DownloadFailed, ValueError) as exc:
            raise ChartUnavailable(name, [f"{url}: {exc}"]) from None
        chart_version, app_version = read_chart_metadata(destination)
        return LocalChart(destination, chart_version, app_version, url, digest)

    def _from_sources(self, version: str) -> LocalChart:
        upstream = self.pins.get(version)
        pinned = self.expected_sha256(version)
        if pinned is not None:
            cached = self._destination(pinned, version)
            if cached.is_file() and file_sha256(cached) == pinned:
                chart_version, app_version = read_chart_metadata(cached)
                return LocalChart(cached, chart_version, app_version, f"cache {cached}",
                                  pinned, pinned=True)  # fmt: skip
        tried: list[str] = []
        for base, url in zip(self.spec.sources, self.spec.tarball_urls(version), strict=True):
            expected = pinned
            if expected is None:
                try:
                    index_url, expected = self._from_index(base, version)
                except (DownloadFailed, ValueError, BadInput) as exc:
                    tried.append(f"{base}/index.yaml: {exc}")
                    continue
                if self.spec.use_index:  # upstream's index names charts.botkube.io only
                    url = index_url
            destination = self._destination(expected, version)
            try:
                if not (destination.is_file() and file_sha256(destination) == expected):
                    self.fetch(url, destination, timeout=self.timeout,
                               expected=("sha256", expected), schemes=SCHEMES)  # fmt: skip
            except WrongDigest as exc:
                tried.append(f"{url}: sha256 {exc.actual}, expected {expected}")
                continue
            except (DownloadFailed, ValueError) as exc:
                tried.append(f"{url}: {exc}")
                continue
            chart_version, app_version = read_chart_metadata(destination)
            return LocalChart(destination, chart_version, app_version, url, expected,
                              pinned=expected == upstream, skipped=tuple(tried))  # fmt: skip
        raise ChartUnavailable(f"{CHART_NAME} {version}", tried)

    def _from_index(self, base: str, version: str) -> tuple[str, str]:
        """(tarball URL, sha256) the repository's index gives a version not pinned here."""
        index_url = f"{base.rstrip('/')}/index.yaml"
        slot = hashlib.sha256(index_url.encode("utf-8")).hexdigest()[:16]
        destination = self.cache_dir / f"index-{slot}.yaml"
        self.fetch(index_url, destination, timeout=self.timeout, schemes=SCHEMES)
        try:
            doc = yaml.safe_load(destination.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            raise BadInput("not a Helm repository index") from None
        entries = doc.get("entries", {}).get(CHART_NAME) if isinstance(doc, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and normalize(str(entry.get("version", ""))) == version:
                urls, digest = entry.get("urls") or [], str(entry.get("digest") or "").lower()
                if not urls or len(digest) != 64:
                    raise BadInput(f"the index gives {version} no tarball URL and sha256")
                return urllib.parse.urljoin(base.rstrip("/") + "/", str(urls[0])), digest
        raise BadInput(f"the index has no {CHART_NAME} {version}")
