"""BotKube and Kubernetes versions the model knows, and what differs between them.

Accepted BotKube versions are the releases whose ``botkube/kubernetes`` source plugin shares the
per-source configuration store introduced in v1.10.0 (router, registration and config code are
identical from v1.10.0 to v1.13.0; v1.14.0 only changes the nil handling and the route lookup).
Releases before v1.10.0 merged every bound source into one config before building the routing
table, so a source without ``event`` could borrow another source's; the model does not cover them.
"""

from __future__ import annotations

import re

from pytest_botkube.errors import BadInput

KNOWN_BOTKUBE_VERSIONS: tuple[str, ...] = ("v1.10.0", "v1.11.0", "v1.12.0", "v1.13.0", "v1.14.0")

#: First release with PR #1481 (commit 2b275b44): a source without ``event`` no longer panics.
FIRST_FIXED_VERSION = "v1.14.0"

#: The kind node version the e2e suite runs against; ``lint`` checks served API versions against it.
DEFAULT_KUBERNETES_VERSION = "1.31"

#: Oldest Kubernetes minor the served-API table in ``apis.py`` describes.
OLDEST_KUBERNETES_MINOR = 16

_SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")
# A server's gitVersion may carry a build suffix: v1.30.2-gke.1587003, v1.31.0+k3s1.
_KUBE = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+)(?:[-+][0-9A-Za-z.+-]*)?)?$")


def _key(version: str) -> tuple[int, int, int]:
    match = _SEMVER.match(version)
    if match is None:  # pragma: no cover - only called on normalized versions
        raise ValueError(version)
    return int(match[1]), int(match[2]), int(match[3])


def normalize_botkube_version(text: str) -> str:
    """``1.13.0`` or ``v1.13.0`` -> ``v1.13.0``; anything else is ``BadInput`` naming choices."""
    cleaned = str(text).strip()
    if _SEMVER.match(cleaned):
        candidate = cleaned if cleaned.startswith("v") else f"v{cleaned}"
        if candidate in KNOWN_BOTKUBE_VERSIONS:
            return candidate
    raise BadInput(
        f"unknown BotKube version {text!r}: the model knows {', '.join(KNOWN_BOTKUBE_VERSIONS)}"
    )


def has_nil_event_panic(version: str) -> bool:
    """True where ``mergeResourceEvents`` dereferences a missing source-level ``event``."""
    return _key(normalize_botkube_version(version)) < _key(FIRST_FIXED_VERSION)


def nil_event_panic_site(version: str) -> str | None:
    """The frame a panic trace ends in, for log matching; ``None`` where the panic cannot happen."""
    if not has_nil_event_panic(version):
        return None
    return "internal/source/kubernetes/router.go:159"


def route_lookup_ignores_case(version: str) -> bool:
    """v1.14.0 matches a routing-table entry to an informer event case-insensitively.

    Informer registration stays exact in every version, so ``Create`` alone still registers
    nothing; it only rides along when some source registered the informer with ``create``.
    """
    return _key(normalize_botkube_version(version)) >= _key("v1.14.0")


def has_pagerduty(version: str) -> bool:
    """The PagerDuty platform (and its bindings) exists from v1.12.0."""
    return _key(normalize_botkube_version(version)) >= _key("v1.12.0")


def source_url(version: str, path: str, line: int | None = None) -> str:
    """A link to upstream source at the exact tag the user runs."""
    anchor = f"#L{line}" if line else ""
    return f"https://github.com/kubeshop/botkube/blob/{normalize_botkube_version(version)}/{path}{anchor}"


def parse_kubernetes_version(text: str) -> tuple[int, int]:
    """``1.31``, ``v1.31``, ``1.31.2`` or a server's ``v1.31.2-gke.1`` -> ``(1, 31)``; other
    shapes, pre-1.16: ``BadInput``."""
    match = _KUBE.match(str(text).strip())
    if match is None:
        raise BadInput(
            f"invalid Kubernetes version {text!r}: expected MAJOR.MINOR such as "
            f"{DEFAULT_KUBERNETES_VERSION}"
        )
    major, minor = int(match[1]), int(match[2])
    if major != 1 or minor < OLDEST_KUBERNETES_MINOR:
        raise BadInput(
            f"unsupported Kubernetes version {text!r}: the model covers "
            f"1.{OLDEST_KUBERNETES_MINOR} and newer"
        )
    return major, minor


def format_kubernetes_version(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"
