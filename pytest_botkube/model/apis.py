"""Which built-in ``group/version/resource`` a Kubernetes minor serves, for the exit-on-error check.

The plugin turns each ``resources[].type`` into a GroupVersionResource by splitting on ``/`` (two
parts: core group; three: named group; anything else is an error) and asks the API server's
discovery (RESTMapper) whether it exists. Offline we answer the second question from the
Kubernetes deprecated-API migration guide
(https://kubernetes.io/docs/reference/using-api/deprecation-guide/) and the release in which each
stable version appeared. Groups we do not list are treated as custom resources: not checkable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

# (group, version) -> {resource: (first minor served, first minor NOT served or None)}
_Span = tuple[int, int | None]
_ALWAYS: _Span = (0, None)

_CORE_V1 = [
    "pods",
    "services",
    "nodes",
    "namespaces",
    "configmaps",
    "secrets",
    "persistentvolumes",
    "persistentvolumeclaims",
    "events",
    "endpoints",
    "serviceaccounts",
    "replicationcontrollers",
    "resourcequotas",
    "limitranges",
    "podtemplates",
    "componentstatuses",
    "bindings",
]

_BUILTIN: dict[tuple[str, str], dict[str, _Span]] = {
    ("", "v1"): dict.fromkeys(_CORE_V1, _ALWAYS),
    ("apps", "v1"): dict.fromkeys(
        ["deployments", "statefulsets", "daemonsets", "replicasets", "controllerrevisions"], _ALWAYS
    ),
    ("apps", "v1beta1"): dict.fromkeys(
        ["deployments", "statefulsets", "controllerrevisions"], (0, 16)
    ),
    ("apps", "v1beta2"): dict.fromkeys(
        ["deployments", "statefulsets", "daemonsets", "replicasets", "controllerrevisions"], (0, 16)
    ),
    ("extensions", "v1beta1"): {
        "deployments": (0, 16),
        "daemonsets": (0, 16),
        "replicasets": (0, 16),
        "networkpolicies": (0, 16),
        "podsecuritypolicies": (0, 16),
        "ingresses": (0, 22),
    },
    ("batch", "v1"): {"jobs": _ALWAYS, "cronjobs": (21, None)},
    ("batch", "v1beta1"): {"cronjobs": (0, 25)},
    ("autoscaling", "v1"): {"horizontalpodautoscalers": _ALWAYS},
    ("autoscaling", "v2"): {"horizontalpodautoscalers": (23, None)},
    ("autoscaling", "v2beta1"): {"horizontalpodautoscalers": (0, 25)},
    ("autoscaling", "v2beta2"): {"horizontalpodautoscalers": (12, 26)},
    ("networking.k8s.io", "v1"): {
        "networkpolicies": _ALWAYS,
        "ingresses": (19, None),
        "ingressclasses": (19, None),
    },
    ("networking.k8s.io", "v1beta1"): {"ingresses": (0, 22), "ingressclasses": (18, 22)},
    ("policy", "v1"): {"poddisruptionbudgets": (21, None)},
    ("policy", "v1beta1"): {"poddisruptionbudgets": (0, 25), "podsecuritypolicies": (0, 25)},
    ("rbac.authorization.k8s.io", "v1"): dict.fromkeys(
        ["roles", "rolebindings", "clusterroles", "clusterrolebindings"], _ALWAYS
    ),
    ("rbac.authorization.k8s.io", "v1beta1"): dict.fromkeys(
        ["roles", "rolebindings", "clusterroles", "clusterrolebindings"], (0, 22)
    ),
    ("storage.k8s.io", "v1"): {
        "storageclasses": _ALWAYS,
        "volumeattachments": _ALWAYS,
        "csinodes": (17, None),
        "csidrivers": (18, None),
        "csistoragecapacities": (24, None),
    },
    ("storage.k8s.io", "v1beta1"): {
        "storageclasses": (0, 22),
        "volumeattachments": (0, 22),
        "csinodes": (0, 22),
        "csidrivers": (0, 22),
        "csistoragecapacities": (21, 27),
    },
    ("coordination.k8s.io", "v1"): {"leases": _ALWAYS},
    ("coordination.k8s.io", "v1beta1"): {"leases": (0, 22)},
    ("discovery.k8s.io", "v1"): {"endpointslices": (21, None)},
    ("discovery.k8s.io", "v1beta1"): {"endpointslices": (17, 25)},
    ("events.k8s.io", "v1"): {"events": (19, None)},
    ("events.k8s.io", "v1beta1"): {"events": (0, 25)},
    ("scheduling.k8s.io", "v1"): {"priorityclasses": _ALWAYS},
    ("scheduling.k8s.io", "v1beta1"): {"priorityclasses": (0, 22)},
    ("node.k8s.io", "v1"): {"runtimeclasses": (20, None)},
    ("node.k8s.io", "v1beta1"): {"runtimeclasses": (0, 25)},
    ("apiextensions.k8s.io", "v1"): {"customresourcedefinitions": _ALWAYS},
    ("apiextensions.k8s.io", "v1beta1"): {"customresourcedefinitions": (0, 22)},
    ("apiregistration.k8s.io", "v1"): {"apiservices": _ALWAYS},
    ("apiregistration.k8s.io", "v1beta1"): {"apiservices": (0, 22)},
    ("admissionregistration.k8s.io", "v1"): {
        "mutatingwebhookconfigurations": _ALWAYS,
        "validatingwebhookconfigurations": _ALWAYS,
        "validatingadmissionpolicies": (30, None),
        "validatingadmissionpolicybindings": (30, None),
    },
    ("admissionregistration.k8s.io", "v1beta1"): {
        "mutatingwebhookconfigurations": (0, 22),
        "validatingwebhookconfigurations": (0, 22),
    },
    ("certificates.k8s.io", "v1"): {"certificatesigningrequests": (19, None)},
    ("certificates.k8s.io", "v1beta1"): {"certificatesigningrequests": (0, 22)},
    ("flowcontrol.apiserver.k8s.io", "v1"): dict.fromkeys(
        ["flowschemas", "prioritylevelconfigurations"], (29, None)
    ),
    ("flowcontrol.apiserver.k8s.io", "v1beta1"): dict.fromkeys(
        ["flowschemas", "prioritylevelconfigurations"], (20, 26)
    ),
    ("flowcontrol.apiserver.k8s.io", "v1beta2"): dict.fromkeys(
        ["flowschemas", "prioritylevelconfigurations"], (23, 29)
    ),
    ("flowcontrol.apiserver.k8s.io", "v1beta3"): dict.fromkeys(
        ["flowschemas", "prioritylevelconfigurations"], (26, 32)
    ),
}

_BUILTIN_GROUPS = frozenset(group for group, _ in _BUILTIN)

TypeStatus = Literal["served", "singular", "malformed", "not-served", "custom"]


@dataclass(frozen=True)
class TypeCheck:
    """The answer for one ``resources[].type`` on one Kubernetes minor."""

    status: TypeStatus
    detail: str  # one clause a person can read, e.g. "removed in Kubernetes 1.26"
    replacement: str | None = None  # a served type for the same resource, when we know one


def split_type(text: str) -> tuple[str, str, str] | None:
    """``v1/pods`` -> ``("", "v1", "pods")``; ``None`` when not 2 or 3 ``/``-separated parts."""
    parts = text.split("/")
    if len(parts) == 2:
        return "", parts[0], parts[1]
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    return None


def _join(group: str, version: str, resource: str) -> str:
    return f"{group}/{version}/{resource}" if group else f"{version}/{resource}"


def _serves(span: _Span, minor: int) -> bool:
    first, gone = span
    return minor >= first and (gone is None or minor < gone)


def _replacement(group: str, resource: str, minor: int) -> str | None:
    """A served ``group/version/resource`` for the same resource name, preferring stable ones."""
    candidates: list[str] = []
    for (g, v), resources in _BUILTIN.items():
        span = resources.get(resource)
        if span is not None and _serves(span, minor):
            candidates.append(_join(g, v, resource))
    same_group = [
        c for c in candidates if c.startswith(f"{group}/") or (not group and c.count("/") == 1)
    ]

    def preference(candidate: str) -> tuple[bool, int]:
        version = candidate.split("/")[-2]
        unstable = "alpha" in version or "beta" in version
        return unstable, -int(re.sub(r"\D.*", "", version[1:]) or 0)

    ordered = sorted(same_group or candidates, key=preference)
    return ordered[0] if ordered else None


def check_type(text: str, kubernetes: tuple[int, int]) -> TypeCheck:
    """Would the plugin's RESTMapper check accept ``text`` on this Kubernetes version?"""
    minor = kubernetes[1]
    parts = split_type(text)
    if parts is None:
        count = len(text.split("/"))
        return TypeCheck(
            "malformed",
            f"splits into {count} '/'-separated part{'s' if count != 1 else ''} (expected 2, "
            "version/resource, or 3, group/version/resource)",
        )
    if not parts[1] or not parts[2]:
        return TypeCheck("malformed", "has an empty version or resource part")
    group, version, resource = parts
    if group not in _BUILTIN_GROUPS:
        return TypeCheck("custom", f"group {group!r} is not built into Kubernetes")
    version_table = _BUILTIN.get((group, version))
    where = f"Kubernetes 1.{minor}"
    if version_table is None:
        return TypeCheck(
            "not-served",
            f"{group or 'the core group'} has no API version {version!r} in {where}",
            _replacement(group, resource, minor),
        )
    span = version_table.get(resource)
    if span is None:
        gv = f"{group}/{version}" if group else version
        plural = next((p for p in (f"{resource}s", f"{resource}es") if p in version_table), None)
        if plural is not None:
            return TypeCheck(
                "singular",
                f"{resource!r} is a singular name: discovery accepts it, but the informer then "
                "lists a resource the API server does not have",
                _join(group, version, plural),
            )
        return TypeCheck(
            "not-served",
            f"{gv} has no resource {resource!r}",
            _replacement(group, resource, minor),
        )
    first, gone = span
    if minor < first:
        return TypeCheck(
            "not-served",
            f"first served in Kubernetes 1.{first}, not in {where}",
            _replacement(group, resource, minor),
        )
    if gone is not None and minor >= gone:
        return TypeCheck(
            "not-served",
            f"removed in Kubernetes 1.{gone}, so {where} does not serve it",
            _replacement(group, resource, minor),
        )
    return TypeCheck("served", f"served by {where}")


