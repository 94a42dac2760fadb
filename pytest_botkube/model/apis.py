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
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
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

TypeStatus = Literal["served", "loose", "malformed", "not-served"]


@dataclass(frozen=True)
class CrdAssumption:
    """What the cluster serves beyond the built-in APIs: an input, since nothing offline can
    know. The default is what the suite's kind cluster has: no custom resources at all."""

    served: frozenset[tuple[str, str, str]] = frozenset()  # (group, version, plural)
    everything: bool = False  # --assume-crds: every non-built-in type is taken as served

    @classmethod
    def parse(cls, texts: Iterable[str], everything: bool = False) -> CrdAssumption:
        """``--crd GROUP/VERSION/RESOURCE`` values; a malformed one is ``ValueError``."""
        served: set[tuple[str, str, str]] = set()
        for text in texts:
            parts = text.strip().split("/")
            if len(parts) != 3 or not all(parts) or parts[2] != parts[2].lower():
                raise ValueError(
                    f"--crd {text!r}: expected GROUP/VERSION/RESOURCE with the plural, lower-case "
                    "resource name, e.g. monitoring.coreos.com/v1/prometheusrules"
                )
            served.add((parts[0], parts[1], parts[2]))
        return cls(frozenset(served), everything)

    def describe(self) -> str:
        """The assumption, as a finding names it."""
        if self.everything:
            return "assuming (--assume-crds) that the cluster serves every custom resource"
        if self.served:
            listed = ", ".join("/".join(gvr) for gvr in sorted(self.served))
            return f"assuming the cluster serves no custom resources but {listed} (--crd)"
        return (
            "assuming the cluster serves no custom resources, as the suite's kind cluster "
            "(pass --crd GROUP/VERSION/RESOURCE or --assume-crds if yours has the CRD)"
        )


NO_CRDS = CrdAssumption()


@dataclass(frozen=True)
class TypeCheck:
    """The answer for one ``resources[].type`` on one Kubernetes minor.

    ``served``: the REST mapper accepts it and the informer lists a real path. ``loose``: the
    mapper accepts it but the informer, which uses the type as written, lists a path the API
    server does not have: the process stays up, the list fails forever, nothing is delivered.
    ``malformed`` / ``not-served``: the mapper refuses it and the plugin exits with status 1.
    """

    status: TypeStatus
    detail: str  # one clause a person can read, e.g. "removed in Kubernetes 1.26"
    replacement: str | None = None  # a served type for the same resource, when we know one
    custom: bool = False  # decided by the CRD assumption, not by the built-in table


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


def singular_of(plural: str) -> str:
    """The lower-case kind of a built-in resource (discovery's singular name)."""
    if plural == "endpoints":
        return plural
    if plural.endswith("statuses"):
        return plural[:-2]
    if plural.endswith("ies"):
        return plural[:-3] + "y"
    if plural.endswith("sses") or plural.endswith("shes"):
        return plural[:-2]
    return plural[:-1] if plural.endswith("s") else plural


def _names(plural: str, singular: str) -> frozenset[str]:
    """Every resource name the discovery REST mapper answers for one discovered resource: its
    plural and singular, and the guessed plural/singular of ``<Kind>List`` that client-go's
    ``NewDiscoveryRESTMapper`` adds for each kind; ``list``/``lists`` come per group version."""
    return frozenset({plural, singular, f"{singular}list", f"{singular}lists"})


@cache
def _served(minor: int) -> tuple[tuple[str, str, str, frozenset[str]], ...]:
    """(group, version, plural, names) of every built-in resource Kubernetes 1.``minor`` serves."""
    out: list[tuple[str, str, str, frozenset[str]]] = []
    for (group, version), resources in _BUILTIN.items():
        here = [r for r, span in resources.items() if _serves(span, minor)]
        for plural in here:
            out.append((group, version, plural, _names(plural, singular_of(plural))))
        if here:
            out.append((group, version, "", frozenset({"list", "lists"})))
    return tuple(out)


def _candidates(minor: int, crds: CrdAssumption) -> list[tuple[str, str, str, frozenset[str]]]:
    rows = list(_served(minor))
    for group, version, plural in sorted(crds.served):
        rows.append((group, version, plural, _names(plural, singular_of(plural))))
    return rows


def _mapper_matches(
    group: str, version: str, resource: str, rows: list[tuple[str, str, str, frozenset[str]]]
) -> list[tuple[str, str, str]]:
    """apimachinery's ``DefaultRESTMapper.ResourcesFor`` (meta/restmapper.go, identical from
    v0.25.4 to v0.29.0, the versions BotKube's go.mod pins), over every discovered group
    version as client-go's ``MultiRESTMapper`` does. The resource is lower-cased first; with
    group and version it must match exactly; with only a version (a two-part ``v1/x``) any
    group of that version matches; with only a group, any version, and failing that any group
    the given one is a prefix of; with neither, any group and version."""
    wanted = resource.lower()
    hits = [(g, v, p) for g, v, p, names in rows if wanted in names and _fits(g, v, group, version)]
    if not hits and group and not version:
        hits = [(g, v, p) for g, v, p, names in rows if wanted in names and g.startswith(group)]
    return hits


