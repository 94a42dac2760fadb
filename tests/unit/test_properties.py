"""Property tests: whatever bytes or YAML a user hands the offline commands, the answer is an
exit status of 0, 1 or 2 with at most one line of error, within a time bound: never a
traceback, never a hang. Small example counts keep the suite fast; the deadline is the bound."""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pytest_botkube.cli import main
from pytest_botkube.errors import BadInput
from pytest_botkube.scenario import load_scenario

FAST = settings(
    max_examples=25,
    deadline=3000,  # ms per example: the time bound
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same examples every run: a failure reproduces
    database=None,  # nothing written into the checkout
)

_KEYS = st.sampled_from(
    [
        "sources", "communications", "botkube/kubernetes", "config", "event", "types",
        "resources", "type", "enabled", "context", "rbac", "namespaces", "include", "settings",
        "plugins", "webhook", "bindings", "name", "expect", "values", "botkube_version", "x",
    ]
)  # fmt: skip
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["create", "delete", "error", "all", "v1/pods", "apps/v1/deployments",
                     "autoscaling/v2/horizontalpodautoscalers", "v1.13.0", ".*", ""]),
    st.text(max_size=20),
)  # fmt: skip
TREES = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(_KEYS, st.text(max_size=8)), children, max_size=5),
    ),
    max_leaves=30,
)
_YAMLISH = st.sampled_from(
    [b"sources:\n", b"  ", b"- ", b": ", b"&a ", b"*a", b"[", b"]", b"{", b"}", b"\n", b"\t",
     b"'", b'"', b"\x00", b"\xff", b"<<: ", b"!!binary ", b"%YAML 1.1\n", b"---\n", b"#"]
)  # fmt: skip
BYTES = st.one_of(st.binary(max_size=300), st.lists(_YAMLISH, max_size=40).map(b"".join))


def _deep(levels: int) -> Any:
    tree: Any = "leaf"
    for _ in range(levels):
        tree = [tree]
    return {"sources": tree}


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> int:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.splitlines()) <= 1, err[:500]
    return code


def _file(data: bytes) -> Path:
    handle = tempfile.NamedTemporaryFile(suffix=".yaml", delete=False)  # noqa: SIM115
    with handle:
        handle.write(data)
    return Path(handle.name)


def _dump(tree: Any) -> bytes:
    return yaml.safe_dump(tree, allow_unicode=True).encode()


@FAST
@given(data=BYTES)
def test_lint_and_values_on_arbitrary_bytes(capsys: pytest.CaptureFixture[str], data: bytes):
    path = _file(data)
    try:
        assert _run(capsys, "lint", "--botkube-version", "1.13.0", str(path)) in (0, 1, 2)
        assert _run(capsys, "values", "--botkube-version", "1.13.0", str(path)) in (0, 2)
    finally:
        path.unlink()


@FAST
@given(tree=TREES)
@example(tree=_deep(450))  # values died with RecursionError here before the input gate
def test_lint_and_values_on_arbitrary_yaml_trees(capsys: pytest.CaptureFixture[str], tree: Any):
    path = _file(_dump(tree))
    try:
        assert _run(capsys, "lint", "--botkube-version", "1.14.0", str(path)) in (0, 1, 2)
        assert _run(capsys, "values", "--botkube-version", "1.13.0", str(path)) in (0, 2)
    finally:
        path.unlink()


@FAST
@given(sources=st.dictionaries(st.text(min_size=1, max_size=8), TREES, max_size=3))
def test_lint_on_arbitrary_sources(capsys: pytest.CaptureFixture[str], sources: Any):
    """Deeper into the model: a real sources mapping whose bodies are arbitrary."""
    path = _file(_dump({"sources": {k: {"botkube/kubernetes": v} for k, v in sources.items()}}))
    try:
        assert _run(capsys, "lint", "--botkube-version", "1.13.0", str(path)) in (0, 1, 2)
    finally:
        path.unlink()


@FAST
@given(data=st.one_of(BYTES, TREES.map(_dump)))
def test_diagnose_on_arbitrary_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, data: bytes
):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert _run(capsys, "diagnose", "-") in (0, 1, 2)


@FAST
@given(tree=TREES)
def test_scenario_loader_on_arbitrary_trees(tree: Any):
    path = _file(_dump(tree))
    message = ""
    try:
        load_scenario(path)
    except BadInput as exc:  # the one failure allowed: bad input, in one line
        message = str(exc)
    finally:
        path.unlink()
    assert "\n" not in message
