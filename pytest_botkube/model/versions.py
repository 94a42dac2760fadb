"""BotKube and Kubernetes versions the model knows, and what differs between them.

Every v1.x release of kubeshop/botkube is covered (v1.0.0 ... v1.14.0, the last one); the plugin
architecture, and the ``botkube/kubernetes`` source plugin, exist since v1.0.0. What changes
between releases, as read from the source at each tag (the table with file and line per row is
in the issue-14 note; the functions below say which row each one is):

* **Where a source's routing table is built.** Up to v1.9.1 every ``Stream`` call starts its own
  goroutine with its own router over that one source's config (``go consumeEvents`` in
  ``internal/source/kubernetes/source.go``). Each ``Stream`` gets a list holding only its own
  source's config, so one source never borrows another's ``event`` in any version. From
  v1.10.0 the plugin stores every source's config and, on each ``Stream``, stops the background
  run and starts one router per kubeconfig over all sources stored so far
  (``configuration_store.go``, ``bg_processor.go``): sources with the same RBAC share one table.
* **The nil-event read.** ``mergeResourceEvents`` reads the source-level ``event`` pointer for
  each ``resources:`` entry: router.go line 155 up to v1.9.1, line 159 from v1.10.0 to v1.13.0;
  v1.14.0 (PR #1481) checks it. It runs when the table is built, before any informer exists.
* **The nil-namespaces read.** Up to v1.2.0 ``matchEvent`` reads a route's namespace constraints
  through a pointer that is nil when neither the source nor the resource sets ``namespaces``
  (registration.go line 194); it panics on the first event that reaches that check (passes the
  reason, message and name checks of a route without namespaces that no earlier route ended):
  right after start when the informer's first list replays existing objects to a ``create``
  route. v1.3.0 (PR #1157) checks it.
* **Route order.** Up to v1.9.1 ``matchEvent`` stops at the first route that rejects an event;
  from v1.10.0 it tries every route (``first_route_decides``).
* **The kubeconfig.** The agent builds a plugin's kubeconfig from ``context.rbac`` only: none
  without ``rbac`` (every version), and from v1.4.0 none when ``rbac`` names neither a user nor a
  group type (``kubeconfig.go``). v1.0.0's ``Stream`` does not check it, and the goroutine's
  client cannot be built from an empty kubeconfig, so the process exits with status 1; from
  v1.0.1 ``Stream`` refuses the source first thing (``ValidateKubeConfigProvided``).
* **Stream order.** v1.0.0-v1.3.0 open one stream per bound source in binding order, v1.4.0-v1.9.1
  in Go map order (random), v1.10.0+ in sorted order of ``<alias>_interactive/<bool>``
  (``internal/source/scheduler.go``).
* **Health monitor.** From v1.4.0 (``internal/plugin/health_monitor.go``, ``pkg/plugin/`` from
  v1.9.0) a dead plugin is restarted up to ``plugins.restartPolicy.threshold`` times, then
  deactivated (``DeactivatePlugin``) or the agent exits (``RestartAgent``); ``/healthz`` reports
  plugins as JSON from v1.5.0. Before v1.4.0 nothing watches the plugin: once dead it stays
  dead, nothing is restarted or deactivated.
* **Platforms.** ``slack`` and ``teams`` up to v1.8.0, ``cloudSlack`` scheduled from v1.1.1,
  ``cloudTeams`` from v1.6.0, ``pagerDuty`` from v1.12.0.
* **Route lookup.** v1.14.0 matches a routing-table entry to an informer event
  case-insensitively; informer registration stays exact in every version.
"""

from __future__ import annotations

import re
from typing import Literal

from pytest_botkube.errors import BadInput

KNOWN_BOTKUBE_VERSIONS: tuple[str, ...] = (
    "v1.0.0",
    "v1.0.1",
    "v1.1.0",
    "v1.1.1",
    "v1.2.0",
    "v1.3.0",
    "v1.4.0",
    "v1.4.1",
    "v1.5.0",
    "v1.6.0",
    "v1.7.0",
    "v1.8.0",
    "v1.9.0",
    "v1.9.1",
    "v1.10.0",
    "v1.11.0",
    "v1.12.0",
    "v1.13.0",
    "v1.14.0",
)

#: First release with PR #1481 (commit 2b275b44): a source without ``event`` no longer panics.
FIRST_FIXED_VERSION = "v1.14.0"

#: The kind node version the e2e suite runs against; ``lint`` checks served API versions against it.
DEFAULT_KUBERNETES_VERSION = "1.31"

#: Oldest Kubernetes minor the served-API table in ``apis.py`` describes.
OLDEST_KUBERNETES_MINOR = 16

StreamOrder = Literal["bindings", "random", "sorted"]

_SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")
_LOOSE = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$")
# A server's gitVersion may carry a build suffix: v1.30.2-gke.1587003, v1.31.0+k3s1.
_KUBE = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+)(?:[-+][0-9A-Za-z.+-]*)?)?$")


def _key(version: str) -> tuple[int, int, int]:
    match = _SEMVER.match(version)
    if match is None:  # pragma: no cover - only called on normalized versions
        raise ValueError(version)
    return int(match[1]), int(match[2]), int(match[3])


_KEYS = {v: _key(v) for v in KNOWN_BOTKUBE_VERSIONS}


def _nearest(text: str) -> str | None:
    """The covered release closest to what ``text`` names, for the refusal message."""
    match = _LOOSE.match(text)
    if match is None:
        return None
    major, minor = int(match[1]), int(match[2])
    if match[3] is None:  # MAJOR.MINOR: that minor's first release
        exact = f"v{major}.{minor}.0"
        if exact in _KEYS:
            return exact
    patch = int(match[3] or 0)
    wanted = (major, minor, patch)
    below = [v for v, k in _KEYS.items() if k <= wanted]
    if text.count("-") and f"v{major}.{minor}.{patch}" in _KEYS:  # a pre-release of a release
        return f"v{major}.{minor}.{patch}"
    if below:
        return below[-1]
    return KNOWN_BOTKUBE_VERSIONS[0]


