from pathlib import Path

import pytest

from pytest_botkube.errors import BadInput, ExitCode
from pytest_botkube.yamlio import format_key_path, load_yaml, parse_yaml


def test_key_path_formatting_quotes_dotted_keys_and_indexes_lists():
    parts = ("sources", "k8s", "botkube/kubernetes", "config", "resources", 0, "type")
    assert format_key_path(parts) == "sources.k8s.botkube/kubernetes.config.resources[0].type"
    assert format_key_path(("a.b", "c")) == '["a.b"].c'
    assert format_key_path(()) == "<root>"


def test_lines_are_recorded_for_keys_and_items():
    doc = parse_yaml("a:\n  b:\n    - x\n    - y: 1\n", "f.yaml")
    assert doc.lines[("a",)] == 1
    assert doc.lines[("a", "b", 1)] == 4
    assert doc.line_of(("a", "b", 1, "missing")) == 4
    assert doc.where(("a", "b", 1, "y")) == "f.yaml:4: a.b[1].y"


def test_syntax_error_names_file_line_and_column():
    with pytest.raises(BadInput, match=r"^bad\.yaml:2:\d+: invalid YAML: ") as info:
        parse_yaml("a: 1\n b: [\n", "bad.yaml")
    assert info.value.exit_code == ExitCode.BAD_INPUT


def test_missing_file_is_bad_input(tmp_path: Path):
    with pytest.raises(BadInput, match="no such file"):
        load_yaml(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("text", "where"),
    [("&a [*a]\n", "f.yaml:1:1:"), ("x: &m\n  y: *m\n", "f.yaml:1:4:")],
)
def test_recursive_alias_is_bad_input_not_a_recursion_error(text: str, where: str):
    with pytest.raises(BadInput, match=rf"^{where} invalid YAML: .*recursive structure"):
        parse_yaml(text, "f.yaml")


def test_alias_bomb_is_refused_before_anything_walks_it():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    with pytest.raises(BadInput, match=r"^f\.yaml:\d+: invalid YAML: aliases expand to more"):
        parse_yaml("\n".join(lines), "f.yaml")


def test_shared_anchors_still_parse_with_their_lines():
    doc = parse_yaml("base: &b {types: [create]}\nx: *b\ny: {<<: *b, extra: 1}\n", "f.yaml")
    assert doc.data["x"] == {"types": ["create"]}
    assert doc.data["y"] == {"types": ["create"], "extra": 1}
    assert doc.line_of(("y", "extra")) == 3
