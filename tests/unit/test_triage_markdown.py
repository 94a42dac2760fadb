"""The report reader: blocks as reporters write them, and every repair it makes."""

import json
import subprocess
import textwrap
from pathlib import Path

import pytest
from doubles.get_helm import cached_helm

from pytest_botkube.triage.classify import classify
from pytest_botkube.triage.commands import apply_set, find_commands
from pytest_botkube.triage.markdown import issue_markdown, read_markdown


def _md(text: str):
    return read_markdown(textwrap.dedent(text))


def test_fenced_blocks_with_and_without_a_language_tag():
    doc = _md(
        """\
        Intro with BotKube v1.13.0.
        ```yaml
        a: 1
        ```
        between
        ~~~
        b: 2
        ~~~
        """
    )
    assert [(b.container, b.info, b.text) for b in doc.blocks] == [
        ("fenced", "yaml", "a: 1"),
        ("fenced", "", "b: 2"),
    ]
    assert doc.blocks[0].where == "lines 2-4"
    assert [p.number for p in doc.prose] == [1, 5]
    assert doc.blocks[1].lead == "between"


def test_a_closing_fence_indented_into_a_list_item_still_closes_the_block():
    # GitHub reads the indented fence as text and runs the block on into the prose.
    doc = _md(
        """\
        ```
        sources: {}
                      ````
        3. Observe the crash.
        ```
        {"level":"error","msg":"plugin process exited"}
        ```
        """
    )
    assert [b.text for b in doc.blocks] == [
        "sources: {}",
        '{"level":"error","msg":"plugin process exited"}',
    ]
    assert "indented 14 columns" in doc.blocks[0].repairs[0]
    assert doc.blocks[1].repairs == ()
    assert any("Observe" in p.text for p in doc.prose)


def test_glued_fence_text_on_the_fence_line_and_an_unclosed_block():
    doc = _md(
        """\
        ```NAME: botkube
        STATUS: deployed
        ```
        ```yaml
        a: 1
        b: 2```
        ```
        never closed
        """
    )
    first, second, third = doc.blocks
    assert first.text == "NAME: botkube\nSTATUS: deployed"
    assert first.info == ""
    assert "text after the opening fence" in first.repairs[0]
    assert second.text == "a: 1\nb: 2"
    assert "glued" in second.repairs[0]
    assert third.text == "never closed"
    assert "never closed" in third.repairs[0]


def test_fenced_block_inside_a_list_item_is_dedented():
    doc = _md(
        """\
        1. Install with:

            ```yaml
            sources:
              a: {}
            ```
        """
    )
    assert doc.blocks[0].text == "sources:\n  a: {}"


def test_indented_block_and_a_tab_indented_list_that_is_not_one():
    doc = _md(
        """\
        My values:

            sources:
              x: {}

        \t1.\tInstall it.
        """
    )
    assert len(doc.blocks) == 1
    assert doc.blocks[0].container == "indented"
    assert doc.blocks[0].text == "sources:\n  x: {}"
    assert any("Install it" in p.text for p in doc.prose)


def test_details_without_a_fence_is_a_block_with_its_summary_as_caption():
    doc = _md(
        """\
        <details>
        <summary>agent log</summary>
        <p>

        time="t" level=info msg="hello"

        </p>
        </details>
        <details><summary>values</summary>

        ```yaml
        a: 1
        ```
        </details>
        """
    )
    raw, fenced = doc.blocks
    assert (raw.container, raw.caption, raw.text) == (
        "details",
        "agent log",
        'time="t" level=info msg="hello"',
    )
    assert (fenced.container, fenced.caption, fenced.text) == ("fenced", "values", "a: 1")
    assert not any("hello" in p.text for p in doc.prose)


def test_html_comments_in_prose_are_not_prose():
    doc = _md(
        """\
        <!-- Please tell us your BotKube v9.9.9 version -->
        <!--
        multi-line template text v8.8.8
        -->
        We run v1.13.0.
        """
    )
    assert [p.text for p in doc.prose] == ["We run v1.13.0."]


def test_issue_markdown_puts_the_comments_under_headings():
    text = issue_markdown(
        {"title": "crash on v1.13.0", "body": "body text"},
        [{"user": {"login": "alice"}, "created_at": "2025-01-02T03:04:05Z", "body": "more"}],
    )
    assert text.splitlines() == [
        "# crash on v1.13.0",
        "",
        "body text",
        "",
        "### Comment by @alice (2025-01-02)",
        "",
        "more",
    ]


# --------------------------------------------------------------------------- classification


def _kind(text: str, info: str = "") -> tuple[str, str]:
    block = _md(f"```{info}\n{textwrap.dedent(text)}```\n").blocks[0]
    c = classify(block)
    return c.kind, c.detail


def test_classification_goes_by_content_not_by_tag():
    assert _kind('{"level":"info","msg":"hello","time":"t"}\n', "c")[0] == "log"
    assert _kind("sources:\n  k:\n    botkube/kubernetes: {enabled: true}\n", "json")[0] == (
        "values"
    )
    assert _kind("helm install b botkube/botkube --set settings.clusterName=x\n")[0] == "set"
    assert _kind("helm upgrade b botkube/botkube -f my.yaml\n")[0] == "values-file"
    kubectl = "$ kubectl get pods -n botkube\nNAME   READY   STATUS   RESTARTS   AGE\n"
    assert _kind(kubectl)[0] == "kubectl"
    manifest = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
    assert _kind(manifest) == ("kubectl", "a Kubernetes HorizontalPodAutoscaler manifest")
    assert _kind("just some words\n")[0] == "other"
    assert _kind("foo: bar\n")[0] == "other"  # YAML, but not BotKube's values