def _fits(g: str, v: str, group: str, version: str) -> bool:
    if group and version:
        return g == group and v == version
    if version:
        return v == version
    if group:
        return g == group
    return True


def _replacement(group: str, resource: str, minor: int) -> str | None:
    """A served ``group/version/resource`` for the same resource name, preferring stable ones."""
    candidates: list[str] = []
    lowered = resource.lower()
    for (g, v), resources in _BUILTIN.items():
        for plural, span in resources.items():
            if lowered in (plural, singular_of(plural)) and _serves(span, minor):
                candidates.append(_join(g, v, plural))
    same_group = [
        c for c in candidates if c.startswith(f"{group}/") or (not group and c.count("/") == 1)
    ]

    def preference(candidate: str) -> tuple[bool, int]:
        version = candidate.split("/")[-2]
        unstable = "alpha" in version or "beta" in version
        return unstable, -int(re.sub(r"\D.*", "", version[1:]) or 0)

    ordered = sorted(same_group or candidates, key=preference)
    return ordered[0] if ordered else None


@cache  # a pure function of hashable inputs; a big file repeats a handful of types
def check_type(text: str, kubernetes: tuple[int, int], crds: CrdAssumption = NO_CRDS) -> TypeCheck:
    """What the plugin's type lookup does with ``text`` on this Kubernetes version.

    Restated from ``parseResourceArg`` / ``strToGVR`` (internal/source/kubernetes/source.go):
    split on ``/`` into 2 parts (core group) or 3 (named group), anything else is an error; then
    only ``mapper.ResourcesFor(gvr)`` must not fail. The informer is then built from the type as
    written (``ForResource(gvr)``), so what the mapper forgives (case, a singular, a group left
    out) passes the check and leaves an informer that lists a path that does not exist.
    """
    minor = kubernetes[1]
    parts = split_type(text)
    if parts is None:
        count = len(text.split("/"))
        return TypeCheck(
            "malformed",
            f"splits into {count} '/'-separated part{'s' if count != 1 else ''} (expected 2, "
            "version/resource, or 3, group/version/resource)",
        )
    group, version, resource = parts
    if not resource:
        return TypeCheck("malformed", "has an empty resource part (the lookup needs one)")
    where = f"Kubernetes 1.{minor}"
    custom = bool(group) and group not in _BUILTIN_GROUPS
    if custom and crds.everything:
        return TypeCheck("served", crds.describe(), custom=True)
    rows = _candidates(minor, crds)
    hits = _mapper_matches(group, version, resource, rows)
    if not hits:
        return _refused(group, version, resource, minor, where, custom, crds)
    if (group, version, resource) in hits:
        return TypeCheck("served", f"served by {where}", custom=custom)
    target = next((h for h in hits if h[2]), hits[0])
    fixed = _join(*target) if target[2] else None
    listed = f"/apis/{group}/{version}/{resource}" if group else f"/api/{version}/{resource}"
    how = _loose_reason(group, version, resource, target)
    return TypeCheck(
        "loose",
        f"the API lookup accepts it ({how}), but the informer lists {listed} as written, "
        "which the API server does not serve: the list fails and is retried forever",
        fixed,
        custom=custom,
    )


def _loose_reason(group: str, version: str, resource: str, target: tuple[str, str, str]) -> str:
    g, v, plural = target
    if not version and group:
        return f"a group without a version matches any version of {g}"
    if not group and version and g:
        return f"a two-part type matches {v}/{plural} in any group, here {g}"
    if not group and not version:
        return f"a type without group and version matches {plural} anywhere"
    if resource != resource.lower():
        return "the resource is matched lower-cased"
    if plural and resource.lower() != plural:
        if resource.lower().endswith("list") or resource.lower().endswith("lists"):
            return "the mapper also knows the <Kind>List names"
        return f"{resource!r} is the singular of {plural!r}"
    return "a partial match"


def _refused(
    group: str,
    version: str,
    resource: str,
    minor: int,
    where: str,
    custom: bool,
    crds: CrdAssumption,
) -> TypeCheck:
    if custom:
        return TypeCheck(
            "not-served",
            f"group {group!r} is not built into Kubernetes ({crds.describe()})",
            custom=True,
        )
    version_table = _BUILTIN.get((group, version))
    if version_table is None:
        return TypeCheck(
            "not-served",
            f"{group or 'the core group'} has no API version {version!r} in {where}",
            _replacement(group, resource, minor),
        )
    span = version_table.get(resource.lower())
    gv = f"{group}/{version}" if group else version
    if span is None:
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
    return TypeCheck(
        "not-served",
        f"removed in Kubernetes 1.{gone}, so {where} does not serve it",
        _replacement(group, resource, minor),
    )


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
