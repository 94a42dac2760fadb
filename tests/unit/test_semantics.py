import textwrap
from pathlib import Path

import pytest

from pytest_botkube.model.apis import CrdAssumption
from pytest_botkube.model.events import Happening
from pytest_botkube.model.semantics import Analysis, analyze, forwarding
from pytest_botkube.yamlio import load_yaml

HPA = "autoscaling/v2/horizontalpodautoscalers"
OLD_HPA = "autoscaling/v2beta2/horizontalpodautoscalers"
ALL_VERSIONS = ["v1.10.0", "v1.11.0", "v1.12.0", "v1.13.0", "v1.14.0"]


def lint(tmp_path: Path, text: str, version: str, kube: str | None = None) -> Analysis:
    path = tmp_path / "values.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return analyze(load_yaml(path), version, kube)


#: The chart's plugin context, which every user source needs to run (see BK026).
CONTEXT = (
    "      context:\n        rbac:\n          group:\n            type: Static\n"
    "            static: {values: [botkube-plugins-default]}\n"
)


def source(name: str, config: str, enabled: str = "true", context: str = CONTEXT) -> str:
    body = textwrap.indent(textwrap.dedent(config).strip(), " " * 8)
    return (
        f"  {name}:\n    botkube/kubernetes:\n      enabled: {enabled}\n{context}"
        f"      config:\n{body}\n"
    )


def values(*sources: str, comms: str = "") -> str:
    return "sources:\n" + "".join(sources) + comms


def codes(analysis: Analysis, name: str | None = None) -> list[str]:
    if name is None:
        return sorted(f.code for f in analysis.all_findings())
    return sorted(f.code for f in analysis.source(name).findings)


# --------------------------------------------------------------------------- crash shapes

CRASH_SHAPES = {
    "no-event-with-resources": "resources:\n  - type: v1/pods",
    "null-event-with-resources": "event: null\nresources:\n  - type: v1/pods",
    "resource-level-event-only": (
        "resources:\n  - type: " + HPA + "\n    event:\n      types: [create, delete, error]"
    ),
    "issue-1474-verbatim": (
        "namespaces:\n  include: ['.*']\nresources:\n  - type: "
        + HPA
        + "\n    event:\n      types: [Normal]\n      reason:\n        include: [SuccessfulRescale]"
    ),
}

SAFE_SHAPES = {
    "empty-event": "event: {}\nresources:\n  - type: v1/pods",
    "event-without-types": (
        "event:\n  reason:\n    include: ['.*']\nresources:\n  - type: v1/pods"
    ),
    "no-resources-no-event": "recommendations:\n  pod: {labelsSet: true}",
    "no-namespaces-labels-annotations": "event:\n  types: [create]\nresources:\n  - type: v1/pods",
    "empty-config": "{}",
}


@pytest.mark.parametrize("version", ALL_VERSIONS)
@pytest.mark.parametrize("shape", sorted(CRASH_SHAPES))
def test_crash_shapes_panic_up_to_v1_13_only(tmp_path: Path, shape: str, version: str):
    analysis = lint(tmp_path, values(source("bad", CRASH_SHAPES[shape])), version)
    expected = "healthy" if version == "v1.14.0" else "crash"
    assert analysis.verdict == expected
    report = analysis.source("bad")
    assert report.verdict == expected
    if expected == "crash":
        assert report.cause == "crash"
        bk001 = next(f for f in report.findings if f.code == "BK001")
        assert bk001.severity == "error"
        assert bk001.where.startswith(f"{tmp_path / 'values.yaml'}:")
        assert bk001.where.endswith("sources.bad.botkube/kubernetes.config.event")
        assert bk001.upstream == "https://github.com/kubeshop/botkube/issues/1474"
        assert analysis.exit_code == 1
    else:
        assert "BK001" not in codes(analysis)
        assert "BK008" in codes(analysis, "bad")