def normalize_botkube_version(text: str) -> str:
    """``1.13.0`` or ``v1.13.0`` -> ``v1.13.0``; anything else is ``BadInput`` naming the nearest
    release the model covers (``1.13`` -> ``v1.13.0``, ``v1.15.0`` -> ``v1.14.0``)."""
    cleaned = str(text).strip()
    if _SEMVER.match(cleaned):
        candidate = cleaned if cleaned.startswith("v") else f"v{cleaned}"
        if candidate in _KEYS:
            return candidate
    nearest = _nearest(cleaned)
    hint = f"; did you mean {nearest}?" if nearest else ""
    raise BadInput(
        f"unknown BotKube version {text!r}: the model covers the v1.x releases "
        f"{', '.join(KNOWN_BOTKUBE_VERSIONS)}{hint}"
    )


def _at_least(version: str, first: str) -> bool:
    return _KEYS[normalize_botkube_version(version)] >= _KEYS[first]


def has_nil_event_panic(version: str) -> bool:
    """True where ``mergeResourceEvents`` dereferences a missing source-level ``event``."""
    return not _at_least(version, FIRST_FIXED_VERSION)


def nil_event_panic_site(version: str) -> str | None:
    """The frame a panic trace ends in, for log matching; ``None`` where the panic cannot happen."""
    if not has_nil_event_panic(version):
        return None
    line = 159 if shared_router(version) else 155
    return f"internal/source/kubernetes/router.go:{line}"


def has_nil_namespaces_panic(version: str) -> bool:
    """Up to v1.2.0 ``matchEvent`` dereferences a route's nil namespace constraints."""
    return not _at_least(version, "v1.3.0")


def first_route_decides(version: str) -> bool:
    """Up to v1.9.1 ``matchEvent`` (registration.go) walks a resource's routes in table order
    and returns ``false`` at the first route whose reason, message, name or namespace
    constraints reject the event: a later route never sees it. Only a labels or annotations
    mismatch moves on to the next route. From v1.10.0 (PR #1425, commit 2cb5eacc) every
    rejection moves on (``continue``), so any route can pass the event."""
    return not _at_least(version, "v1.10.0")


def nil_namespaces_panic_site(version: str) -> str | None:
    return (
        "internal/source/kubernetes/registration.go:194"
        if has_nil_namespaces_panic(version)
        else None
    )


def shared_router(version: str) -> bool:
    """From v1.10.0 one routing table per kubeconfig over every stored source, rebuilt on each
    ``Stream``; before, one table per stream over that stream's own source."""
    return _at_least(version, "v1.10.0")


def stream_order(version: str) -> StreamOrder:
    """The order the agent opens the streams of its bound sources in."""
    if _at_least(version, "v1.10.0"):
        return "sorted"
    if _at_least(version, "v1.4.0"):
        return "random"
    return "bindings"


def plugin_checks_kubeconfig(version: str) -> bool:
    """From v1.0.1 ``Stream`` refuses a source whose kubeconfig is empty, before storing it."""
    return _at_least(version, "v1.0.1")


def empty_rbac_means_no_kubeconfig(version: str) -> bool:
    """From v1.4.0 an ``rbac`` with neither a user nor a group type yields no kubeconfig."""
    return _at_least(version, "v1.4.0")


def has_health_monitor(version: str) -> bool:
    """From v1.4.0 a dead plugin is restarted up to the threshold, then deactivated."""
    return _at_least(version, "v1.4.0")


def health_monitor_path(version: str) -> str | None:
    if not has_health_monitor(version):
        return None
    folder = "pkg/plugin" if _at_least(version, "v1.9.0") else "internal/plugin"
    return f"{folder}/health_monitor.go"


def has_plugin_health_json(version: str) -> bool:
    """``/healthz`` answers JSON with a status per plugin from v1.5.0."""
    return _at_least(version, "v1.5.0")


def platforms(version: str) -> tuple[str, ...]:
    """The communication platforms whose bindings the agent's scheduler starts sources for."""
    out = ["socketSlack", "mattermost", "discord", "webhook", "elasticsearch"]
    if not _at_least(version, "v1.9.0"):
        out += ["slack", "teams"]
    if _at_least(version, "v1.1.1"):
        out.append("cloudSlack")
    if _at_least(version, "v1.6.0"):
        out.append("cloudTeams")
    if _at_least(version, "v1.12.0"):
        out.append("pagerDuty")
    return tuple(out)


def interactive_platforms(version: str) -> frozenset[str]:
    """Platforms whose bindings open the ``_interactive/true`` stream of a source
    (``CommPlatformIntegration.IsInteractive`` in pkg/config/config.go)."""
    out = {"socketSlack"}
    if _at_least(version, "v1.4.0"):
        out.add("cloudSlack")
    if _at_least(version, "v1.9.0"):
        out.add("cloudTeams")
    return frozenset(out)


def route_lookup_ignores_case(version: str) -> bool:
    """v1.14.0 matches a routing-table entry to an informer event case-insensitively.

    Informer registration stays exact in every version, so ``Create`` alone still registers
    nothing; it only rides along when some source registered the informer with ``create``.
    """
    return _at_least(version, "v1.14.0")


def has_pagerduty(version: str) -> bool:
    """The PagerDuty platform (and its bindings) exists from v1.12.0."""
    return _at_least(version, "v1.12.0")


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
