"""Scenario files: a BotKube config, the version it runs on, and what must happen, as data.

A scenario is what a maintainer reads to know what the suite claims about a bug report, so the
model is strict: every key is known, every expectation says why it holds, and any mistake is one
``file:line: key.path: message`` line (``BadInput``), never a traceback. The e2e suite, ``lint``
and ``values`` all consume the same frozen objects, so nothing can edit a scenario behind their
backs. See the README section "Scenarios" for the file format.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast

from pytest_botkube import bundled as resources
from pytest_botkube.errors import BadInput
from pytest_botkube.model.config import active_kubernetes_sources
from pytest_botkube.model.versions import KNOWN_BOTKUBE_VERSIONS, normalize_botkube_version
from pytest_botkube.readers.payload import Delivery, PayloadError, delivery_from_body
from pytest_botkube.text import describe_value
from pytest_botkube.yamlio import KeyPath, YamlDocument, load_yaml, not_values_reason

PluginStatus = Literal["Running", "Deactivated"]
Verdict = Literal["crash", "exit", "healthy"]
BoundKind = Literal["exactly", "at_least", "at_most"]

SCENARIO_SUFFIXES = (".yaml", ".yml")

#: ``data`` keys of the webhook payload a delivery matcher may name (Go field names, as sent),
#: plus ``Source``, which matches one alias of the payload's comma-separated ``source``.
MATCH_FIELDS = (
    "APIVersion",
    "Kind",
    "Title",
    "Name",
    "Namespace",
    "Messages",
    "Type",
    "Reason",
    "Level",
    "Cluster",
    "Count",
    "Action",
    "Resource",
    "Source",
)

#: Matcher field -> keyword of ``Delivery.matches`` (payload.py), so the e2e can use either.
_DELIVERY_FIELD = {
    "APIVersion": "api_version",
    "Kind": "kind",
    "Title": "title",
    "Name": "name",
    "Namespace": "namespace",
    "Messages": "message",
    "Type": "type",
    "Reason": "reason",
    "Level": "level",
    "Cluster": "cluster",
    "Count": "count",
    "Action": "action",
    "Resource": "resource",
    "Source": "source",
}

#: In a matcher value, replaced by the namespace the suite created for the scenario.
NAMESPACE_PLACEHOLDER = "$namespace"

_THRESHOLD = re.compile(r"^threshold\s*(?:([+-])\s*(\d+))?$")
_KUBE_MINOR = re.compile(r"^1\.\d+$")


# --------------------------------------------------------------------------- versions
def normalize_version(text: str) -> str:
    """``1.13.0``/``v1.13.0`` -> ``v1.13.0``; releases the model does not know are ``BadInput``."""
    return normalize_botkube_version(text)


# --------------------------------------------------------------------------- freezing
def freeze(value: Any) -> Any:
    """Deep read-only copy: mappings become ``MappingProxyType``, lists become tuples.

    YAML anchors share one object between several keys; freezing copies each occurrence, so the
    result has no hidden aliasing either.
    """
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Deep mutable copy of a frozen (or plain) value: plain dicts and lists, nothing shared."""
    if isinstance(value, Mapping):
        return {str(k): thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(v) for v in value]
    return value


# --------------------------------------------------------------------------- model
@dataclass(frozen=True)
class RestartBound:
    """How many restarts ``/healthz`` reports once the plugin settled, maybe relative to the
    threshold the suite sets (BotKube deactivates after ``threshold + 1`` failed processes)."""

    kind: BoundKind
    count: int
    relative_to_threshold: bool = False

    def resolve(self, threshold: int) -> int:
        return self.count + threshold if self.relative_to_threshold else self.count

    def holds(self, observed: int, threshold: int) -> bool:
        want = self.resolve(threshold)
        if self.kind == "exactly":
            return observed == want
        if self.kind == "at_least":
            return observed >= want
        return observed <= want

    def describe(self, threshold: int | None = None) -> str:
        words = self.kind.replace("_", " ")
        if not self.relative_to_threshold:
            return f"{words} {self.count}"
        expr = "threshold" if self.count == 0 else f"threshold{self.count:+d}"
        resolved = f" = {self.resolve(threshold)}" if threshold is not None else ""
        return f"{words} {expr}{resolved}"