@pytest.mark.parametrize("version", ["v1.13.0", "v1.14.0"])
@pytest.mark.parametrize("shape", sorted(SAFE_SHAPES))
def test_safe_shapes_never_panic(tmp_path: Path, shape: str, version: str):
    analysis = lint(tmp_path, values(source("ok", SAFE_SHAPES[shape])), version)
    assert analysis.verdict == "healthy"
    assert analysis.source("ok").verdict == "healthy"
    assert analysis.source("ok").cause is None
    assert "BK001" not in codes(analysis)
    assert analysis.exit_code == 0


@pytest.mark.parametrize("version", ["v1.13.0", "v1.14.0"])
def test_one_bad_source_takes_the_whole_process_down(tmp_path: Path, version: str):
    text = values(
        source("a-good", "event: {types: [create]}\nresources:\n  - type: apps/v1/deployments"),
        source("bad", CRASH_SHAPES["issue-1474-verbatim"]),
        source("z-good", "event: {types: [error]}\nresources:\n  - type: v1/pods"),
    )
    analysis = lint(tmp_path, text, version)
    if version == "v1.14.0":
        assert analysis.verdict == "healthy"
        assert all(analysis.source(n).verdict == "healthy" for n in ("a-good", "bad", "z-good"))
        return
    assert analysis.verdict == "crash"
    for name in ("a-good", "z-good"):
        report = analysis.source(name)
        assert report.verdict == "crash"
        assert report.cause is None
        collateral = next(f for f in report.findings if f.code == "BK030")
        assert "bad" in collateral.message
    assert analysis.source("bad").cause == "crash"
    assert "BK030" not in codes(analysis, "bad")


COMMS_TO_OTHER = """
communications:
  default-group:
    webhook:
      enabled: true
      bindings:
        sources: [other]
"""


def test_unbound_source_never_starts_so_never_crashes(tmp_path: Path):
    text = values(
        source("bad", CRASH_SHAPES["no-event-with-resources"]),
        source("other", "event: {types: [create]}\nresources:\n  - type: v1/pods"),
        comms=COMMS_TO_OTHER,
    )
    analysis = lint(tmp_path, text, "v1.13.0")
    assert analysis.verdict == "healthy"
    bad = analysis.source("bad")
    assert (bad.bound, bad.started, bad.verdict) == (False, False, "inactive")
    assert "BK020" in codes(analysis, "bad")
    latent = next(f for f in bad.findings if f.code == "BK001")
    assert latent.severity == "warning"
    assert analysis.exit_code == 0


@pytest.mark.parametrize("enabled", ["false", "null"])
def test_disabled_source_never_starts(tmp_path: Path, enabled: str):
    text = values(source("bad", CRASH_SHAPES["no-event-with-resources"], enabled=enabled))
    analysis = lint(tmp_path, text, "v1.13.0")
    assert analysis.verdict == "not-started"
    assert analysis.exit_code == 0
    assert analysis.source("bad").verdict == "inactive"
    finding = next(f for f in analysis.source("bad").findings if f.code == "BK023")
    assert finding.severity == ("info" if enabled == "false" else "warning")


def test_chart_default_sources_bound_by_default_share_the_process(tmp_path: Path):
    text = values(
        source("bad", CRASH_SHAPES["no-event-with-resources"]),
        comms="communications:\n  default-group:\n    webhook:\n      enabled: true\n"
        "      bindings:\n        sources: [k8s-err-events, bad]\n",
    )
    analysis = lint(tmp_path, text, "v1.13.0")
    assert analysis.verdict == "crash"
    err = analysis.source("k8s-err-events")
    assert (err.origin, err.started, err.verdict, err.cause) == (
        "chart-default",
        True,
        "crash",
        None,
    )
    assert analysis.source("k8s-all-events").verdict == "inactive"


def test_partial_overlay_is_said_once_per_source(tmp_path: Path):
    analysis = lint(tmp_path, values(source("ok", SAFE_SHAPES["empty-event"])), "v1.14.0")
    assert analysis.model.partial_overlay
    assert codes(analysis, "ok").count("BK021") == 1
    assert analysis.source("ok").bound


