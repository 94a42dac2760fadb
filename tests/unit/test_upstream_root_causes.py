"""The model against behaviour re-derived from the upstream Go source, one section per root cause
of issue 14, on every BotKube version where the cause applies.

The expectations are written from the source at each tag (kubeshop/botkube and the koanf,
mapstructure and apimachinery versions its go.mod pins), not from the model: each test names the
upstream function it restates.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_botkube.model.semantics import Analysis, analyze
from pytest_botkube.model.versions import KNOWN_BOTKUBE_VERSIONS
from pytest_botkube.yamlio import load_yaml

ALL = KNOWN_BOTKUBE_VERSIONS
CONTEXT = "{rbac: {group: {type: Static, static: {values: [botkube-plugins-default]}}}}"
HPA = "autoscaling/v2/horizontalpodautoscalers"


def lint(tmp_path: Path, text: str, version: str, kube: str | None = None) -> Analysis:
    path = tmp_path / "values.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return analyze(load_yaml(path), version, kube)


def source(name: str, config: str, context: str | None = CONTEXT) -> str:
    body = textwrap.indent(textwrap.dedent(config).strip(), " " * 8)
    ctx = f"      context: {context}\n" if context is not None else ""
    return f"  {name}:\n    botkube/kubernetes:\n      enabled: true\n{ctx}      config:\n{body}\n"


def values(*sources: str) -> str:
    return "sources:\n" + "".join(sources)


def codes(analysis: Analysis, name: str) -> set[str]:
    return {f.code for f in analysis.source(name).findings}


CRASHING = "namespaces: {include: ['.*']}\nresources:\n  - type: v1/pods"
HEALTHY = "namespaces: {include: ['.*']}\nevent: {types: [create]}\nresources:\n  - type: v1/pods"


# --------------------------------------------------------------------------- 1. RBAC context
# pkg/plugin/kubeconfig.go GenerateKubeConfig returns nothing for a nil rbac (and, from v1.4.0,
# for an rbac with neither a user nor a group type); source.go Stream calls
# ValidateKubeConfigProvided before MergeConfigs and before storing the source (from v1.0.1).


@pytest.mark.parametrize("version", ALL[1:])
def test_a_source_without_rbac_context_is_rejected_and_cannot_crash(tmp_path: Path, version: str):
    text = values(source("bare", CRASHING, context=None), source("ok", HEALTHY))
    analysis = lint(tmp_path, text, version)
    assert analysis.verdict == "healthy"
    bare = analysis.source("bare")
    assert bare.verdict == "rejected"
    assert not bare.started
    assert bare.cause is None
    assert bare.informers == {"v1/pods": []}
    assert "BK026" in codes(analysis, "bare")
    # It would panic once it runs, which the finding says as a warning, not as the crash.
    assert all(f.severity == "warning" for f in bare.findings if f.code == "BK001")
    (finding,) = [f for f in bare.findings if f.code == "BK026"]
    assert "kubeconfig data is missing" in finding.message
    assert "an alias you add gets none from the chart" in finding.message
    assert analysis.source("ok").verdict == "healthy"
    assert analysis.exit_code == 1


def test_v1_0_0_streams_without_a_kubeconfig_and_the_process_exits(tmp_path: Path):
    """v1.0.0's Stream has no kubeconfig check: NewClient fails on the empty kubeconfig and
    exitOnError ends the process with status 1."""
    analysis = lint(tmp_path, values(source("bare", HEALTHY, context=None)), "v1.0.0")
    assert analysis.verdict == "exit"
    assert analysis.source("bare").cause == "exit"
    assert "BK026" in codes(analysis, "bare")


def test_v1_0_0_crash_beats_the_exit_of_a_source_without_kubeconfig(tmp_path: Path):
    text = values(source("a-bare", HEALTHY, context=None), source("b-bad", CRASHING))
    assert lint(tmp_path, text, "v1.0.0").verdict == "crash"


@pytest.mark.parametrize("version", ALL)
def test_rbac_without_subject_types(tmp_path: Path, version: str):
    """``rbac: {}``: no kubeconfig from v1.4.0; before, a kubeconfig without impersonation."""
    text = values(source("empty", HEALTHY, context="{rbac: {}}"))
    analysis = lint(tmp_path, text, version)
    rejected = version not in ALL[: ALL.index("v1.4.0")]
    assert (analysis.source("empty").verdict == "rejected") is rejected
    assert ("BK026" in codes(analysis, "empty")) is rejected


@pytest.mark.parametrize("version", ["v1.3.0", "v1.9.1", "v1.13.0", "v1.14.0"])
def test_a_chart_default_source_keeps_the_charts_context_when_overridden(
    tmp_path: Path, version: str
):
    """Helm merges the overlay into the chart's source: its context survives."""
    text = values(source("k8s-all-events", HEALTHY, context=None))
    analysis = lint(tmp_path, text, version)
    report = analysis.source("k8s-all-events")
    assert report.verdict == "healthy"
    assert "BK026" not in codes(analysis, "k8s-all-events")