@dataclass(frozen=True)
class PanicSignature:
    """What the plugin's panic trace in the agent log must contain."""

    message: str  # substring of the ``panic: ...`` line
    function: str  # a frame's function name, e.g. ``mergeResourceEvents``
    location: str  # ``file.go:line`` of that frame, e.g. ``router.go:159``


@dataclass(frozen=True)
class PluginExpectation:
    """The ``botkube/kubernetes`` plugin process as ``/healthz`` and the agent log show it.

    Every enabled kubernetes source alias shares one plugin process, so the status applies to each.
    """

    status: PluginStatus
    restarts: RestartBound
    exit_statuses: tuple[int, ...]  # every logged plugin exit has one of these; () = no exit
    panic: PanicSignature | None
    registering_informers: bool | None  # ``Registering informers...`` logged; None = unchecked
    log_contains: tuple[str, ...]
    why: str

    @property
    def verdict(self) -> Verdict | None:
        """The ``lint`` verdict this outcome corresponds to; None when it corresponds to none."""
        if self.status == "Running":
            return "healthy"
        if self.panic is not None:
            return "crash"
        if 1 in self.exit_statuses:
            return "exit"
        return None


@dataclass(frozen=True)
class DeliveryExpectation:
    """A webhook payload that must (or must not) arrive, as exact field matchers on ``data``."""

    match: Mapping[str, str | int]
    why: str

    def resolved(self, namespace: str) -> dict[str, str | int]:
        """The matchers with ``$namespace`` replaced by the scenario's namespace."""
        return {
            key: value.replace(NAMESPACE_PLACEHOLDER, namespace)
            if isinstance(value, str)
            else value
            for key, value in self.match.items()
        }

    def delivery_kwargs(self, namespace: str) -> dict[str, object]:
        """Keyword arguments for :meth:`pytest_botkube.readers.payload.Delivery.matches`."""
        return {_DELIVERY_FIELD[key]: value for key, value in self.resolved(namespace).items()}

    def matches(self, payload: Delivery | Mapping[str, Any], namespace: str) -> bool:
        """Whether one delivery (typed, or a raw webhook body ``{"source": ..., "data": {...}}``)
        satisfies every matcher. One implementation: :meth:`Delivery.matches` with
        :meth:`delivery_kwargs` (values compare exactly; ``Source`` is one of the aliases,
        ``Messages`` one of the messages). An empty matcher matches every delivery: "nothing at
        all is delivered". A body that is not BotKube's shape matches nothing."""
        if not isinstance(payload, Delivery):
            try:
                payload = delivery_from_body(payload)
            except PayloadError:
                return False
        return payload.matches(**self.delivery_kwargs(namespace))

    def describe(self) -> str:
        if not self.match:
            return "any delivery"
        return ", ".join(f"{k}={v}" for k, v in self.match.items())


@dataclass(frozen=True)
class Expectation:
    plugin: PluginExpectation
    delivered: tuple[DeliveryExpectation, ...]
    not_delivered: tuple[DeliveryExpectation, ...]

    @property
    def verdict(self) -> Verdict | None:
        return self.plugin.verdict


@dataclass(frozen=True)
class Scenario:
    """One reproducible claim: these values on this BotKube version lead to this outcome.

    ``values`` is deep-frozen; use :meth:`overlay` for a mutable copy. ``expect`` is None for an
    ad-hoc run of a user's values file, whose only expectation is that the run completes.
    """

    name: str
    description: str
    upstream: tuple[str, ...]
    botkube_version: str
    values: Mapping[str, Any]
    expect: Expectation | None
    min_kubernetes_version: str | None = None
    path: Path | None = None

    @property
    def adhoc(self) -> bool:
        return self.expect is None

    def overlay(self) -> dict[str, Any]:
        """A fresh, mutable copy of the Helm values overlay."""
        return cast(dict[str, Any], thaw(self.values))

    def source_aliases(self) -> tuple[str, ...]:
        """The active ``botkube/kubernetes`` sources of the overlay on this version (the model's
        one rule, shared with ``lint`` and ``values``)."""
        return kubernetes_source_aliases(self.values, self.botkube_version)


def kubernetes_source_aliases(
    values: Mapping[str, Any], botkube_version: str | None = None
) -> tuple[str, ...]:
    """:func:`pytest_botkube.model.config.active_kubernetes_sources` (newest version if none)."""
    return active_kubernetes_sources(values, botkube_version or KNOWN_BOTKUBE_VERSIONS[-1])