def test_values_fragment_below_sources_is_wrapped_and_says_so():
    block = _md("```\n'k8s-hpa':\n  botkube/kubernetes:\n    enabled: true\n```\n").blocks[0]
    c = classify(block)
    assert c.kind == "values"
    assert c.values == {"sources": {"k8s-hpa": {"botkube/kubernetes": {"enabled": True}}}}
    assert any("below 'sources:'" in r for r in c.repairs)


def test_yaml_repairs_are_made_only_when_the_paste_does_not_parse():
    broken = "sources:\n\tk:\n\t\tbotkube/kubernetes: {enabled: true}\n"
    c = classify(_md(f"```\n{broken}```\n").blocks[0])
    assert c.kind == "values"
    assert c.repairs == ["tab indentation (YAML forbids tabs) replaced by two spaces per tab"]
    fine = "sources:\n  k: {}\n# ...\n"
    c = classify(_md(f"```\n{fine}```\n").blocks[0])
    assert c.repairs == []
    header = "USER-SUPPLIED VALUES:\nsources:\n  k: {}\nCOMPUTED VALUES:\nimage: {tag: x}\n"
    c = classify(_md(f"```\n{header}```\n").blocks[0])
    assert c.values == {"sources": {"k": {}}}


def test_raw_go_panic_trace_is_read_as_the_plugin_output():
    trace = (
        "panic: runtime error: invalid memory address or nil pointer dereference\n"
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x1]\n\n"
        "goroutine 1 [running]:\n"
        "github.com/kubeshop/botkube/internal/source/kubernetes.mergeResourceEvents(...)\n"
        "\t/src/internal/source/kubernetes/router.go:159\n"
    )
    c = classify(_md(f"```\n{trace}```\n").blocks[0])
    assert c.kind == "log"
    assert c.log_format == "go-trace"
    from pytest_botkube.readers.logs import read_log

    panic = read_log(c.log_lines).plugins["botkube/kubernetes"].panic
    assert panic is not None
    assert panic.top_frame is not None
    assert panic.top_frame.short_function == "mergeResourceEvents"


def test_set_flags_and_continuations():
    text = (
        "$ helm upgrade --install botkube botkube/botkube --version v1.13.0 \\\n"
        "    --set 'sources.k8s-hpa.botkube/kubernetes.enabled=true' \\\n"
        "    --set-string settings.clusterName=007 -f a.yaml,b.yaml\n"
    )
    (command,) = find_commands(text)
    assert command.version == "v1.13.0"
    assert command.files == ["a.yaml", "b.yaml"]
    assert command.chart == "botkube/botkube"
    assert command.values() == {
        "sources": {"k8s-hpa": {"botkube/kubernetes": {"enabled": True}}},
        "settings": {"clusterName": "007"},
    }


def test_set_value_types_follow_helm():
    values = apply_set({}, "a=true,b=007,c=+5,d=-05,e=null,f={x,1},g\\.h=1,i=,j=0")
    assert values == {
        "a": True,
        "b": "007",
        "c": 5,
        "d": -5,
        "e": None,
        "f": ["x", 1],
        "g.h": 1,
        "i": "",
        "j": 0,
    }


# --------------------------------------------------------------------------- --set vs real helm

SET_CASES = [
    [("--set", "a.b=true,c=007,d=+5,e=-05,g={x,1,true},h\\.i=1,j=,k=0")],
    [("--set", "sources.k8s-hpa.botkube/kubernetes.enabled=true")],
    [("--set", "list[1]=Z,m.y=2"), ("--set", "list[4]=W"), ("--set-string", "n=12,o=true")],
    [("--set", "m=null"), ("--set-json", 'p={"q": [1, "two"]}')],
]


@pytest.mark.parametrize("flags", SET_CASES)
def test_set_reading_matches_real_helm(tmp_path: Path, flags: list[tuple[str, str]]):
    """helm template renders .Values of a tiny chart (written here, no default values) over a
    user -f file; apply_set over the same file must give the same values."""
    helm = cached_helm()
    if helm is None:
        pytest.skip("real helm v3.17.2 not cached (python tests/doubles/get_helm.py)")
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (chart / "templates" / "v.yaml").write_text("{{ toJson .Values }}\n")
    user = {"list": ["a", "b", "c"], "m": {"x": 1}}
    (tmp_path / "user.yaml").write_text(json.dumps(user))
    argv = [str(helm), "template", "x", str(chart), "-f", str(tmp_path / "user.yaml")]
    for flag, value in flags:
        argv += [flag, value]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True)
    rendered = json.loads(done.stdout.strip().splitlines()[-1])
    ours: dict[str, object] = user
    for flag, value in flags:
        ours = apply_set(ours, value, flag)
    # a null the chart has no default for stays in .Values, as in our overlay
    assert rendered == ours