def test_context_null_drops_the_charts_context(tmp_path: Path):
    analysis = lint(tmp_path, values(source("k8s-all-events", HEALTHY, context="null")), "v1.13.0")
    assert analysis.source("k8s-all-events").verdict == "rejected"


@pytest.mark.parametrize("version", ["v1.0.0", "v1.9.1", "v1.13.0", "v1.14.0"])
def test_one_binding_list_with_different_rbac_is_refused(tmp_path: Path, version: str):
    """pkg/config/validator.go validatePluginRBAC: same plugin, different RBAC, one list."""
    other = "{rbac: {group: {type: Static, static: {values: [team-a]}}}}"
    comms = (
        "communications:\n  g:\n    webhook:\n      enabled: true\n      url: http://x\n"
        "      bindings:\n        sources: [a, b]\n"
    )
    text = values(source("a", HEALTHY), source("b", HEALTHY, context=other)) + comms
    analysis = lint(tmp_path, text, version)
    refused = [f for f in analysis.findings if f.code == "BK029"]
    assert refused
    assert refused[0].severity == "error"
    assert "does not start" in refused[0].message
    same = values(source("a", HEALTHY), source("b", HEALTHY)) + comms
    assert not [f for f in lint(tmp_path, same, version).findings if f.code == "BK029"]


# --------------------------------------------------------------------------- 4. weak decoding
# pkg/plugin/config.go (pkg/pluginx before v1.9.0) loads the config with koanf and unmarshals it
# with koanf's default decoder config: mapstructure WeaklyTypedInput plus a string-to-slice hook
# on "," (koanf v1.4.4/v1.4.5 UnmarshalWithConf; mapstructure v1.5.0 on every tag).


@pytest.mark.parametrize("version", ALL)
def test_comma_separated_types_are_a_list(tmp_path: Path, version: str):
    config = """
        namespaces: {include: '.*'}
        event: {types: 'create,delete'}
        resources:
          - type: v1/pods
          - type: apps/v1/deployments
            event: {types: error}
    """
    analysis = lint(tmp_path, values(source("s", config)), version)
    assert analysis.verdict == "healthy"
    report = analysis.source("s")
    assert report.informers == {"v1/pods": ["create", "delete"], "apps/v1/deployments": ["error"]}
    notes = [f for f in report.findings if f.code == "BK028"]
    assert {f.severity for f in notes} == {"info"}
    assert any("split on commas" in f.message for f in notes)


def test_a_space_after_the_comma_is_kept_and_registers_nothing(tmp_path: Path):
    config = (
        "namespaces: {include: '.*'}\nevent: {types: 'create, delete'}\n"
        "resources: [{type: v1/pods}]"
    )
    analysis = lint(tmp_path, values(source("s", config)), "v1.13.0")
    assert analysis.source("s").informers == {"v1/pods": ["create"]}
    assert "BK010" in codes(analysis, "s")  # ' delete' is not a BotKube event type


@pytest.mark.parametrize("version", ["v1.0.0", "v1.9.1", "v1.13.0", "v1.14.0"])
def test_an_undecodable_config_rejects_the_source_without_a_crash(tmp_path: Path, version: str):
    """``namespaces: ['.*']`` cannot become RegexConstraints: MergeConfigs fails in Stream."""
    config = "namespaces: ['.*']\nresources: [{type: v1/pods}]"  # would also panic (no event)
    analysis = lint(tmp_path, values(source("bad", config), source("ok", HEALTHY)), version)
    assert analysis.verdict == "healthy"
    assert analysis.source("bad").verdict == "rejected"
    assert "BK027" in codes(analysis, "bad")
    assert analysis.source("ok").verdict == "healthy"


