"""Which BotKube and Kubernetes versions a report is about, and where it says so.

Evidence ranks by how directly it shows what ran: the plugin binary path in the agent log
(``/tmp/botkube/source_v1.13.0_kubernetes``: the agent downloads the plugin of its own
version), then the agent image tag, then a chart version (``helm --version``, ``chart
version``, ``botkube-v1.13.0``), then prose (``BotKube v1.13.0``, ``Botkube: 1.12.0``).
A ``--botkube-version`` given by the maintainer wins over all of it; every disagreement is
reported, with the version used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pytest_botkube.errors import BadInput
from pytest_botkube.model.versions import (
    DEFAULT_KUBERNETES_VERSION,
    KNOWN_BOTKUBE_VERSIONS,
    format_kubernetes_version,
    normalize_botkube_version,
    parse_kubernetes_version,
)

EvidenceKind = Literal["option", "plugin-binary", "image", "chart", "prose"]
_RANK: dict[EvidenceKind, int] = {
    "option": 5,
    "plugin-binary": 4,
    "image": 3,
    "chart": 2,
    "prose": 1,
}

_V = r"v?(\d+\.\d+\.\d+(?:-rc\.\d+)?)"
_PLUGIN_BINARY = re.compile(r"\b(?:source|executor)_v(\d+\.\d+\.\d+(?:-rc\.\d+)?)_[a-z0-9-]+")
_IMAGE = re.compile(r"\bkubeshop/botkube(?:-agent)?:" + _V + r"\b")
_CHART_LABEL = re.compile(r"\bbotkube-" + _V + r"(?:\.tgz)?\b")
_CHART_PROSE = re.compile(r"\bchart(?:\s+version)?\s*[:=]?\s*[`'\"]?" + _V, re.IGNORECASE)
_PROSE = re.compile(
    r"\bbot\s?kube\b[`*_'\"]*(?:\s*(?:agent|version|release|chart))?[`*_'\"]*\s*(?:[:=]|is|of)?"
    r"\s*[`*_'\"]*" + _V,
    re.IGNORECASE,
)
_VERSION_LINE = re.compile(r"^\W*version\W*[:=]\s*[`'\"]?" + _V + r"\b", re.IGNORECASE)
_MY_VERSION = re.compile(r"\bmy version is\s*[`'\"]?" + _V, re.IGNORECASE)
_NOT_RUNNING = re.compile(
    r"\b(from|newer|available|upgrade to|latest|released?|instead of|than)\b", re.IGNORECASE
)
_OTHER_TOOL = re.compile(
    r"\b(helm|kubectl|kubernetes|k8s|go|golang|kind|k3s|k3d|eks|gke|aks)\b", re.I
)

_K8S_PROSE = re.compile(
    r"\b(?:kubernetes|k8s|eks|gke|aks|k3s|k3d|openshift|rke2?|microk8s|minikube)"
    r"(?:\s*(?:server|cluster))?(?:\s*version)?\s*[:=]?\s*[`'\"]?v?(1\.\d{1,2}(?:\.\d+)?)"
    r"(?:[-+][\w.+-]*)?",
    re.IGNORECASE,
)
_K8S_SERVER = re.compile(r"\bServer Version:\s*(?:version\.Info\{.*GitVersion:\")?v?(1\.\d+\.\d+)")
_K8S_NODE = re.compile(r"\bkindest/node:v(1\.\d+\.\d+)")
_K8S_GIT = re.compile(r"\"gitVersion\"\s*:\s*\"v(1\.\d+\.\d+)")


@dataclass(frozen=True)
class Evidence:
    version: str  # as found, normalised to a leading v (BotKube) or MAJOR.MINOR[.PATCH]
    kind: EvidenceKind
    where: str  # "line 3", "block 2 (agent log)"
    text: str  # the words that said it

    @property
    def rank(self) -> int:
        return _RANK[self.kind]

    def describe(self) -> str:
        return f"{self.version} ({self.kind}, {self.where}: {self.text.strip()[:60]!r})"


@dataclass
class VersionChoice:
    """The version the triage uses, why, and what else the report said."""

    used: str | None  # None: nothing found and no default
    reason: str
    found: list[Evidence] = field(default_factory=list)
    disagreement: str | None = None
    covered: bool = True  # the model knows this version
    note: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "used": self.used,
            "reason": self.reason,
            "covered_by_model": self.covered,
            "disagreement": self.disagreement,
            "note": self.note,
            "found": [
                {"version": e.version, "kind": e.kind, "where": e.where, "text": e.text.strip()}
                for e in self.found
            ],
        }


def _v(text: str) -> str:
    return text if text.startswith("v") else f"v{text}"


def botkube_evidence(text: str, where: str, *, log: bool = False) -> list[Evidence]:
    """BotKube versions in one piece of text (a prose line or a block)."""
    out: list[Evidence] = []
    for m in _PLUGIN_BINARY.finditer(text):
        out.append(Evidence(_v(m[1]), "plugin-binary", where, m[0]))
    for m in _IMAGE.finditer(text):
        out.append(Evidence(_v(m[1]), "image", where, m[0]))
    for m in _CHART_LABEL.finditer(text):
        out.append(Evidence(_v(m[1]), "chart", where, m[0]))
    if log:
        return out  # a log's prose-like lines (upgrade notices) are not the running version
    for line in text.splitlines():
        for pattern, kind in ((_CHART_PROSE, "chart"), (_PROSE, "prose"), (_MY_VERSION, "prose")):
            for m in pattern.finditer(line):
                if _NOT_RUNNING.search(line[max(0, m.start() - 24) : m.start()]):
                    continue  # "upgraded from", "newer version": not what runs
                out.append(Evidence(_v(m[1]), kind, where, m[0]))  # type: ignore[arg-type]
        m2 = _VERSION_LINE.match(line)
        if m2 and not _OTHER_TOOL.search(line):
            out.append(Evidence(_v(m2[1]), "prose", where, m2[0]))
    return _dedupe(out)


def kubernetes_evidence(text: str, where: str) -> list[Evidence]:
    out: list[Evidence] = []
    kind: EvidenceKind = "image"  # what the cluster reports of itself outranks prose
    for pattern in (_K8S_SERVER, _K8S_NODE, _K8S_GIT):
        for m in pattern.finditer(text):
            out.append(Evidence(m[1], kind, where, m[0]))
    for m in _K8S_PROSE.finditer(text):
        out.append(Evidence(m[1], "prose", where, m[0]))
    return _dedupe(out)


def _dedupe(items: Iterable[Evidence]) -> list[Evidence]:
    seen: set[tuple[str, str, str]] = set()
    out: list[Evidence] = []
    for e in items:
        key = (e.version, e.kind, e.where)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def _model_version(version: str) -> tuple[str | None, str | None]:
    """(the version the model runs, a note) for a found version; rc builds map to their
    release, versions the model does not cover map to None."""
    base = version.split("-rc.", 1)[0]
    try:
        known = normalize_botkube_version(base)
    except BadInput:
        return None, (
            f"BotKube {version} is not a version the model covers "
            f"({', '.join(KNOWN_BOTKUBE_VERSIONS)}); pass --botkube-version to predict anyway"
        )
    if base != version:
        return known, f"{version} is a release candidate of {known}; the model runs {known}"
    return known, None


def choose_botkube(found: Sequence[Evidence], override: str | None) -> VersionChoice:
    """Pick the BotKube version (see the module docstring)."""
    evidence = list(found)
    if override is not None:
        used = normalize_botkube_version(override)
        evidence.insert(
            0, Evidence(used, "option", "command line", f"--botkube-version {override}")
        )
    if not evidence:
        return VersionChoice(
            None,
            "the report names no BotKube version (looked for prose such as 'BotKube v1.13.0', "
            "an image tag kubeshop/botkube:<v>, a chart version, plugin paths source_<v>_... "
            "in the log)",
            covered=False,
        )
    distinct = sorted({e.version for e in evidence})
    best_rank = max(e.rank for e in evidence)
    top = [e for e in evidence if e.rank == best_rank]
    counts = {v: sum(1 for e in top if e.version == v) for v in {e.version for e in top}}
    pick = max(top, key=lambda e: (counts[e.version], -evidence.index(e)))
    chosen, note = _model_version(pick.version)
    disagreement = None
    if len(distinct) > 1:
        others = [e for e in evidence if e.version != pick.version]
        disagreement = (
            f"the report names {', '.join(distinct)}: used {pick.version} from the "
            f"{pick.kind} ({pick.where}) over "
            + "; ".join(f"{e.version} from the {e.kind} ({e.where})" for e in others[:4])
        )
    reason = f"{pick.kind} at {pick.where}: {pick.text.strip()[:60]!r}"
    return VersionChoice(
        chosen,
        reason,
        found=[e for e in evidence if e.kind != "option"],
        disagreement=disagreement,
        covered=chosen is not None,
        note=note,
    )


def choose_kubernetes(found: Sequence[Evidence], override: str | None) -> VersionChoice:
    if override is not None:
        major_minor = format_kubernetes_version(parse_kubernetes_version(override))
        choice = VersionChoice(major_minor, f"--kubernetes-version {override}", found=list(found))
        others = sorted({_minor(e.version) for e in found} - {major_minor})
        if others:
            choice.disagreement = (
                f"the report names Kubernetes {', '.join(others)}; used {major_minor} from "
                "--kubernetes-version"
            )
        return choice
    usable: list[tuple[Evidence, str]] = []
    for e in found:
        try:
            usable.append((e, format_kubernetes_version(parse_kubernetes_version(e.version))))
        except BadInput:
            continue
    if not usable:
        return VersionChoice(
            DEFAULT_KUBERNETES_VERSION,
            f"not stated in the report; assumed {DEFAULT_KUBERNETES_VERSION}, the e2e suite's "
            "kind node",
            found=list(found),
        )
    best = max(usable, key=lambda pair: (pair[0].rank, -usable.index(pair)))
    minors = sorted({m for _, m in usable})
    choice = VersionChoice(best[1], f"{best[0].kind} at {best[0].where}", found=list(found))
    if len(minors) > 1:
        choice.disagreement = (
            f"the report names Kubernetes {', '.join(minors)}; used {best[1]} ({best[0].where})"
        )
    return choice


def _minor(version: str) -> str:
    parts = version.split(".")
    return ".".join(parts[:2])
