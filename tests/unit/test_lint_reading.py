"""``lint`` reads a values file the way Helm does: duplicate keys, key types (issue 15)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from doubles.helm_oracle import real_helm_or_skip, render_values

from pytest_botkube.cli import main

# A source that panics v1.13.0 (resources, no top-level event) and one that does not.
CRASHING = """\
  hpa:
    botkube/kubernetes:
      enabled: true
      context: {rbac: {group: {type: Static, static: {values: [botkube-plugins-default]}}}}
      config:
        resources:
          - type: autoscaling/v2/horizontalpodautoscalers
            event: {types: [create]}
"""
FINE = """\
  hpa:
    botkube/kubernetes:
      enabled: true
      context: {rbac: {group: {type: Static, static: {values: [botkube-plugins-default]}}}}
      config:
        event: {types: [create, delete]}
        resources:
          - type: autoscaling/v2/horizontalpodautoscalers
"""


def lint(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["lint", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("first", "last", "verdict", "code"),
    [(CRASHING, FINE, "healthy", 0), (FINE, CRASHING, "crash", 1)],
    ids=["crash-block-dropped", "crash-block-kept"],
)
def test_duplicate_source_follows_helm_and_warns_naming_both_lines(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    first: str,
    last: str,
    verdict: str,
    code: int,
):
    text = "sources:\n" + first + last
    path = write(tmp_path, "dup.yaml", text)
    got, out, _ = lint(capsys, str(path), "--botkube-version", "v1.13.0", "--format", "json")
    data = json.loads(out)
    assert (got, data["verdict"]) == (code, verdict)
    (hpa,) = [s for s in data["sources"] if s["name"] == "hpa"]
    (dup,) = [f for f in hpa["findings"] if f["code"] == "BK040"]
    assert dup["where"] == f"{path}:10: sources.hpa"
    assert "lines 2 and 10" in dup["message"]
    assert "keeps the last one (line 10)" in dup["message"]
    for finding in hpa["findings"]:  # every finding points into the block Helm keeps
        line = int(finding["where"].split(":")[1])
        assert line >= 10, finding
    # Helm agrees on which block is installed.
    rendered = render_values(real_helm_or_skip(), tmp_path, {}, text)
    assert isinstance(rendered, dict)
    kept = rendered["sources"]["hpa"]["botkube/kubernetes"]["config"]
    assert ("event" in kept) is (verdict == "healthy")


def test_boolean_and_integer_keys_are_printed_as_helm_spells_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    text = FINE.replace("  hpa:", "  yes:") + FINE.replace("  hpa:", "  1:")
    path = write(tmp_path, "keys.yaml", "sources:\n" + text)
    got, out, _ = lint(capsys, str(path), "--botkube-version", "v1.14.0")
    assert got == 0
    assert "warning BK041 key-not-a-string" in out
    assert f"at   {path}:2: sources.true" in out
    assert "key 'yes' is a boolean in YAML 1.1: Helm turns it into the string 'true'" in out
    assert f"at   {path}:10: sources.1" in out
    rendered = render_values(real_helm_or_skip(), tmp_path, {}, "sources:\n" + text)
    assert isinstance(rendered, dict)
    assert set(rendered["sources"]) == {"true", "1"}


def test_scenario_with_a_duplicate_key_is_bad_input_naming_both_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    from pytest_botkube.bundled import scenarios_dir

    text = (scenarios_dir() / "crash-v1.13.0.yaml").read_text(encoding="utf-8")
    path = tmp_path / "crash-v1.13.0.yaml"
    path.write_text(text + "description: again\n", encoding="utf-8")
    got, out, err = lint(capsys, str(path))
    assert got == 2
    assert out == ""
    line = text.count("\n") + 1
    first = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("description:"))
    assert err.strip() == (
        f"botkube-repro lint: error: {path}:{line}: description: duplicate key "
        f"(lines {first} and {line})"
    )


# --------------------------------------------------------------------------- verdicts (item 5)
@pytest.mark.parametrize(
    ("text", "verdict", "code"),
    [
        ("", "not-started", 0),
        ("sources:\n" + FINE.replace("enabled: true", "enabled: false"), "not-started", 0),
        ("sources:\n" + FINE + "communications: {}\n", "not-started", 0),
        (
            "sources:\n" + FINE + "communications:\n  g:\n    webhook:\n      enabled: true\n"
            "      bindings: {sources: [hpa, typo]}\n",
            "refused",
            1,
        ),
        ("sources:\n" + FINE, "healthy", 0),
        ("sources:\n" + CRASHING, "crash", 1),
    ],
    ids=["empty", "disabled", "nothing-bound", "unknown-binding", "healthy", "crash"],
)
def test_the_verdict_never_contradicts_the_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, verdict: str, code: int
):
    path = write(tmp_path, "v.yaml", text)
    got, out, _ = lint(capsys, str(path), "--botkube-version", "v1.13.0", "--format", "json")
    data = json.loads(out)
    assert (got, data["verdict"]) == (code, verdict)
    codes = {f["code"] for f in data["findings"]}
    if verdict == "not-started":
        assert "BK024" in codes
        assert not any(s["started"] for s in data["sources"])
    if verdict == "refused":
        assert "BK022" in codes
        assert {s["verdict"] for s in data["sources"] if s["started"]} == {"refused"}
    got, out, _ = lint(capsys, str(path), "--botkube-version", "v1.13.0")
    headline = out.rstrip().splitlines()[-1]
    assert headline.startswith(
        {
            "not-started": "  verdict: NOT STARTED",
            "refused": "  verdict: REFUSED",
            "healthy": "  verdict: HEALTHY",
            "crash": "  verdict: CRASH",
        }[verdict]
    )


# --------------------------------------------------------------------------- several files (7)
def test_several_files_each_get_an_entry_and_the_exit_code_is_the_worst(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    good = write(tmp_path, "good.yaml", "sources:\n" + FINE)
    crash = write(tmp_path, "crash.yaml", "sources:\n" + CRASHING)
    bad = write(tmp_path, "bad.yaml", "sources:\n  - [unclosed\n")
    args = ("--botkube-version", "v1.13.0", "--format", "json")
    got, out, err = lint(capsys, str(good), str(bad), str(crash), *args)
    assert (got, err) == (2, "")
    entries = json.loads(out)
    assert [e["file"] for e in entries] == [str(good), str(bad), str(crash)]
    assert entries[0]["verdict"] == "healthy"
    assert entries[2]["verdict"] == "crash"
    assert set(entries[1]) == {"file", "error"}
    assert entries[1]["error"].startswith(f"{bad}:3:1: invalid YAML")
    got, out, _ = lint(capsys, str(good), str(crash), *args)
    assert got == 1
    got, out, _ = lint(capsys, str(good), str(good), *args)
    assert got == 0


def test_dash_reads_standard_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    import io
    import sys

    stdin = io.TextIOWrapper(io.BytesIO(("sources:\n" + CRASHING).encode()), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    got, out, _ = lint(capsys, "-", "--botkube-version", "1.13.0")
    assert got == 1
    assert out.startswith("standard input: BotKube v1.13.0")
    assert "at   standard input:6: sources.hpa.botkube/kubernetes.config.event" in out
    got, _, err = lint(capsys, "-", "-", "--botkube-version", "1.13.0")
    assert got == 2
    assert "standard input (-) can be given once" in err


# --------------------------------------------------------------------------- pasted files (8)
PASTED = {
    "fence": ("```yaml\nsources:\n  a: {}\n```\n", "line 1 is a Markdown code fence (```)"),
    "template": (
        "sources:\n  a:\n    botkube/kubernetes: {{ .Values.k8s }}\n",
        "line 3 holds Helm template syntax ({{ .Values.k8s }}): this looks like a chart template",
    ),
    "template-block": (
        "{{- if .Values.on }}\nsources: {}\n{{- end }}\n",
        "line 1 holds Helm template syntax",
    ),
    "configmap": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: botkube-global-config}\n"
        "data:\n  global_config.yaml: |\n    sources: {}\n",
        "this is a Kubernetes ConfigMap manifest (apiVersion/kind, e.g. `kubectl get -o yaml` "
        "output), not Helm values: pass the values file you give helm with -f",
    ),
    "list": ("- sources: {}\n", "the file is a YAML list; Helm values are a mapping"),
}


@pytest.mark.parametrize("name", list(PASTED))
def test_pasted_files_say_what_they_look_like_and_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
):
    text, expected = PASTED[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    got, out, err = lint(capsys, str(path), "--botkube-version", "v1.14.0")
    assert (got, out) == (2, "")
    assert "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert line.startswith(f"botkube-repro lint: error: {path}")
    assert expected in line
    if name in ("fence", "template", "template-block"):  # Helm cannot read them either
        rendered = render_values(real_helm_or_skip(), tmp_path, {}, text)
        assert isinstance(rendered, str)
        assert rendered.startswith("HELM-ERROR")


# --------------------------------------------------------------------------- chart defaults (6)
def test_findings_from_the_chart_defaults_say_so_and_point_at_no_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    text = (
        "communications:\n  default-group:\n    webhook:\n      enabled: true\n"
        "      url: http://x/\n      bindings:\n        sources: [k8s-all-events]\n"
    )
    path = write(tmp_path, "v.yaml", text)
    args = ("--botkube-version", "1.13.0", "--kubernetes-version", "1.18", "--format", "json")
    got, out, _ = lint(capsys, str(path), *args)
    data = json.loads(out)
    assert (got, data["verdict"]) == (1, "exit")  # networking.k8s.io/v1 is served from 1.19
    (source,) = [s for s in data["sources"] if s["name"] == "k8s-all-events"]
    (unserved,) = [f for f in source["findings"] if f["code"] == "BK002"]
    assert unserved["where"] == (
        f"{path}: from the chart's default source k8s-all-events "
        "(sources.k8s-all-events.botkube/kubernetes.config.resources[2].type, not in this file)"
    )
    lines = len(text.splitlines())
    findings = [*data["findings"], *(f for s in data["sources"] for f in s["findings"])]
    assert findings
    for finding in findings:
        where = finding["where"][len(str(path)) :]
        # The file has no `sources:` key, so a finding points at a line exactly when its key
        # path is not a chart-default source's, and that line exists.
        names_a_line = where[1:2].isdigit()
        assert names_a_line != finding["path"].startswith("sources."), finding
        line = int(where[1:].split(":")[0]) if names_a_line else None
        assert line is None or 1 <= line <= lines, finding


def test_a_second_document_is_ignored_as_helm_ignores_it_and_named_by_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """Helm reads the first document of a values file only: the crashing source after '---'
    is never installed, so lint predicts from the first and warns (BK046) at the separator."""
    text = "sources:\n" + FINE.replace("  hpa:", "  pods:") + "---\nsources:\n" + CRASHING
    path = write(tmp_path, "two.yaml", text)
    got, out, _ = lint(capsys, str(path), "--botkube-version", "v1.13.0", "--format", "json")
    data = json.loads(out)
    assert (got, data["verdict"]) == (0, "healthy")
    assert "hpa" not in [s["name"] for s in data["sources"]]
    (ignored,) = [f for f in data["findings"] if f["code"] == "BK046"]
    assert ignored["where"] == f"{path}:10: ---"
    assert "a second one starts at line 10" in ignored["message"]
    rendered = render_values(real_helm_or_skip(), tmp_path, {}, text)
    assert isinstance(rendered, dict)
    assert set(rendered["sources"]) == {"pods"}