def test_values_says_a_live_run_reproduces_the_rejection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    from pytest_botkube.cli import main

    path = tmp_path / "bare.yaml"
    path.write_text(values(source("my-hpa", CRASHING, context=None)), encoding="utf-8")
    assert main(["values", str(path), "--botkube-version", "v1.13.0"]) == 0
    out, err = capsys.readouterr()
    assert "my-hpa" in out
    assert err.startswith("note: source 'my-hpa' is rejected by the plugin (BK026")
    assert "not a panic" in err
    path.write_text(values(source("my-hpa", CRASHING)), encoding="utf-8")
    assert main(["values", str(path), "--botkube-version", "v1.13.0"]) == 0
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------- 3. the type lookup
# source.go parseResourceArg only asks mapper.ResourcesFor(gvr) not to fail; the informer is then
# ForResource(gvr) with the type as written. apimachinery meta/restmapper.go (v0.25.4 ... v0.29.0,
# the same code at every version BotKube pins) lower-cases the resource, knows singular and
# plural (and the <Kind>List names client-go's discovery mapper adds), and for a two-part
# version/resource matches that version in any group.

WATCH = "namespaces: {{include: ['.*']}}\nevent: {{types: [create]}}\nresources: [{{type: {kind}}}]"
LOOSE = [
    "v1/deployments",  # apps/v1 has deployments; /api/v1/deployments does not exist
    "v1/Pods",
    "v1/pod",
    "v1/horizontalpodautoscalers",  # autoscaling/v1
    "apps/v1/Deployments",
    "v1/podlist",
]


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("kind", LOOSE)
def test_a_loosely_matched_type_keeps_the_process_up_and_delivers_nothing(
    tmp_path: Path, version: str, kind: str
):
    config = WATCH.format(kind=kind)
    analysis = lint(tmp_path, values(source("s", config)), version)
    assert analysis.verdict == "healthy"
    report = analysis.source("s")
    assert report.informers == {kind: ["create"]}  # registered, and then lists forever
    found = [f for f in report.findings if f.code in {"BK006", "BK033"}]
    assert found
    assert found[0].severity == "warning"
    assert "retried forever" in found[0].message


@pytest.mark.parametrize(
    "kind", ["v1/deployment", "apps/v1/deployment", "v2/pods", "apps/v1beta9/deployments"]
)
def test_what_the_mapper_refuses_still_exits(tmp_path: Path, kind: str):
    """``v1/deployment``: core v1 has no deployment and ``deployment`` is apps/v1's singular, so
    it *is* matched; the others match nothing in any group and exit."""
    config = WATCH.format(kind=kind)
    verdict = lint(tmp_path, values(source("s", config)), "v1.13.0").verdict
    assert verdict == ("healthy" if kind in {"v1/deployment", "apps/v1/deployment"} else "exit")


# --------------------------------------------------------------------------- 5. CRDs


@pytest.mark.parametrize("version", ALL)
def test_a_custom_resource_exits_on_a_cluster_without_its_crd(tmp_path: Path, version: str):
    config = (
        "namespaces: {include: ['.*']}\nevent: {types: [create]}\n"
        "resources: [{type: monitoring.coreos.com/v1/prometheusrules}]"
    )
    analysis = lint(tmp_path, values(source("s", config)), version)
    assert analysis.verdict == "exit"
    (finding,) = [f for f in analysis.source("s").findings if f.code == "BK032"]
    assert "assuming the cluster serves no custom resources" in finding.message


def test_crd_assumption_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from pytest_botkube.cli import main

    config = (
        "namespaces: {include: ['.*']}\nevent: {types: [create]}\n"
        "resources: [{type: monitoring.coreos.com/v1/prometheusrules}]"
    )
    path = tmp_path / "v.yaml"
    path.write_text(values(source("s", config)), encoding="utf-8")
    base = ["lint", str(path), "--botkube-version", "v1.13.0", "--format", "json"]
    assert main(base) == 1
    capsys.readouterr()
    assert main([*base, "--crd", "monitoring.coreos.com/v1/prometheusrules"]) == 0
    assert (
        '"served": [\n      "monitoring.coreos.com/v1/prometheusrules"' in capsys.readouterr().out
    )
    assert main([*base, "--crd", "monitoring.coreos.com/v1beta1/prometheusrules"]) == 1
    capsys.readouterr()
    assert main([*base, "--assume-crds"]) == 0
    capsys.readouterr()
    assert main([*base, "--crd", "prometheusrules"]) == 2
    assert "GROUP/VERSION/RESOURCE" in capsys.readouterr().err


# --------------------------------------------------------------------------- 2. stream order
# internal/source/scheduler.go schedule() opens streams in maputil.SortKeys order of
# "<alias>_interactive/<bool>" from v1.10.0 (map order before, binding order up to v1.3.0);
# source.go Stream stores the source, StopAndWait()s the running background process and starts
# one over every stored source; the run builds the table (the nil-event panic) and then
# registers informers (parseResourceArg -> exitOnError: log, sleep 2 s, os.Exit(1)) without
# looking at its context, and the next Stream waits for it.