def test_unknown_bound_source_is_an_error(tmp_path: Path):
    text = values(
        source("ok", "event: {types: [create]}\nresources: [{type: v1/pods}]"),
        comms="communications:\n  g:\n    webhook:\n      enabled: true\n"
        "      bindings:\n        sources: [ok, typo]\n",
    )
    analysis = lint(tmp_path, text, "v1.14.0")
    assert analysis.verdict == "refused"
    assert analysis.source("ok").verdict == "refused"
    finding = next(f for f in analysis.findings if f.code == "BK022")
    assert "typo" in finding.message
    assert finding.where.endswith("communications.g.webhook.bindings.sources[1]")
    assert analysis.exit_code == 1


def test_nothing_bound_says_so(tmp_path: Path):
    analysis = lint(tmp_path, values(source("ok", "{}")) + "communications: {}\n", "v1.14.0")
    assert analysis.verdict == "not-started"
    assert all(not s.started for s in analysis.sources)
    assert [f.code for f in analysis.findings] == ["BK024"]


# --------------------------------------------------------------------------- informers


def informers(tmp_path: Path, config: str, version: str = "v1.13.0") -> dict[str, list[str]]:
    return lint(tmp_path, values(source("s", config)), version).source("s").informers


def test_resource_types_replace_source_types(tmp_path: Path):
    got = informers(
        tmp_path,
        "event: {types: [create, error]}\nresources:\n"
        "  - type: v1/pods\n    event: {types: [delete]}\n  - type: v1/services",
    )
    assert got == {"v1/pods": ["delete"], "v1/services": ["create", "error"]}


def test_all_expands_sorted_and_deduplicated(tmp_path: Path):
    got = informers(
        tmp_path, "event: {types: [delete, all, create, create]}\nresources: [{type: v1/pods}]"
    )
    assert got == {"v1/pods": ["create", "delete", "error", "update"]}


@pytest.mark.parametrize("version", ["v1.13.0", "v1.14.0"])
@pytest.mark.parametrize("spelled", ["Create", "ALL", "Normal", "normal", "warning", "info", "foo"])
def test_no_informer_types(tmp_path: Path, spelled: str, version: str):
    analysis = lint(
        tmp_path,
        values(source("s", f"event: {{types: [{spelled}]}}\nresources: [{{type: v1/pods}}]")),
        version,
    )
    assert analysis.source("s").informers == {"v1/pods": []}
    found = codes(analysis, "s")
    assert ("BK012" if spelled.lower() == "normal" else "BK010") in found
    assert "BK015" in found
    finding = next(f for f in analysis.source("s").findings if f.code in {"BK010", "BK012"})
    assert finding.where.endswith("config.event.types[0]")


def test_v1_14_case_insensitive_route_rides_on_another_sources_informer(tmp_path: Path):
    text = values(
        source("lower", "event: {types: [create]}\nresources: [{type: v1/pods}]"),
        source("upper", "event: {types: [Create]}\nresources: [{type: v1/pods}]"),
    )
    old = lint(tmp_path, text, "v1.13.0")
    new = lint(tmp_path, text, "v1.14.0")
    assert old.source("upper").informers == {"v1/pods": []}
    assert "BK010" in codes(old, "upper")
    assert new.source("upper").informers == {"v1/pods": ["create"]}
    assert "BK010" not in codes(new, "upper")
    pod = Happening(resource="v1/pods", name="p", namespace="default", action="create")
    assert forwarding(old, pod).sources == ("lower",)
    assert forwarding(new, pod).sources == ("lower", "upper")


def test_recommendations_register_create_informers(tmp_path: Path):
    got = informers(
        tmp_path, "recommendations:\n  pod: {labelsSet: true}\n  ingress: {tlsSecretValid: true}"
    )
    assert got == {"networking.k8s.io/v1/ingresses": ["create"], "v1/pods": ["create"]}


# --------------------------------------------------------------------------- exit on bad types


