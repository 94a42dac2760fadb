"""Which panic the model names, and when it happens, as the upstream source at the tags says.

Read from kubeshop/botkube (``git show <tag>:internal/source/kubernetes/...``):

* ``router.go`` ``BuildTable`` -> ``mergeResourceEvents`` reads ``cfg.Event.Types`` while the
  routing table is built, in ``consumeEvents`` before any informer is registered: a source
  without a top-level ``event`` panics the process before anything can be delivered (#1474).
* ``registration.go`` ``matchEvent`` (v1.0.0-v1.2.0, line 194) calls
  ``rt.namespaces.AreConstraintsDefined()`` on the route's namespace pointer, which
  ``resourceNamespaces`` leaves nil when neither the source nor the resource sets namespaces. It
  runs per event, inside the informer's handler (``handleFunc`` -> ``qualifyEvent``), after the
  reason, message and name checks of that route and *before* ``handleEvent`` skips objects older
  than the start. So the panic waits for the first event that reaches it: at once for a create
  route on a resource whose objects exist (the informer's first list replays them as adds),
  later for a resource that has none yet; until then other routes deliver. v1.3.0 (PR #1157)
  checks the pointer.
* ``matchEvent`` up to v1.9.1 returns ``false`` at the first route whose reason, message, name or
  namespace rejects the event (so a later route never sees it); from v1.10.0 (PR #1425) it
  continues with the next route.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_botkube.model.events import Happening
from pytest_botkube.model.semantics import Analysis, analyze, forwarding
from pytest_botkube.model.versions import KNOWN_BOTKUBE_VERSIONS
from pytest_botkube.yamlio import load_yaml

CONTEXT = "{rbac: {group: {type: Static, static: {values: [botkube-plugins-default]}}}}"
HPA = "autoscaling/v2/horizontalpodautoscalers"
NIL_NAMESPACES = ("v1.0.0", "v1.0.1", "v1.1.0", "v1.1.1", "v1.2.0")


def lint(tmp_path: Path, version: str, **sources: str) -> Analysis:
    body = ""
    for name, config in sources.items():
        cfg = textwrap.indent(textwrap.dedent(config).strip(), " " * 8)
        body += (
            f"  {name}:\n    botkube/kubernetes:\n      enabled: true\n"
            f"      context: {CONTEXT}\n      config:\n{cfg}\n"
        )
    path = tmp_path / "values.yaml"
    path.write_text("sources:\n" + body, encoding="utf-8")
    return analyze(load_yaml(path), version)


def create(resource: str, namespace: str = "default", name: str = "x") -> Happening:
    return Happening(resource=resource, name=name, namespace=namespace, action="create")


def finding(analysis: Analysis, source: str, code: str):
    (found,) = [f for f in analysis.source(source).findings if f.code == code]
    return found


@pytest.mark.parametrize("version", NIL_NAMESPACES)
def test_a_source_without_namespaces_on_pods_panics_in_match_event_at_start(tmp_path, version):
    """Pods exist in every cluster: the create informer's first list replays them through
    matchEvent, so the panic comes right after start, and it is matchEvent's, not
    mergeResourceEvents' (the source has its event)."""
    analysis = lint(
        tmp_path, version, pods="event: {types: [create]}\nresources: [{type: v1/pods}]"
    )
    assert analysis.verdict == "crash"
    bk031 = finding(analysis, "pods", "BK031")
    assert "right after start" in bk031.message
    assert "nothing is delivered before it" in bk031.message
    for happening in (create("v1/pods"), create(HPA)):
        answer = forwarding(analysis, happening)
        assert not answer.delivered
        assert "panics in matchEvent (registration.go:194) right after start" in answer.why
        assert "mergeResourceEvents" not in answer.why


@pytest.mark.parametrize("version", ["v1.2.0", "v1.13.0"])
def test_a_source_without_event_still_names_merge_resource_events(tmp_path, version):
    analysis = lint(
        tmp_path, version, noevent="namespaces: {include: ['.*']}\nresources: [{type: v1/pods}]"
    )
    assert analysis.verdict == "crash"
    answer = forwarding(analysis, create("v1/pods"))
    assert not answer.delivered
    site = "router.go:155" if version == "v1.2.0" else "router.go:159"
    assert f"panics in mergeResourceEvents ({site}) while it builds the routing table" in answer.why


@pytest.mark.parametrize("version", NIL_NAMESPACES)
def test_before_the_first_matching_event_other_routes_deliver(tmp_path, version):
    """No HPA exists at start: the panic waits for the first HPA create or delete, which is not
    sent; a pod created before it is delivered by the other source (same process)."""
    analysis = lint(
        tmp_path,
        version,
        pods="namespaces: {include: ['.*']}\n"
        "event: {types: [create]}\nresources: [{type: v1/pods}]",
        hpas=f"event: {{types: [create, delete]}}\nresources: [{{type: {HPA}}}]",
    )
    assert analysis.verdict == "crash"
    bk031 = finding(analysis, "hpas", "BK031")
    assert f"on the first create or delete event of {HPA}" in bk031.message
    assert "until then the plugin delivers what its routes match" in bk031.message

    pod = forwarding(analysis, create("v1/pods"))
    assert pod.delivered
    assert pod.sources == ("pods",)
    assert "if it comes before the event that makes the plugin panic in matchEvent" in pod.why

    for action in ("create", "delete"):
        hpa = forwarding(analysis, Happening(HPA, "h", "default", action=action))
        assert not hpa.delivered
        assert "it makes the botkube/kubernetes plugin process panic" in hpa.why
        assert "hpas's route for autoscaling/v2/horizontalpodautoscalers" in hpa.why