UNSERVED = (
    "namespaces: {include: ['.*']}\nevent: {types: [create]}\n"
    "resources: [{type: autoscaling/v2beta2/horizontalpodautoscalers}]"
)
SORTED = ALL[ALL.index("v1.10.0") : ALL.index("v1.14.0")]  # the panicking shared-router versions
ALONE = ALL[: ALL.index("v1.10.0")]  # one router per stream


@pytest.mark.parametrize("version", SORTED)
def test_an_exit_shaped_source_sorting_first_exits_before_the_crash(tmp_path: Path, version: str):
    text = values(source("a-old-hpa", UNSERVED), source("b-crash", CRASHING))
    analysis = lint(tmp_path, text, version)
    assert analysis.verdict == "exit"
    assert analysis.source("a-old-hpa").cause == "exit"
    assert analysis.source("b-crash").cause is None  # its stream never joins a run
    (order,) = [f for f in analysis.source("a-old-hpa").findings if f.code == "BK034"]
    assert "a-old-hpa_interactive/false, b-crash_interactive/false" in order.message
    assert "depends on stream order" in order.message
    # The same two sources with the crash-shaped one first: the panic.
    swapped = values(source("b-old-hpa", UNSERVED), source("a-crash", CRASHING))
    assert lint(tmp_path, swapped, version).verdict == "crash"


@pytest.mark.parametrize("version", SORTED)
def test_keys_sort_bytewise_not_by_alias(tmp_path: Path, version: str):
    """ "k8s" sorts before "k8s-x" as an alias, but "k8s-x_interactive/false" comes first as a
    key: '-' (0x2d) sorts before '_' (0x5f)."""
    text = values(source("k8s", CRASHING), source("k8s-x", UNSERVED))
    assert lint(tmp_path, text, version).verdict == "exit"


@pytest.mark.parametrize("version", ALONE)
def test_before_v1_10_the_crash_wins_whatever_the_order(tmp_path: Path, version: str):
    text = values(source("a-old-hpa", UNSERVED), source("b-crash", CRASHING))
    analysis = lint(tmp_path, text, version)
    assert analysis.verdict == "crash"
    assert analysis.source("b-crash").cause == "crash"
    assert "BK034" in codes(analysis, "b-crash")


def test_v1_14_has_no_crash_so_the_exit_decides(tmp_path: Path):
    text = values(source("a-crash", CRASHING), source("b-old-hpa", UNSERVED))
    analysis = lint(tmp_path, text, "v1.14.0")
    assert analysis.verdict == "exit"
    assert analysis.source("b-old-hpa").cause == "exit"


@pytest.mark.parametrize("version", SORTED)
def test_a_crash_that_is_not_the_last_stream_warns_of_the_start_up_race(
    tmp_path: Path, version: str
):
    text = values(source("a-crash", CRASHING), source("b-ok", HEALTHY))
    analysis = lint(tmp_path, text, version)
    assert analysis.verdict == "crash"
    (race,) = [f for f in analysis.source("a-crash").findings if f.code == "BK034"]
    assert race.severity == "info"
    assert "b-ok_interactive/false" in race.message


# --------------------------------------------------------------------------- the health monitor
# internal/plugin/health_monitor.go (pkg/plugin/ from v1.9.0) first exists at v1.4.0:
# shouldRestartPlugin compares the policy type lower-cased; DeactivatePlugin restarts while the
# count is below the threshold, RestartAgent exits the agent once it reaches it, anything else
# logs "Unknown restart policy" and restarts nothing. Before v1.4.0 nothing watches the plugin.


def _panic_message(analysis: Analysis) -> str:
    (finding,) = [f for f in analysis.source("bad").findings if f.code == "BK001"]
    return finding.message


@pytest.mark.parametrize("version", ALL[:-1])
def test_what_follows_a_panic_depends_on_the_health_monitor(tmp_path: Path, version: str):
    message = _panic_message(lint(tmp_path, values(source("bad", CRASHING)), version))
    if version in ALL[: ALL.index("v1.4.0")]:
        assert "no plugin health monitor" in message
        assert "stays dead" in message
    else:
        assert "restarts it 10 times" in message
        assert "deactivates it" in message


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("{type: restartagent, threshold: '3'}", "restarts it 3 times, then exits itself"),
        ("{type: DeactivatePlugin, threshold: 1}", "restarts it 1 times"),
        ("{type: Restart}", "never restarts it"),
    ],
)
def test_the_restart_policy_is_read_as_the_agent_reads_it(
    tmp_path: Path, policy: str, expected: str
):
    text = values(source("bad", CRASHING)) + f"plugins:\n  restartPolicy: {policy}\n"
    analysis = lint(tmp_path, text, "v1.13.0")
    assert expected in _panic_message(analysis)
    unknown = [f for f in analysis.findings if f.code == "BK036"]
    assert bool(unknown) is ("Restart}" in policy)