@pytest.mark.parametrize("version", ["v1.13.0", "v1.14.0"])
def test_unserved_api_version_exits_on_both_versions(tmp_path: Path, version: str):
    text = values(
        source(
            "hpa", f"event: {{types: [create, delete, error]}}\nresources: [{{type: {OLD_HPA}}}]"
        ),
        source("other", "event: {types: [create]}\nresources: [{type: apps/v1/deployments}]"),
    )
    analysis = lint(tmp_path, text, version, "1.31")
    assert analysis.verdict == "exit"
    finding = next(f for f in analysis.source("hpa").findings if f.code == "BK002")
    assert finding.where.endswith("resources[0].type")
    assert "autoscaling/v2/horizontalpodautoscalers" in finding.fix
    assert analysis.source("other").verdict == "exit"
    assert "BK030" in codes(analysis, "other")
    assert lint(tmp_path, text, version, "1.25").verdict == "healthy"


@pytest.mark.parametrize("version", ["v1.13.0", "v1.14.0"])
def test_malformed_type_exits(tmp_path: Path, version: str):
    text = values(
        source("s", "event: {types: [create]}\nresources: [{type: horizontalpodautoscalers}]")
    )
    analysis = lint(tmp_path, text, version)
    assert analysis.verdict == "exit"
    assert "BK003" in codes(analysis, "s")


@pytest.mark.parametrize("types", ["[Normal]", "[warning]", "[]"])
def test_bad_type_without_informer_is_never_checked(tmp_path: Path, types: str):
    text = values(source("s", f"event: {{types: {types}}}\nresources: [{{type: {OLD_HPA}}}]"))
    assert lint(tmp_path, text, "v1.14.0").verdict == "healthy"


def test_bad_type_with_only_error_is_never_checked_but_never_matches(tmp_path: Path):
    text = values(source("s", f"event: {{types: [error]}}\nresources: [{{type: {OLD_HPA}}}]"))
    analysis = lint(tmp_path, text, "v1.14.0")
    assert analysis.verdict == "healthy"
    assert "BK005" in codes(analysis, "s")


def test_crash_wins_over_exit(tmp_path: Path):
    text = values(
        source("bad", CRASH_SHAPES["no-event-with-resources"]),
        source("old", f"event: {{types: [create]}}\nresources: [{{type: {OLD_HPA}}}]"),
    )
    analysis = lint(tmp_path, text, "v1.13.0")
    assert analysis.verdict == "crash"  # "bad" streams first and panics
    assert analysis.source("bad").cause == "crash"
    assert analysis.source("old").cause is None  # never part of a run
    assert "BK034" in codes(analysis, "bad")
    assert lint(tmp_path, text, "v1.14.0").verdict == "exit"


def test_custom_resource_exits_unless_its_crd_is_assumed(tmp_path: Path):
    text = values(
        source("s", "event: {types: [create]}\nresources: [{type: example.com/v1/widgets}]")
    )
    analysis = lint(tmp_path, text, "v1.14.0")
    assert analysis.verdict == "exit"
    assert "BK032" in codes(analysis, "s")
    path = tmp_path / "values.yaml"
    assumed = analyze(
        load_yaml(path), "v1.14.0", crds=CrdAssumption.parse(["example.com/v1/widgets"])
    )
    assert assumed.verdict == "healthy"
    assert "BK004" in codes(assumed, "s")


# --------------------------------------------------------------------------- filters


@pytest.mark.parametrize(
    "block",
    [
        "namespaces: {exclude: [kube-system]}\nevent: {types: [create]}",
        "event: {types: [create], message: {exclude: [noisy]}}",
        "event: {types: [create], reason: {exclude: [Boring]}}",
    ],
)
def test_exclude_without_include_rejects_everything(tmp_path: Path, block: str):
    text = values(source("s", block + "\nresources: [{type: v1/pods}]"))
    analysis = lint(tmp_path, text, "v1.13.0")
    assert "BK018" in codes(analysis, "s")
    pod = Happening(resource="v1/pods", name="p", namespace="default", action="create")
    assert not forwarding(analysis, pod).delivered