def test_fixed_in_v1_3_0_the_same_file_is_healthy(tmp_path):
    analysis = lint(
        tmp_path, "v1.3.0", hpas=f"event: {{types: [create]}}\nresources: [{{type: {HPA}}}]"
    )
    assert analysis.verdict == "healthy"
    assert forwarding(analysis, create(HPA)).delivered


@pytest.mark.parametrize("version", NIL_NAMESPACES)
def test_a_reason_filter_keeps_object_changes_away_from_the_nil_read(tmp_path, version):
    """Resource events carry an empty reason: a reason.include that refuses '' ends the walk
    before the namespaces are read. Only a Warning Event with a passing reason reaches it."""
    config = (
        "event: {types: [create, error], reason: {include: [BackOff]}}\n"
        "resources: [{type: v1/pods}]"
    )
    analysis = lint(tmp_path, version, pods=config)
    assert analysis.verdict == "crash"
    bk031 = finding(analysis, "pods", "BK031")
    assert "on the first error event of v1/pods" in bk031.message
    assert "right after start" not in bk031.message

    backoff = Happening("v1/pods", "p", "default", event_type="Warning", reason="BackOff")
    assert (
        "it makes the botkube/kubernetes plugin process panic" in forwarding(analysis, backoff).why
    )
    other = Happening("v1/pods", "p", "default", event_type="Warning", reason="Failed")
    answer = forwarding(analysis, other)
    assert not answer.delivered
    assert "does not pass the reason filter" in answer.why
    assert "panic" not in answer.why.split(";")[-1]


@pytest.mark.parametrize("version", NIL_NAMESPACES)
def test_an_earlier_route_with_namespaces_shields_a_later_one(tmp_path, version):
    """matchEvent returns at the first route that sets namespaces and no labels (true or false),
    so a second entry of the same type without namespaces is never reached: no panic."""
    config = (
        "event: {types: [create]}\n"
        "resources:\n"
        "  - {type: v1/pods, namespaces: {include: [team-a]}}\n"
        "  - {type: v1/pods}\n"
    )
    analysis = lint(tmp_path, version, pods=config)
    assert analysis.verdict == "healthy"
    assert not [f for f in analysis.source("pods").findings if f.code == "BK031"]


@pytest.mark.parametrize("version", NIL_NAMESPACES)
def test_an_earlier_route_with_labels_lets_events_through_to_the_nil_read(tmp_path, version):
    config = (
        "event: {types: [create]}\n"
        "resources:\n"
        "  - {type: v1/pods, namespaces: {include: [team-a]}, labels: {app: web}}\n"
        "  - {type: v1/pods}\n"
    )
    analysis = lint(tmp_path, version, pods=config)
    assert analysis.verdict == "crash"
    assert finding(analysis, "pods", "BK031").path[-1] == 1  # the second entry


TWO_NAMESPACES = (
    "event: {types: [create]}\n"
    "resources:\n"
    "  - {type: v1/pods, namespaces: {include: [team-a]}}\n"
    "  - {type: v1/pods, namespaces: {include: [team-b]}}\n"
)


@pytest.mark.parametrize("version", KNOWN_BOTKUBE_VERSIONS)
def test_up_to_v1_9_the_first_rejecting_route_decides(tmp_path, version):
    """A pod in team-b: rejected by the first route's namespace check up to v1.9.1 (return
    false), passed by the second route from v1.10.0 (continue)."""
    analysis = lint(tmp_path, version, pods="namespaces: {include: ['.*']}\n" + TWO_NAMESPACES)
    assert analysis.verdict == "healthy"
    answer = forwarding(analysis, create("v1/pods", namespace="team-b"))
    stops = KNOWN_BOTKUBE_VERSIONS.index(version) < KNOWN_BOTKUBE_VERSIONS.index("v1.10.0")
    assert answer.delivered is not stops
    if stops:
        assert "namespace 'team-b' does not pass the namespace filter" in answer.why
        assert "resources[0]" in answer.why
    assert forwarding(analysis, create("v1/pods", namespace="team-a")).delivered


def test_lint_and_triage_headlines_say_when_the_panic_comes(tmp_path, capsys):
    from pytest_botkube.cli import main

    hpas = f"event: {{types: [create]}}\nresources: [{{type: {HPA}}}]"
    pods = "event: {types: [create]}\nresources: [{type: v1/pods}]"
    for config, waits in ((hpas, True), (pods, False)):
        analysis = lint(tmp_path, "v1.2.0", s=config)
        assert analysis.verdict == "crash"
        path = tmp_path / "values.yaml"
        assert main(["lint", str(path), "--botkube-version", "v1.2.0"]) == 1
        verdict = capsys.readouterr().out.splitlines()[-1]
        report = tmp_path / "report.md"
        report.write_text(
            f"Botkube 1.2.0 here.\n\n```yaml\n{path.read_text(encoding='utf-8')}```\n",
            encoding="utf-8",
        )
        assert main(["triage", str(report)]) == 1
        headline = capsys.readouterr().out.splitlines()[-1]
        for line in (verdict, headline):
            if waits:
                assert "panics on the first event that reaches a route without namespaces" in line
                assert "until then the other routes deliver" in line
            else:
                assert line.endswith("panics; no kubernetes source delivers anything")