# --------------------------------------------------------------------------- validation
class _Reader:
    """Typed access to one document with errors that name file, line and key path."""

    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc

    def fail(self, path: KeyPath, message: str) -> BadInput:
        return self.doc.error(path, message)

    def mapping(
        self,
        value: Any,
        path: KeyPath,
        *,
        required: Sequence[str] = (),
        optional: Sequence[str] = (),
    ) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected a mapping, got {_type_name(value)}")
        allowed = (*required, *optional)
        for key in value:
            if not isinstance(key, str) or key not in allowed:
                raise self.fail(
                    (*path, str(key)),
                    f"unknown key {str(key)!r}; expected one of: {', '.join(allowed)}",
                )
        for key in required:
            if key not in value:
                raise self.fail(path, f"missing required key {key!r}")
        return value

    def string(self, value: Any, path: KeyPath, *, allow_empty: bool = False) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"expected a string, got {_type_name(value)}")
        if not allow_empty and not value.strip():
            raise self.fail(path, "must not be empty")
        return value

    def boolean(self, value: Any, path: KeyPath) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"expected true or false, got {_type_name(value)}")
        return value

    def items(self, value: Any, path: KeyPath) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, got {_type_name(value)}")
        return value


_type_name = describe_value


_TOP_REQUIRED = ("name", "description", "upstream", "botkube_version", "values", "expect")
_TOP_OPTIONAL = ("min_kubernetes_version",)
_PLUGIN_REQUIRED = ("status", "restarts", "exit_statuses", "panic", "why")
_PLUGIN_OPTIONAL = ("registering_informers", "log_contains")
_STATUSES: tuple[PluginStatus, ...] = ("Running", "Deactivated")


def _parse_restarts(r: _Reader, value: Any, path: KeyPath) -> RestartBound:
    body = r.mapping(value, path, optional=("exactly", "at_least", "at_most"))
    if len(body) != 1:
        raise r.fail(path, "give exactly one of exactly, at_least, at_most")
    kind, raw = next(iter(body.items()))
    where = (*path, kind)
    if isinstance(raw, int) and not isinstance(raw, bool):
        if raw < 0:
            raise r.fail(where, "must not be negative")
        return RestartBound(cast(BoundKind, kind), raw)
    if isinstance(raw, str):
        m = _THRESHOLD.match(raw.strip())
        if m:
            offset = int(m[2] or 0) * (-1 if m[1] == "-" else 1)
            return RestartBound(cast(BoundKind, kind), offset, relative_to_threshold=True)
    raise r.fail(
        where,
        f"expected a count or 'threshold', 'threshold+N', 'threshold-N', got {_type_name(raw)}",
    )


def _parse_plugin(r: _Reader, value: Any, path: KeyPath) -> PluginExpectation:
    body = r.mapping(value, path, required=_PLUGIN_REQUIRED, optional=_PLUGIN_OPTIONAL)
    status = body["status"]
    if status not in _STATUSES:
        raise r.fail(
            (*path, "status"), f"expected Running or Deactivated, got {_type_name(status)}"
        )
    exits = []
    for index, item in enumerate(r.items(body["exit_statuses"], (*path, "exit_statuses"))):
        if not isinstance(item, int) or isinstance(item, bool) or item < 0:
            raise r.fail(
                (*path, "exit_statuses", index), f"expected a process exit status, got {item!r}"
            )
        exits.append(item)
    panic = None
    if body["panic"] is not None:
        ppath = (*path, "panic")
        pbody = r.mapping(body["panic"], ppath, required=("message", "function", "location"))
        panic = PanicSignature(
            message=r.string(pbody["message"], (*ppath, "message")),
            function=r.string(pbody["function"], (*ppath, "function")),
            location=r.string(pbody["location"], (*ppath, "location")),
        )
    informers = body.get("registering_informers")
    if informers is not None:
        informers = r.boolean(informers, (*path, "registering_informers"))
    logs = tuple(
        r.string(item, (*path, "log_contains", i))
        for i, item in enumerate(r.items(body.get("log_contains", []), (*path, "log_contains")))
    )
    plugin = PluginExpectation(
        status=cast(PluginStatus, status),
        restarts=_parse_restarts(r, body["restarts"], (*path, "restarts")),
        exit_statuses=tuple(exits),
        panic=panic,
        registering_informers=informers,
        log_contains=logs,
        why=r.string(body["why"], (*path, "why")),
    )
    if plugin.verdict is None:
        raise r.fail(
            path,
            "a Deactivated plugin needs a panic (crash) or exit status 1 (exit loop) to say why",
        )
    if status == "Running" and panic is not None:
        raise r.fail((*path, "panic"), "a Running plugin cannot also expect a panic")
    return plugin