def test_reason_include_drops_object_changes(tmp_path: Path):
    text = values(
        source(
            "s",
            "event: {types: [create, delete, error]}\nresources:\n  - type: "
            + HPA
            + "\n    event:\n      types: [create, delete, error]\n"
            "      reason: {include: [SuccessfulRescale]}",
        )
    )
    analysis = lint(tmp_path, text, "v1.13.0")
    found = codes(analysis, "s")
    assert "BK011" in found
    assert "BK012" in found
    create = Happening(resource=HPA, name="h", namespace="n", action="create")
    answer = forwarding(analysis, create)
    assert not answer.delivered
    assert "reason filter" in answer.why


def test_message_include_drops_object_changes(tmp_path: Path):
    text = values(
        source(
            "s",
            "event:\n  types: [create]\n  message: {include: [boom]}\nresources: [{type: v1/pods}]",
        )
    )
    assert "BK013" in codes(lint(tmp_path, text, "v1.14.0"), "s")


def test_resource_level_constraints_replace_the_source_event_whole(tmp_path: Path):
    text = values(
        source(
            "s",
            "event:\n  types: [create, error]\n  reason: {include: [OnlyThis]}\n"
            "resources:\n  - type: v1/pods\n    event:\n"
            "      message: {include: ['.*'], exclude: [noisy]}\n"
            "  - type: v1/services",
        )
    )
    analysis = lint(tmp_path, text, "v1.14.0")
    assert "BK014" in codes(analysis, "s")
    pod = Happening(resource="v1/pods", name="p", namespace="n", action="create")
    svc = Happening(resource="v1/services", name="s", namespace="n", action="create")
    assert forwarding(analysis, pod).delivered  # source reason filter no longer applies
    assert not forwarding(analysis, svc).delivered  # it still applies here
    noisy = Happening(
        resource="v1/pods",
        name="p",
        namespace="n",
        event_type="Warning",
        reason="X",
        message="noisy!",
    )
    assert not forwarding(analysis, noisy).delivered


# --------------------------------------------------------------------------- forwarding

DELIVERING = values(
    source(
        "k8s-hpa-events",
        "namespaces: {include: ['.*']}\nevent: {types: [create, delete, error]}\n"
        f"resources: [{{type: {HPA}}}]",
    )
)


@pytest.mark.parametrize("version", ["v1.13.0", "v1.14.0"])
def test_successful_rescale_is_never_forwarded(tmp_path: Path, version: str):
    analysis = lint(tmp_path, DELIVERING, version)
    rescale = Happening(
        resource=HPA, name="h", namespace="n", event_type="Normal", reason="SuccessfulRescale"
    )
    answer = forwarding(analysis, rescale)
    assert not answer.delivered
    assert answer.sources == ()
    assert "Normal" in answer.why


def test_what_an_hpa_can_deliver(tmp_path: Path):
    analysis = lint(tmp_path, DELIVERING, "v1.14.0")
    for happening in (
        Happening(resource=HPA, name="h", namespace="n", action="create"),
        Happening(resource=HPA, name="h", namespace="n", action="delete"),
        Happening(
            resource=HPA,
            name="h",
            namespace="n",
            event_type="Warning",
            reason="FailedGetResourceMetric",
        ),
    ):
        answer = forwarding(analysis, happening)
        assert answer.delivered, answer.why
        assert answer.sources == ("k8s-hpa-events",)
    update = forwarding(analysis, Happening(resource=HPA, name="h", namespace="n", action="update"))
    assert not update.delivered
    assert "'update'" in update.why
    other = Happening(
        resource="v1/pods", name="p", namespace="n", event_type="Warning", reason="BackOff"
    )
    assert "does not watch" in forwarding(analysis, other).why


