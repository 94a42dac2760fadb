"""A triaged report as a scenario file (``triage --write-scenario``), built as data.

The values are the report's, repaired only where the report itself was broken and where a
``namespaces.include`` list would keep the suite's own namespace out (each repair is listed in
the description). Every expectation comes from the model on the values the suite installs
(:func:`~pytest_botkube.helm_values.build_values`: its restart threshold, its webhook), its cluster
(the kind node, Kubernetes 1.31) and the suite's workload (manifests/workload.yaml: a
Deployment ``hpa-target`` and its HPA, which emits ``SuccessfulRescale`` and, without
metrics-server, ``FailedGetResourceMetric``), and its ``why`` says so and names the finding it
rests on: a scenario written here claims what the model predicts, not what anyone observed.
Pure: the command writes the text and loads it back with the scenario loader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import yaml

from pytest_botkube.errors import BadInput
from pytest_botkube.helm_values import (
    KUBERNETES_PLUGIN,
    build_values,
    release_prefix,
    run_namespace_pattern,
)
from pytest_botkube.model.config import Constraints
from pytest_botkube.model.events import Happening
from pytest_botkube.model.semantics import Analysis, allows, analyze, forwarding
from pytest_botkube.model.versions import (
    DEFAULT_KUBERNETES_VERSION,
    OLDEST_KUBERNETES_MINOR,
    has_nil_event_panic,
    parse_kubernetes_version,
)
from pytest_botkube.redact import REDACTED, redact_text, redact_values
from pytest_botkube.scenario import Scenario, freeze, thaw
from pytest_botkube.triage.triage import Triage
from pytest_botkube.yamlio import format_key_path

#: The suite's workload, as the model sees it (manifests/workload.yaml; live/workload.py makes
#: the same happenings from the cluster). ``$namespace`` is the run's namespace.
WORKLOAD_NAME = "hpa-target"
_HPA = "autoscaling/v2/horizontalpodautoscalers"
_DEPLOYMENTS = "apps/v1/deployments"
_KINDS = {_HPA: "HorizontalPodAutoscaler", _DEPLOYMENTS: "Deployment"}
_RECEIVER = "http://192.0.2.1:18080/"  # a documentation address; only the bindings matter here


def workload_happenings(namespace: str) -> tuple[Happening, ...]:
    return (
        Happening(_DEPLOYMENTS, WORKLOAD_NAME, namespace, action="create"),
        Happening(_HPA, WORKLOAD_NAME, namespace, action="create"),
        Happening(_HPA, WORKLOAD_NAME, namespace, event_type="Normal", reason="SuccessfulRescale"),
        Happening(
            _HPA, WORKLOAD_NAME, namespace, event_type="Warning", reason="FailedGetResourceMetric"
        ),
    )


@dataclass
class ScenarioDraft:
    name: str
    data: dict[str, Any]
    run_options: list[str]  # what `botkube-repro run FILE` needs to show the bug and its fixes
    repairs: list[str] = field(default_factory=list)
    for_the_suite: list[str] = field(default_factory=list)  # of repairs: namespaces let in

    def next_step(self, path: str) -> str:
        """``botkube-repro run FILE --compare <fixed> --with-workaround --report DIR``"""
        return " ".join(
            ["botkube-repro", "run", path, *self.run_options, "--report", f"{self.name}-report"]
        )

    @property
    def file_name(self) -> str:
        return f"{self.name}.yaml"

    def text(self) -> str:
        head = (
            f"# Written by botkube-repro triage. Every expectation is model-derived (lint on\n"
            f"# BotKube {self.data['botkube_version']}, Kubernetes {DEFAULT_KUBERNETES_VERSION}), "
            "not observed: run it.\n"
        )
        return head + yaml.dump(
            self.data, Dumper=_Dumper, sort_keys=False, width=100, allow_unicode=True
        )


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def scenario_name(report: str, version: str) -> str:
    """``reports/HPA crash.md`` on v1.13.0 -> ``hpa-crash-v1.13.0``."""
    if "#" in report:  # OWNER/REPO#N from --github
        stem = report.replace("/", "-").replace("#", "-")
    else:
        stem = PurePath(report).stem if report not in ("stdin", "-") else "report"
    slug = re.sub(r"[^a-z0-9.]+", "-", stem.lower()).strip("-.") or "report"
    slug = re.sub(r"-?v?\d+\.\d+\.\d+$", "", slug) or "report"
    return f"{slug}-{version}"


def _why(analysis: Analysis, *codes: str) -> str:
    for f in analysis.all_findings():
        if f.code in codes:
            return (
                f"finding {f.code} {f.name} at {format_key_path(('values', *f.path))}: {f.message}"
            )
    return ""


def _min_kubernetes(values: dict[str, Any], version: str, verdict: str) -> str | None:
    """The lowest minor from which the suite's verdict holds up to the suite's node, when
    older clusters would behave differently (e.g. a type still served before 1.26)."""
    top = parse_kubernetes_version(DEFAULT_KUBERNETES_VERSION)[1]
    lowest = top
    for minor in range(top - 1, OLDEST_KUBERNETES_MINOR - 1, -1):
        if analyze(values, version, f"1.{minor}").verdict != verdict:
            break
        lowest = minor
    return None if lowest == OLDEST_KUBERNETES_MINOR else f"1.{lowest}"


def _let_the_run_namespace_in(values: dict[str, Any], name: str) -> list[str]:
    """Add ``pattern`` to every kubernetes source's ``namespaces.include`` list (source level
    and per resource) that ``namespace`` does not pass, in place; the repairs, one per list.

    The suite creates its workload in a namespace of its own (``bk-<scenario>-<random>``), and
    the shipped scenarios watch every namespace (``include: [".*"]``); a reporter's list names
    their own namespaces, which the run's never is. A missing ``namespaces`` key is left alone:
    on v1.0-v1.2 that is the bug (a nil-namespaces panic), and later it is what the report ran.
    The entry is :func:`~pytest_botkube.helm_values.run_namespace_pattern`, from the names
    live/release.py gives a run (one rule); ``exclude`` lists are left as written.
    """
    prefix = release_prefix(name)
    namespace = f"{prefix}-3f2a9c"  # a run's: the prefix and 6 hex digits
    pattern = run_namespace_pattern(name)
    repairs: list[str] = []
    sources = values.get("sources")
    for alias, body in (sources if isinstance(sources, dict) else {}).items():
        plugin = body.get(KUBERNETES_PLUGIN) if isinstance(body, dict) else None
        config = plugin.get("config") if isinstance(plugin, dict) else None
        if not isinstance(config, dict):
            continue
        base = ("sources", str(alias), KUBERNETES_PLUGIN, "config")
        blocks: list[tuple[tuple[str | int, ...], Any]] = [(base, config.get("namespaces"))]
        resources = config.get("resources")
        for i, entry in enumerate(resources if isinstance(resources, list) else []):
            if isinstance(entry, dict):
                blocks.append(((*base, "resources", i), entry.get("namespaces")))
        for path, block in blocks:
            if not isinstance(block, dict) or not isinstance(block.get("include"), list):
                continue
            include = block["include"]
            if not include or allows(
                Constraints(include=tuple(str(p) for p in include if p is not None)), namespace
            ):
                continue
            include.append(pattern)
            where = format_key_path(("values", *path, "namespaces", "include"))
            repairs.append(
                f"{where} {_flow(include[:-1])} lets none of the suite's namespaces through "
                f"(a run creates its workload in {prefix}-<random>, a --compare or workaround "
                f"run in {prefix}-<label>-<random>): added {pattern!r}, or nothing could be "
                "delivered"
            )
    return repairs


def _flow(items: list[Any]) -> str:
    return "[" + ", ".join(repr(str(i)) for i in items) + "]"


def _match(h: Happening) -> dict[str, Any]:
    kind = _KINDS[h.resource]
    if h.is_core_event and h.event_type == "Normal":
        return {"Kind": kind, "Reason": h.reason}
    if h.is_core_event:
        return {"Type": "error", "Kind": kind, "Name": h.name, "Reason": h.reason}
    return {"Type": h.action, "Kind": kind, "Name": h.name}


def build_scenario(t: Triage, *, report_url: str | None = None) -> ScenarioDraft:
    """The scenario for ``t`` (BadInput when the report cannot make one)."""
    if t.values is None:
        raise BadInput(
            f"{t.name}: --write-scenario needs Helm values in the report (found only a log); "
            "the scenario would have nothing to install"
        )
    if t.analysis is None:
        raise BadInput(
            f"{t.name}: --write-scenario needs a BotKube version the model covers: "
            f"{t.botkube.note or t.botkube.reason}"
        )
    sources = t.values.get("sources")
    if not isinstance(sources, dict) or not sources:
        raise BadInput(
            f"{t.name}: --write-scenario: the report's values define no sources; a scenario "
            "needs the source config under test"
        )
    version = t.analysis.botkube_version
    name = scenario_name(t.name, version)
    values = thaw(t.values)
    namespace_repairs = _let_the_run_namespace_in(values, name)
    namespace = f"{release_prefix(name)}-3f2a9c"  # a run's namespace, as the model sees it
    draft_scenario = Scenario(
        name=name,
        description="",
        upstream=(),
        botkube_version=version,
        values=freeze(values),
        expect=None,
    )
    # every expectation comes from the values the run installs (the suite's restart threshold,
    # webhook, sources switched off), not the report's own
    installed_values = build_values(draft_scenario, receiver_url=_RECEIVER)
    suite = analyze(installed_values, version, DEFAULT_KUBERNETES_VERSION)
    verdict = suite.verdict
    if verdict not in ("crash", "exit", "healthy"):
        raise BadInput(
            f"{t.name}: --write-scenario: the model predicts {verdict} (no kubernetes plugin "
            "process to observe); a scenario needs a source that starts"
        )
    basis = f"Model-derived (lint on BotKube {version}, Kubernetes {DEFAULT_KUBERNETES_VERSION})"
    plugin: dict[str, Any]
    # which panic: the model's (#1474's nil event at start, or v1.0-v1.2's nil namespaces)
    panic = suite.first_panic()
    nil_event = panic is None or panic.function == "mergeResourceEvents"
    if verdict == "crash":
        plugin = {
            "status": "Deactivated",
            "restarts": {"exactly": "threshold+1"},
            "exit_statuses": [2],
            "panic": {
                "message": "invalid memory address or nil pointer dereference",
                "function": panic.function if panic else "mergeResourceEvents",
                "location": panic.site if panic else "router.go:159",
            },
            "why": f"{basis}, {_why(suite, 'BK001' if nil_event else 'BK031')}.",
        }
    elif verdict == "exit":
        plugin = {
            "status": "Deactivated",
            "restarts": {"exactly": "threshold+1"},
            "exit_statuses": [1],
            "panic": None,
            "registering_informers": True,
            "why": f"{basis}, {_why(suite, 'BK002', 'BK003', 'BK032')}. The agent restarts the "
            "plugin "
            "`threshold` times and deactivates it on the next failure.",
        }
        bad = sorted(
            {
                m.group(1)
                for f in suite.all_findings()
                if f.code in ("BK002", "BK003", "BK032")
                and (m := re.search(r"type '([^']+)'", f.message))
            }
        )
        if len(bad) == 1:
            plugin["log_contains"] = [
                f"Unable to parse resource: {bad[0]} to register with informer"
            ]
    else:
        plugin = {
            "status": "Running",
            "restarts": {"exactly": 0},
            "exit_statuses": [],
            "panic": None,
            "why": f"{basis}: no finding predicts a panic (BK001) or an exit (BK002, BK003), so "
            "the plugin process keeps running.",
        }
    delivered: list[dict[str, Any]] = []
    not_delivered: list[dict[str, Any]] = []
    # a panic that waits for an event (BK031) lets earlier events through: per happening below
    if verdict == "exit" or (verdict == "crash" and (panic is None or panic.at_start)):
        cause = "panics" if verdict == "crash" else "exits with status 1"
        not_delivered.append(
            {
                "match": {},
                "why": f"{basis}: the botkube/kubernetes plugin process {cause}, so no "
                "kubernetes source delivers anything.",
            }
        )
    for happening in workload_happenings(namespace):
        decision = forwarding(suite, happening)
        why = decision.why.replace(namespace, "$namespace")
        entry = {"match": _match(happening), "why": f"{basis}, forwarding: {why}"}
        if decision.delivered:
            delivered.append(entry)
        elif verdict == "healthy" or happening.reason == "SuccessfulRescale":
            not_delivered.append(entry)
    repairs = [*t.repairs, *namespace_repairs]
    said = [
        f"Written by botkube-repro triage from {report_url or t.name}: the values of block(s) "
        f"{', '.join(str(i) for i in t.values_blocks)} on BotKube {version} "
        f"({t.botkube.reason}).",
    ]
    if t.values_notes:
        said.append("Combined: " + "; ".join(t.values_notes) + ".")
    said.append(
        "Repairs: "
        + ("; ".join(f"({i}) {r}" for i, r in enumerate(repairs, 1)) if repairs else "none")
        + "."
    )
    reporter = ""
    if t.analysis.kubernetes_version != DEFAULT_KUBERNETES_VERSION:
        reporter = f" and {t.analysis.verdict} on the reporter's {t.analysis.kubernetes_version}"
    log = (
        f"the report's log {t.agreement.replace('cannot tell', 'cannot tell about')} it"
        f" ({t.agreement_why})"
    )
    said.append(
        f"The model predicts {verdict} on the suite's Kubernetes {DEFAULT_KUBERNETES_VERSION}"
        f"{reporter}; {log}."
    )
    said.append("Every expectation is model-derived, not observed.")
    if redact_values(values) != values:
        said.append(f"Secret values of the report are replaced by {REDACTED}.")
    upstream: list[str] = []
    if t.known is not None:
        upstream.append(t.known.issue.url)
    if report_url:
        upstream.append(report_url)
    data: dict[str, Any] = {
        "name": name,
        "description": redact_text(" ".join(said)),
        "upstream": upstream,
        "botkube_version": version,
    }
    minimum = _min_kubernetes(installed_values, version, verdict)
    if minimum is not None:
        data["min_kubernetes_version"] = minimum
    # the suite disables every platform but its own webhook: the reporter's secrets are not
    # needed to reproduce, and a scenario file is meant to be shared
    data["values"] = redact_values(values)
    data["expect"] = {"plugin": plugin, "delivered": delivered, "not_delivered": not_delivered}
    fixed = t.known.issue.fixed_in if t.known is not None else None
    extra: list[str] = []
    if fixed and fixed != version:
        extra += ["--compare", fixed]
    if verdict == "crash" and has_nil_event_panic(version) and nil_event:
        extra.append("--with-workaround")  # #1474's workaround; run has no other
    return ScenarioDraft(name, data, extra, repairs, namespace_repairs)
