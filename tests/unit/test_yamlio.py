from pathlib import Path

import pytest
from doubles.helm_oracle import real_helm_or_skip, render_values

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
    doc = parse_yaml("base: &b {types: [create]}\nx: *b\nz: {<<: *b, extra: 1}\n", "f.yaml")
    assert doc.data["x"] == {"types": ["create"]}
    assert doc.data["z"] == {"types": ["create"], "extra": 1}
    assert doc.line_of(("z", "extra")) == 3
    assert doc.line_of(("z", "types")) == 1  # a merged key stands where its anchor defines it


# --------------------------------------------------------------------------- as Helm reads it
#: Each case is read by real helm (one run for all of them) and by parse_yaml; they must agree.
HELM_CASES = {
    "duplicate-last-wins": "a: 1\nb: x\na: 2\n",
    "duplicate-block": "s:\n  event: {types: [create]}\n  resources: [x]\ns:\n  resources: [y]\n",
    "int-key": "1: one\n22: two\n",
    "bool-keys": "yes: a\nno: b\n",
    "y-n-on-off-keys": "y: 1\nOff: 2\n",
    "yes-and-true-are-one-key": "yes: first\ntrue: second\n",
    "octal-hex-binary-keys": "010: o\n0x1F: h\n0b11: b\n0o17: oo\n",
    "float-keys": "1.5: a\n1e3: b\n1000000.0: c\n0.00001: d\n3.14159265358979: e\n.inf: f\n",
    "underscore-key": "1_000: u\n",
    "date-key-stays-text": "2024-11-13: d\n",
    "merge-overrides-earlier-explicit": "base: &b1 {a: 2, b: 2}\nm:\n  a: 1\n  <<: *b1\n  b: 3\n",
    "merge-list-first-wins": "p: &p1 {a: 1}\nq: &q1 {a: 2, c: 1}\nm:\n  <<: [*p1, *q1]\n",
    "yaml11-values": "a: y\nb: off\nc: 0o17\nd: 08\ne: 1_000\nf: 2024-11-13\ng: ~\nh: .5\n",
    "quoted-stays-text": "a: 'yes'\nb: \"010\"\n'1': q\n",
}


def _nest(cases: dict[str, str]) -> str:
    out = []
    for name, text in cases.items():
        out.append(f"{name}:")
        out.extend(f"  {line}" for line in text.splitlines())
    return "\n".join(out) + "\n"


def test_keys_and_scalars_read_as_real_helm_reads_them(tmp_path: Path):
    helm = real_helm_or_skip()
    text = _nest(HELM_CASES)
    rendered = render_values(helm, tmp_path, {}, text)
    assert isinstance(rendered, dict), rendered
    ours = parse_yaml(text, "f.yaml").data
    for name in HELM_CASES:
        assert _typed(ours[name]) == _typed(rendered[name]), name