def _parse_deliveries(r: _Reader, value: Any, path: KeyPath) -> tuple[DeliveryExpectation, ...]:
    out = []
    for index, item in enumerate(r.items(value, path)):
        ipath = (*path, index)
        body = r.mapping(item, ipath, required=("match", "why"))
        mpath = (*ipath, "match")
        matcher = r.mapping(body["match"], mpath, optional=MATCH_FIELDS)
        clean: dict[str, str | int] = {}
        for key, raw in matcher.items():
            if key == "Count":
                if not isinstance(raw, int) or isinstance(raw, bool):
                    raise r.fail((*mpath, key), f"expected a number, got {_type_name(raw)}")
                clean[key] = raw
            else:
                clean[key] = r.string(raw, (*mpath, key))
        out.append(
            DeliveryExpectation(
                match=MappingProxyType(clean), why=r.string(body["why"], (*ipath, "why"))
            )
        )
    return tuple(out)


def _parse_values(
    r: _Reader, value: Any, path: KeyPath, *, need_sources: bool
) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise r.fail(path, f"expected a mapping of Helm values, got {_type_name(value)}")
    for key in value:
        if not isinstance(key, str):
            raise r.fail(path, f"Helm value keys must be strings, got {key!r}")
    if need_sources and "sources" not in value:
        raise r.fail(path, "missing required key 'sources' (the source config under test)")
    sources = value.get("sources")
    if sources is not None or "sources" in value:
        spath = (*path, "sources")
        if not isinstance(sources, Mapping) or (need_sources and not sources):
            raise r.fail(
                spath, f"expected a non-empty mapping of sources, got {_type_name(sources)}"
            )
        for alias, body in sources.items():
            if not isinstance(body, Mapping):
                raise r.fail((*spath, str(alias)), f"expected a mapping, got {_type_name(body)}")
    return cast(Mapping[str, Any], freeze(value))


def _parse_document(doc: YamlDocument, path: Path | None) -> Scenario:
    r = _Reader(doc)
    if doc.data is None:
        raise BadInput(f"{doc.name}: empty file; expected a scenario mapping")
    top = r.mapping(doc.data, (), required=_TOP_REQUIRED, optional=_TOP_OPTIONAL)
    name = r.string(top["name"], ("name",))
    if path is not None and name != path.stem:
        raise r.fail(("name",), f"name {name!r} must match the file name {path.stem!r}")
    upstream = tuple(
        r.string(item, ("upstream", i))
        for i, item in enumerate(r.items(top["upstream"], ("upstream",)))
    )
    for i, link in enumerate(upstream):
        if not link.startswith(("https://", "http://")):
            raise r.fail(("upstream", i), f"expected a URL, got {link!r}")
    raw_version = top["botkube_version"]
    if not isinstance(raw_version, str):
        raise r.fail(("botkube_version",), f"expected a string, got {_type_name(raw_version)}")
    try:
        version = normalize_version(raw_version)
    except BadInput as exc:
        raise r.fail(("botkube_version",), str(exc)) from None
    kube = top.get("min_kubernetes_version")
    if kube is not None and (not isinstance(kube, str) or not _KUBE_MINOR.match(kube)):
        raise r.fail(
            ("min_kubernetes_version",),
            f'expected a quoted "1.MINOR" string such as "1.26", got {_type_name(kube)}',
        )
    epath: KeyPath = ("expect",)
    ebody = r.mapping(top["expect"], epath, required=("plugin", "delivered", "not_delivered"))
    expect = Expectation(
        plugin=_parse_plugin(r, ebody["plugin"], (*epath, "plugin")),
        delivered=_parse_deliveries(r, ebody["delivered"], (*epath, "delivered")),
        not_delivered=_parse_deliveries(r, ebody["not_delivered"], (*epath, "not_delivered")),
    )
    return Scenario(
        name=name,
        description=r.string(top["description"], ("description",)).strip(),
        upstream=upstream,
        botkube_version=version,
        values=_parse_values(r, top["values"], ("values",), need_sources=True),
        expect=expect,
        min_kubernetes_version=kube,
        path=path,
    )