@pytest.mark.parametrize(
    ("version", "bad", "how"),
    [
        ("v1.13.0", "resources: [{type: v1/pods}]", "panics"),
        ("v1.14.0", f"event: {{types: [create]}}\nresources: [{{type: {OLD_HPA}}}]", "exits"),
    ],
)
def test_dead_process_delivers_nothing(tmp_path: Path, version: str, bad: str, how: str):
    analysis = lint(tmp_path, DELIVERING + source("bad", bad), version)
    answer = forwarding(analysis, Happening(resource=HPA, name="h", namespace="n", action="create"))
    assert not answer.delivered
    assert answer.sources == ()
    assert how in answer.why
    assert "bad" in answer.why


@pytest.mark.parametrize(
    ("namespaces", "namespace", "delivered"),
    [
        ("{include: ['.*']}", "anything", True),
        ("{include: [team-a]}", "team-a", True),
        ("{include: [team-a]}", "team-b", False),
        ("{include: ['.*'], exclude: [kube-system]}", "kube-system", False),
        ("{include: ['.*'], exclude: [kube-system]}", "default", True),
        ("{include: ['team-.*']}", "team-x", True),
        ("{exclude: [kube-system]}", "default", False),
        ("{include: [team-a]}", "my-team-abc", True),  # Go regexp match is unanchored
    ],
)
def test_namespace_filter(tmp_path: Path, namespaces: str, namespace: str, delivered: bool):
    text = values(
        source(
            "s",
            f"namespaces: {namespaces}\nevent: {{types: [create]}}\nresources: [{{type: v1/pods}}]",
        )
    )
    answer = forwarding(
        lint(tmp_path, text, "v1.14.0"),
        Happening(resource="v1/pods", name="p", namespace=namespace, action="create"),
    )
    assert answer.delivered is delivered, answer.why


def test_missing_namespaces_means_every_namespace(tmp_path: Path):
    text = values(source("s", "event: {types: [create]}\nresources: [{type: v1/pods}]"))
    pod = Happening(resource="v1/pods", name="p", namespace="whatever", action="create")
    assert forwarding(lint(tmp_path, text, "v1.13.0"), pod).delivered


def test_name_filter_and_several_sources(tmp_path: Path):
    text = values(
        source(
            "b", "event: {types: [create]}\nresources: [{type: v1/pods, name: {include: [web-.*]}}]"
        ),
        source("a", "event: {types: [create]}\nresources: [{type: v1/pods}]"),
    )
    analysis = lint(tmp_path, text, "v1.14.0")
    web = Happening(resource="v1/pods", name="web-1", namespace="n", action="create")
    db = Happening(resource="v1/pods", name="db-1", namespace="n", action="create")
    assert forwarding(analysis, web).sources == ("a", "b")
    assert forwarding(analysis, db).sources == ("a",)


def test_unstarted_source_forwards_nothing(tmp_path: Path):
    # (This file once appended `other` after `communications:`, which made it a communication
    # group and left the binding pointing at nothing: the agent refuses that file, see below.)
    text = values(
        source("s", "event: {types: [create]}\nresources: [{type: v1/pods}]"),
        "  other:\n    botkube/prometheus: {enabled: true}\n",
        comms=COMMS_TO_OTHER,
    )
    analysis = lint(tmp_path, text, "v1.14.0")
    assert analysis.verdict == "not-started"
    answer = forwarding(
        analysis, Happening(resource="v1/pods", name="p", namespace="n", action="create")
    )
    assert not answer.delivered
    assert "no botkube/kubernetes source is started" in answer.why


def test_node_changes_are_filtered_by_default(tmp_path: Path):
    on = values(source("s", "event: {types: [create]}\nresources: [{type: v1/nodes}]"))
    off = values(
        source(
            "s",
            "filters: {nodeEventsChecker: false}\nevent: {types: [create]}\n"
            "resources: [{type: v1/nodes}]",
        )
    )
    node = Happening(resource="v1/nodes", name="n1", namespace="", action="create")
    first = lint(tmp_path, on, "v1.14.0")
    assert "BK017" in codes(first, "s")
    assert not forwarding(first, node).delivered
    assert forwarding(lint(tmp_path, off, "v1.14.0"), node).delivered