def _typed(value: object) -> object:
    """Comparable across JSON: booleans stay booleans (True == 1 in Python), numbers are floats."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", float(value))
    return value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("~: n\n", r"f\.yaml:1:1: Helm refuses this file: a null key"),
        ("[1, 2]: seq\n", r"f\.yaml:1:1: Helm refuses this file: a list cannot be a key"),
        ("{a: 1}: m\n", r"f\.yaml:1:1: Helm refuses this file: a mapping cannot be a key"),
        ("9223372036854775808: k\n", r"f\.yaml:1:1: Helm refuses this file: key .* too big"),
    ],
)
def test_keys_helm_refuses_are_bad_input_and_real_helm_refuses_them_too(
    tmp_path: Path, text: str, message: str
):
    with pytest.raises(BadInput, match=message):
        parse_yaml(text, "f.yaml")
    helm = real_helm_or_skip()
    rendered = render_values(helm, tmp_path, {}, text)
    assert isinstance(rendered, str)
    assert "HELM-ERROR" in rendered


def test_duplicate_key_keeps_the_last_block_with_its_lines_and_notes_both():
    text = (
        "sources:\n"
        "  hpa:\n"
        "    config:\n"
        "      resources: [a]\n"
        "  other: {}\n"
        "  hpa:\n"
        "    config:\n"
        "      event: {types: [create]}\n"
    )
    doc = parse_yaml(text, "f.yaml")
    assert doc.data["sources"]["hpa"] == {"config": {"event": {"types": ["create"]}}}
    assert doc.lines[("sources", "hpa")] == 6
    assert ("sources", "hpa", "config", "resources") not in doc.lines  # the dropped block's
    assert doc.line_of(("sources", "hpa", "config", "event")) == 8
    (note,) = doc.notes
    assert (note.kind, note.path, note.line) == ("duplicate", ("sources", "hpa"), 6)
    assert note.dropped == (2,)


def test_non_string_keys_are_noted_with_what_was_written():
    doc = parse_yaml("yes: a\n1: b\n1.50: c\nplain: d\n", "f.yaml")
    assert set(doc.data) == {"true", "1", "1.5", "plain"}
    written = {(n.path, n.written) for n in doc.notes if n.kind == "not-a-string"}
    assert written == {(("true",), "yes"), (("1",), "1"), (("1.5",), "1.50")}


def test_keys_of_different_types_that_become_one_string_are_a_collision(tmp_path: Path):
    text = '"1": text\n1: number\n'
    doc = parse_yaml(text, "f.yaml")
    collision = [n for n in doc.notes if n.kind == "collision"]
    assert [(n.path, n.line, n.dropped) for n in collision] == [(("1",), 2, (1,))]
    assert doc.data == {"1": "number"}
    helm = real_helm_or_skip()
    rendered = render_values(helm, tmp_path, {}, text)
    assert isinstance(rendered, dict)
    assert rendered["1"] in {"text", "number"}


def test_refuse_key_notes_names_both_lines():
    doc = parse_yaml("a: 1\nb: 2\na: 3\n", "s.yaml")
    with pytest.raises(BadInput, match=r"^s\.yaml:3: a: duplicate key \(lines 1 and 3\)$"):
        doc.refuse_key_notes()
    with pytest.raises(BadInput, match=r"^s\.yaml:1: true: key 'yes' is not a string"):
        parse_yaml("yes: 1\n", "s.yaml").refuse_key_notes()


def test_plugin_index_reading_keeps_pyyaml_scalars():
    doc = parse_yaml("checksum: 1111\nflag: y\n", "index.yaml", helm=False)
    assert doc.data == {"checksum": 1111, "flag": "y"}
    assert doc.notes == ()


#: Files that go on after their first YAML document: Helm reads the first and ignores the rest,
#: even when the rest does not parse. (text, line where the ignored part starts, or None)
MULTI_DOCUMENT_CASES = {
    "second-source": ("s:\n  a: 1\n---\ns:\n  b: 2\n", 3),
    "broken-second": ("a: 1\n---\nb: [1\n", 2),
    "empty-first": ("---\n---\na: 2\n", 2),
    "after-document-end": ("a: 1\n...\nb: 2\n", 2),
    "comment-then-two": ("# values\n---\na: 5\n---\nb: 6\n", 4),
    "trailing-marker-only": ("a: 1\n---\n# nothing more\n...\n", None),
}


@pytest.mark.parametrize("case", sorted(MULTI_DOCUMENT_CASES))
def test_only_the_first_document_is_read_as_real_helm_reads_it(tmp_path: Path, case: str):
    text, rest = MULTI_DOCUMENT_CASES[case]
    doc = parse_yaml(text, "f.yaml")
    notes = [(n.kind, n.line) for n in doc.notes]
    assert notes == ([] if rest is None else [("extra-document", rest)])
    if rest is not None:
        assert doc.where(doc.notes[0].path) == f"f.yaml:{rest}: ---"
    helm = real_helm_or_skip()
    rendered = render_values(helm, tmp_path, {}, text)
    assert isinstance(rendered, dict), rendered
    assert _typed(doc.data or {}) == _typed(rendered)


def test_a_scenario_file_with_a_second_document_is_refused_naming_its_line():
    doc = parse_yaml("name: x\n---\nname: y\n", "s.yaml")
    with pytest.raises(BadInput, match=r"^s\.yaml:2: a second YAML document starts here"):
        doc.refuse_key_notes()