# --------------------------------------------------------------------------- API
def load_scenario(path: Path | str) -> Scenario:
    """Read and validate one scenario file."""
    p = Path(path)
    return scenario_from_document(load_yaml(p), p)


def scenario_from_document(doc: YamlDocument, path: Path | None) -> Scenario:
    """Validate a parsed scenario file as the loader does (``path`` None: standard input, whose
    name is not checked against the scenario's)."""
    doc.refuse_key_notes()  # our own files: a key Helm would drop or rename is a mistake
    return _parse_document(doc, path)


def _scenario_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise BadInput(f"{directory}: no such scenario directory")
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in SCENARIO_SUFFIXES)


def load_scenarios(directory: Path | str | None = None) -> list[Scenario]:
    """Every scenario in ``directory`` (default: the project's ``scenarios/``), sorted by name.

    Two files with one name (``x.yaml`` and ``x.yml``) are refused: a scenario name must pick
    exactly one file.
    """
    base = resources.scenarios_dir() if directory is None else Path(directory)
    seen: dict[str, Scenario] = {}
    for file in _scenario_files(base):
        scenario = load_scenario(file)
        if scenario.name in seen:
            other = seen[scenario.name].path
            doc = load_yaml(file)
            raise doc.error(
                ("name",), f"duplicate scenario name {scenario.name!r} (also in {other})"
            )
        seen[scenario.name] = scenario
    return [seen[name] for name in sorted(seen)]


def scenario_names(directory: Path | str | None = None) -> list[str]:
    """Names of the scenario files, without loading them (cheap, for parametrization and help)."""
    base = resources.scenarios_dir() if directory is None else Path(directory)
    return sorted({p.stem for p in _scenario_files(base)})


def find_scenario(name_or_path: str | Path, directory: Path | str | None = None) -> Scenario:
    """A scenario by name (looked up in ``directory``) or by path to its file."""
    text = str(name_or_path)
    candidate = Path(text)
    if candidate.suffix in SCENARIO_SUFFIXES or "/" in text or candidate.is_file():
        return load_scenario(candidate)
    base = resources.scenarios_dir() if directory is None else Path(directory)
    for suffix in SCENARIO_SUFFIXES:
        file = base / f"{text}{suffix}"
        if file.is_file():
            return load_scenario(file)
    known = ", ".join(scenario_names(base)) if base.is_dir() else "none"
    raise BadInput(f"no scenario named {text!r} in {base} (known: {known})")


def adhoc_scenario(values_path: Path | str, botkube_version: str) -> Scenario:
    """A user's own Helm values file as a scenario with no expectation but "the run completes".

    This is how a maintainer replays a bug report: the reporter's values, the reporter's version.
    """
    p = Path(values_path)
    doc = load_yaml(p)
    version = normalize_version(botkube_version)
    if doc.data is None:
        raise BadInput(f"{doc.name}: empty file; expected a mapping of Helm values")
    reason = not_values_reason(doc.data) if isinstance(doc.data, Mapping) else ""
    if reason:  # a manifest; other shapes get _parse_values' message
        raise BadInput(f"{doc.name}: {reason}")
    values = _parse_values(_Reader(doc), doc.data, (), need_sources=False)
    return Scenario(
        name=f"adhoc-{p.stem}",
        description=f"The values file {p} run as-is on BotKube {version}.",
        upstream=(),
        botkube_version=version,
        values=values,
        expect=None,
        path=p,
    )


#: Top-level keys a scenario has and the BotKube chart's values never do.
SCENARIO_ONLY_KEYS = frozenset({"expect", "values", "botkube_version"})


def looks_like_scenario(data: Any) -> bool:
    """Whether a parsed file is meant as a scenario rather than a bare Helm values file: any
    scenario-only key says so, so that a broken scenario is named as one (and validated)."""
    return isinstance(data, Mapping) and bool(SCENARIO_ONLY_KEYS & set(data))