@pytest.mark.parametrize("version", ["v1.0.0", "v1.3.0"])
def test_a_restart_policy_before_v1_4_is_ignored(tmp_path: Path, version: str):
    text = values(source("ok", HEALTHY)) + "plugins:\n  restartPolicy: {threshold: 3}\n"
    analysis = lint(tmp_path, text, version)
    assert [f.code for f in analysis.findings if f.code == "BK035"] == ["BK035"]


# --------------------------------------------------------------------------- per-release facts


@pytest.mark.parametrize("version", ALL)
def test_nil_namespaces_panic_up_to_v1_2(tmp_path: Path, version: str):
    """registration.go matchEvent reads rt.namespaces without a nil check until v1.3.0."""
    config = "event: {types: [create]}\nresources: [{type: v1/pods}]"  # no namespaces anywhere
    analysis = lint(tmp_path, values(source("bare-ns", config)), version)
    early = version in {"v1.0.0", "v1.0.1", "v1.1.0", "v1.1.1", "v1.2.0"}
    assert analysis.verdict == ("crash" if early else "healthy")
    assert ("BK031" in codes(analysis, "bare-ns")) is early


@pytest.mark.parametrize("version", ALL)
def test_chart_default_sources_per_release(version: str):
    from pytest_botkube.model.config import chart_default_source_names, read_values

    model = read_values({}, version)
    names = chart_default_source_names(version)
    ai = "k8s-err-events-with-ai-support"
    with_ai = ALL.index("v1.2.0") <= ALL.index(version) < ALL.index("v1.9.0")
    assert (ai in names) is with_ai
    if with_ai:
        assert not model.sources[ai].enabled
    config = model.sources["k8s-err-events"].config
    assert config is not None
    (nodes,) = [r for r in config.resources if r.type == "v1/nodes"]
    quiet = ALL.index(version) >= ALL.index("v1.4.0")
    assert (nodes.event.message.exclude == (".*nf_conntrack_buckets.*",)) is quiet
    assert model.sources["k8s-err-events"].context.rbac is not None


@pytest.mark.parametrize(
    ("platform", "body", "first", "last"),
    [
        ("slack", "channels: {c: {bindings: {sources: [s]}}}", "v1.0.0", "v1.8.0"),
        ("teams", "bindings: {sources: [s]}", "v1.0.0", "v1.8.0"),
        ("cloudSlack", "channels: {c: {bindings: {sources: [s]}}}", "v1.1.1", "v1.14.0"),
        ("cloudTeams", "teams: [{channels: {c: {bindings: {sources: [s]}}}}]", "v1.6.0", "v1.14.0"),
        ("pagerDuty", "bindings: {sources: [s]}", "v1.12.0", "v1.14.0"),
    ],
)
def test_platforms_bind_only_where_the_scheduler_knows_them(
    tmp_path: Path, platform: str, body: str, first: str, last: str
):
    text = values(source("s", HEALTHY)) + (
        f"communications:\n  g:\n    {platform}:\n      enabled: true\n      {body}\n"
    )
    for version in ALL:
        expected = ALL.index(first) <= ALL.index(version) <= ALL.index(last)
        assert lint(tmp_path, text, version).source("s").started is expected, version


@pytest.mark.parametrize(
    ("kind", "code"), [("apps/v1/Deployments", "BK033"), ("apps/v1/deploymentz", "BK002")]
)
def test_one_finding_per_entry_names_every_informer_type(tmp_path: Path, kind: str, code: str):
    """``types: "create,delete"`` (weakly decoded into two types) gives the entry two informer
    routes; the finding on the entry's type names both, as ``informers`` does."""
    config = (
        "namespaces: {include: ['.*']}\nevent: {types: 'create,delete'}\n"
        f"resources: [{{type: {kind}}}]"
    )
    report = lint(tmp_path, values(source("s", config)), "v1.13.0").source("s")
    assert report.informers == {kind: ["create", "delete"]}
    (found,) = [f for f in report.findings if f.code == code]
    assert "(create, delete)" in found.message
    if code == "BK033":
        assert "these informers (create, delete) deliver nothing" in found.message
    else:
        assert "gets informers (create, delete) but" in found.message
