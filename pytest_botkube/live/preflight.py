"""Before any cluster: is everything a run fetches from the internet there?

Three things decay while BotKube stays unmaintained, and each would otherwise surface as a red
test minutes later, after a cluster was created for nothing:

- the chart: fetched now, by URL, and checked against its sha256 (``live/chart.py``; cached
  afterwards, so the run itself does not fetch again);
- the plugin index the agent downloads at start-up (``--botkube-plugin-index``, else the
  release asset ``.../releases/download/<version>/plugins-index.yaml``): a GET must answer 200
  with an index (a mapping with ``entries``);
- the BotKube image the node pulls (the chart's ``ghcr.io/kubeshop/botkube:<version>``; an
  image given with ``--botkube-image`` is loaded from this machine's Docker instead, and not
  looked up in a registry): a HEAD on its manifest, with the registry's anonymous bearer
  token when it asks for one (Docker Registry HTTP API v2 and its token authentication:
  https://distribution.github.io/distribution/spec/auth/token/). A 401 even with the token is
  not a failure (a private image the node may still pull with its own credentials): reachable
  is what is checked.

Every failure is one phrase naming what and where; :func:`require` joins them into one
EnvironmentUnavailable line (pytest: a skip, a failure under ``--botkube-require-cluster``;
``run``: exit 3). ``--botkube-no-preflight`` skips it all (an air-gapped run with everything
preloaded).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from pytest_botkube.errors import BadInput, EnvironmentUnavailable
from pytest_botkube.live.chart import ChartFetcher, ChartUnavailable, ChartVersionMismatch
from pytest_botkube.model.images import DOCKER_HUB, parse_image

PLUGIN_INDEX_URL = (
    "https://github.com/kubeshop/botkube/releases/download/{version}/plugins-index.yaml"
)
BOTKUBE_IMAGE = "ghcr.io/kubeshop/botkube:{version}"
TIMEOUT = 20.0
_INDEX_LIMIT = 8 << 20  # an index is tens of kilobytes
_MANIFESTS = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
    )
)
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')

Open = Callable[..., Any]  # urllib.request.urlopen's signature


@dataclass(frozen=True)
class Check:
    what: str  # "chart botkube v1.13.0", "plugin index", "image ghcr.io/..."
    where: str  # the URL (or source list) it was checked at
    problem: str = ""  # "" when fine
    detail: str = ""  # what was found, for the plan and the progress line

    @property
    def ok(self) -> bool:
        return not self.problem

    def line(self) -> str:
        return f"{self.what} ({self.where}): {self.problem or self.detail or 'ok'}"


def plugin_index_url(version: str, override: str | None) -> str:
    return override or PLUGIN_INDEX_URL.format(version=version)


def botkube_image(version: str, override: str | None = None) -> str:
    return override or BOTKUBE_IMAGE.format(version=version)


def manifest_url(image: str) -> str:
    """Where a registry serves ``image``'s manifest (Docker's reading of the reference); a
    ``localhost``/loopback registry is plain HTTP, as Docker treats it."""
    ref = parse_image(image)
    host = "registry-1.docker.io" if ref.registry == DOCKER_HUB else ref.registry
    name = host.split(":", 1)[0]
    scheme = "http" if name in ("localhost", "127.0.0.1", "::1") else "https"
    reference = ref.digest or ref.tag or "latest"
    return f"{scheme}://{host}/v2/{ref.repository}/manifests/{reference}"


def check_chart(charts: ChartFetcher, version: str) -> Check:
    what = f"chart botkube {version}"
    where = charts.spec.describe()
    try:
        chart = charts.get(version)
    except (ChartUnavailable, ChartVersionMismatch, BadInput) as exc:
        return Check(what, where, str(exc))
    return Check(what, where, detail=chart.describe())


def check_plugin_index(url: str, *, timeout: float = TIMEOUT, opener: Open | None = None) -> Check:
    opener = opener or urllib.request.urlopen
    what = "plugin index"
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        return Check(what, url, "not an http(s) URL")
    try:
        with opener(url, timeout=timeout) as response:
            body = response.read(_INDEX_LIMIT + 1)
    except urllib.error.HTTPError as exc:
        return Check(what, url, f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError) as exc:
        return Check(what, url, f"unreachable ({getattr(exc, 'reason', exc)})")
    try:
        doc = yaml.safe_load(body[:_INDEX_LIMIT])
    except yaml.YAMLError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("entries"), list):
        return Check(what, url, "answered, but not with a plugin index (no `entries` list)")
    return Check(what, url, detail=f"{len(doc['entries'])} plugins")


def _token(challenge: str, timeout: float, opener: Open) -> str | None:
    """An anonymous pull token from a ``Bearer realm=...,service=...,scope=...`` challenge."""
    kind, _, params = challenge.partition(" ")
    if kind.lower() != "bearer":
        return None
    fields = dict(_CHALLENGE.findall(params))
    realm = fields.pop("realm", "")
    if urllib.parse.urlsplit(realm).scheme not in ("http", "https"):
        return None
    query = urllib.parse.urlencode({k: v for k, v in fields.items() if k in ("service", "scope")})
    with opener(f"{realm}?{query}" if query else realm, timeout=timeout) as response:
        doc = json.loads(response.read(1 << 20) or b"{}")
    token = doc.get("token") or doc.get("access_token") if isinstance(doc, dict) else None
    return str(token) if token else None


def check_image(image: str, *, timeout: float = TIMEOUT, opener: Open | None = None) -> Check:
    """A HEAD on ``image``'s manifest: the registry answers (and, when it lets anyone pull,
    has that tag)."""
    opener = opener or urllib.request.urlopen
    what = f"image {image}"
    url = manifest_url(image)
    token: str | None = None
    for attempt in (1, 2):
        headers = {"Accept": _MANIFESTS}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(url, method="HEAD", headers=headers)  # noqa: S310
        try:
            with opener(request, timeout=timeout) as response:
                digest = response.headers.get("Docker-Content-Digest", "")
                return Check(what, url, detail=f"manifest {digest[:19] or 'found'}")
        except urllib.error.HTTPError as exc:
            if exc.code == 401 and attempt == 1:
                challenge = exc.headers.get("WWW-Authenticate", "")
                try:
                    token = _token(challenge, timeout, opener)
                except urllib.error.HTTPError as err:
                    if err.code in (401, 403):  # no anonymous pull: the registry did answer
                        return Check(what, url, detail="registry answers; the image needs "
                                     "credentials")  # fmt: skip
                    return Check(what, url, f"the registry's token service answered HTTP "
                                 f"{err.code}")  # fmt: skip
                except (urllib.error.URLError, OSError, ValueError) as err:
                    reason = getattr(err, "reason", err)
                    return Check(what, url, f"the registry's token service failed ({reason})")
                if token:
                    continue
            if exc.code == 401:
                return Check(what, url, detail="registry answers; the image needs credentials")
            if exc.code == 404:
                return Check(what, url, "no such image or tag (HTTP 404)")
            return Check(what, url, f"HTTP {exc.code}")
        except (urllib.error.URLError, OSError) as exc:
            return Check(what, url, f"registry unreachable ({getattr(exc, 'reason', exc)})")
    return Check(what, url, "the registry asked for credentials twice")  # pragma: no cover


def run_checks(
    versions: Iterable[str],
    charts: ChartFetcher,
    *,
    plugin_index: str | None,
    image: str | None,
    timeout: float = TIMEOUT,
    opener: Open | None = None,
) -> list[Check]:
    """Every check for the BotKube ``versions`` a run installs, in order."""
    checks: list[Check] = []
    wanted = list(dict.fromkeys(versions))
    for version in wanted:
        checks.append(check_chart(charts, version))
    for url in dict.fromkeys(plugin_index_url(v, plugin_index) for v in wanted):
        checks.append(check_plugin_index(url, timeout=timeout, opener=opener))
    if image:
        checks.append(
            Check(
                f"image {image}",
                "this machine's Docker",
                detail="loaded into the kind node by `kind load docker-image`",
            )
        )
        return checks
    for ref in dict.fromkeys(botkube_image(v, None) for v in wanted):
        checks.append(check_image(ref, timeout=timeout, opener=opener))
    return checks


def require(checks: Sequence[Check]) -> None:
    """EnvironmentUnavailable, one line naming every failed check; nothing when all pass."""
    failed = [c.line() for c in checks if not c.ok]
    if failed:
        raise EnvironmentUnavailable("preflight: " + "; ".join(failed))
