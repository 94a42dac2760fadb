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
      config:
        resources:
          - type: autoscaling/v2/horizontalpodautoscalers
            event: {types: [create]}
"""
FINE = """\
  hpa:
    botkube/kubernetes:
      enabled: true
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
    assert dup["where"] == f"{path}:9: sources.hpa"
    assert "lines 2 and 9" in dup["message"]
    assert "keeps the last one (line 9)" in dup["message"]
    for finding in hpa["findings"]:  # every finding points into the block Helm keeps
        line = int(finding["where"].split(":")[1])
        assert line >= 9, finding
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
    assert f"at   {path}:9: sources.1" in out
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