def _guess_plural(lower: str) -> str:
    """For kinds we do not list, apimachinery's guess (``meta.UnsafeGuessKindToResource``):
    ``endpoints`` stays, a final ``s`` takes ``es``, a final ``y`` becomes ``ies``, else ``s``;
    but a vowel before the ``y`` keeps it (``Gateway`` -> ``gateways``, as CRDs name it)."""
    if lower.endswith("endpoints"):
        return lower
    if lower.endswith("s"):
        return lower + "es"
    if lower.endswith("y") and lower[-2:-1] not in ("a", "e", "i", "o", "u"):
        return lower[:-1] + "ies"
    return lower + "s"


def resource_type(api_version: str, kind: str) -> str:
    """BotKube's ``group/version/resource`` type for an object's ``apiVersion`` and ``kind``
    (an Event's involvedObject): ``networking.k8s.io/v1`` + ``Ingress`` ->
    ``networking.k8s.io/v1/ingresses``. The built-in table's plural when it lists the kind,
    else apimachinery's guess."""
    group, _, version = api_version.rpartition("/")
    lower = kind.lower()
    table = _BUILTIN.get((group, version), {})
    listed = (f"{lower}s", f"{lower}es", f"{lower[:-1]}ies", lower)
    plural = next((p for p in listed if p in table), None) or _guess_plural(lower)
    return f"{api_version}/{plural}"