def test_json_contract(tmp_path: Path):
    analysis = lint(tmp_path, values(source("bad", CRASH_SHAPES["issue-1474-verbatim"])), "v1.13.0")
    data = analysis.to_json()
    assert data["botkube_version"] == "v1.13.0"
    assert data["verdict"] == "crash"
    bad = next(s for s in data["sources"] if s["name"] == "bad")
    assert {"name", "enabled", "bound", "verdict", "informers", "findings"} <= set(bad)
    assert bad["informers"] == {HPA: []}
    assert bad["enabled"] is True
    assert bad["bound"] is True
    assert bad["verdict"] == "crash"
    for finding in bad["findings"]:
        assert {"code", "severity", "path", "message", "fix", "upstream"} <= set(finding)
        assert finding["severity"] in {"error", "warning", "info"}
        assert finding["upstream"].startswith("https://")
    assert {f["path"] for f in bad["findings"]} >= {
        "sources.bad.botkube/kubernetes.config.event",
        "sources.bad.botkube/kubernetes.config.resources[0].event.types[0]",
    }


def test_recommendations_take_over_plain_creates(tmp_path: Path):
    text = values(
        source(
            "s",
            "recommendations: {pod: {labelsSet: true}}\nevent: {types: [create, delete]}\n"
            "resources: [{type: v1/pods}]",
        )
    )
    analysis = lint(tmp_path, text, "v1.14.0")
    assert "BK019" in codes(analysis, "s")
    create = Happening(resource="v1/pods", name="p", namespace="n", action="create")
    delete = Happening(resource="v1/pods", name="p", namespace="n", action="delete")
    assert "recommendation" in forwarding(analysis, create).why
    assert forwarding(analysis, delete).delivered


@pytest.mark.parametrize("where", ["source", "resource"])
def test_labels_filter_drops_warning_events_but_not_object_changes(tmp_path: Path, where: str):
    # Upstream matches a Warning Event's labels on the core Event object (k8sutil/resource.go),
    # which controllers create without labels; object changes carry the object's own labels.
    labels = "labels: {app: web}\n"
    config = (
        (labels if where == "source" else "")
        + "event: {types: [create, error]}\n"
        + f"resources:\n  - type: {HPA}\n"
        + ("    " + labels if where == "resource" else "")
    )
    analysis = lint(tmp_path, values(source("hpa", config)), "v1.14.0")
    (finding,) = [f for f in analysis.source("hpa").findings if f.code == "BK025"]
    assert finding.path[-1] == "labels"
    assert ("resources" in finding.path) is (where == "resource")
    warning = Happening(
        resource=HPA, name="h", namespace="n", event_type="Warning", reason="FailedGetScale"
    )
    answer = forwarding(analysis, warning)
    assert not answer.delivered
    assert "labels" in answer.why
    create = Happening(resource=HPA, name="h", namespace="n", action="create")
    assert forwarding(analysis, create).delivered


def test_no_labels_filter_no_labels_finding(tmp_path: Path):
    config = f"event: {{types: [create, error]}}\nresources:\n  - type: {HPA}\n"
    analysis = lint(tmp_path, values(source("hpa", config)), "v1.14.0")
    assert "BK025" not in codes(analysis)


@pytest.mark.parametrize("version", ["v1.13.0", "v1.14.0"])
def test_every_configured_resource_is_a_key_of_informers(tmp_path: Path, version: str):
    """A resource whose effective type list is empty (no types anywhere) or whose types register
    nothing still maps to ``[]``: the JSON contract names every resource the source lists."""
    config = """
        event:
          types: []
        resources:
          - type: v1/pods
          - type: apps/v1/deployments
            event:
              types: [Normal]
          - type: v1/services
            event:
              types: [create]
    """
    analysis = lint(tmp_path, values(source("s", config)), version)
    informers = analysis.to_json()["sources"][0]["informers"]
    assert informers == {"v1/pods": [], "apps/v1/deployments": [], "v1/services": ["create"]}
