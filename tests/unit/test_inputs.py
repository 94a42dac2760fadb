"""The input gate (pytest_botkube.inputs) through every command that reads a file.

Each case is a failure seen by hand before the gate existed: a FIFO hung lint and diagnose,
/dev/zero read until MemoryError, 400 levels of nesting crashed values with RecursionError, a
big scalar was echoed whole into the error, a NUL byte gave a two-line error without a line.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_botkube import inputs
from pytest_botkube.cli import main
from pytest_botkube.errors import BadInput
from pytest_botkube.yamlio import MAX_DEPTH, load_yaml

CRASH_LOG = Path(__file__).parents[1] / "data" / "logs" / "crash_loop_v1.13.0.json.log"


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err[:2000]
    assert "Traceback" not in err
    return lines[0]


def nested_values(depth: int) -> str:
    """A values file whose deepest collection sits ``depth`` levels down (the root is 1)."""
    head = "sources:\n  a:\n    botkube/kubernetes:\n      enabled: false\n      extra: "
    inner = depth - 4  # root, sources, a, botkube/kubernetes
    return head + "[" * inner + "]" * inner + "\n"


@pytest.mark.parametrize("command", ["lint", "diagnose"])
def test_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path, command: str):
    fifo = tmp_path / "values.yaml"
    os.mkfifo(fifo)
    argv = [command, str(fifo)] + (["--botkube-version", "1.13.0"] if command == "lint" else [])
    # A subprocess: before the gate, open() on a FIFO with no writer blocked for ever.
    done = subprocess.run(
        [sys.executable, "-m", "pytest_botkube.cli", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    line = one_error_line(done.stderr)
    assert f"{fifo}: is a FIFO (named pipe), not a regular file" in line


@pytest.mark.parametrize(
    "argv",
    [
        ("lint", "--botkube-version", "1.13.0", "/dev/zero"),
        ("values", "--botkube-version", "1.13.0", "/dev/zero"),
        ("diagnose", "/dev/zero"),
        ("triage", "/dev/zero"),
    ],
)
def test_character_device_is_refused(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]):
    code, _, err = cli(capsys, *argv)
    assert code == 2
    assert "/dev/zero: is a character device, not a regular file" in one_error_line(err)


def test_directory_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    code, _, err = cli(capsys, "diagnose", str(tmp_path))
    assert code == 2
    assert one_error_line(err).endswith(f"{tmp_path}: is a directory, not a log file")


def test_size_cap_is_checked_before_reading_and_can_be_raised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    values = tmp_path / "values.yaml"
    values.write_text("settings:\n  clusterName: " + "x" * 3000 + "\n", encoding="utf-8")
    monkeypatch.setenv(inputs.MAX_INPUT_ENV, "2K")
    code, _, err = cli(capsys, "lint", "--botkube-version", "1.13.0", str(values))
    assert code == 2
    line = one_error_line(err)
    assert f"{values}: 3.0 KiB is over the 2.0 KiB input limit" in line
    assert inputs.MAX_INPUT_ENV in line
    monkeypatch.setenv(inputs.MAX_INPUT_ENV, "4k")
    code, _, err = cli(capsys, "lint", "--botkube-version", "1.13.0", str(values))
    assert (code, err) == (0, "")


def test_standard_input_is_counted_while_read(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    log = CRASH_LOG.read_bytes()
    monkeypatch.setenv(inputs.MAX_INPUT_ENV, str(len(log) - 1))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(log)))
    code, _, err = cli(capsys, "diagnose", "-")
    assert code == 2
    assert "standard input: more than that is over the " in one_error_line(err)
    monkeypatch.setenv(inputs.MAX_INPUT_ENV, str(len(log)))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(log)))
    code, out, err = cli(capsys, "diagnose", "-")
    assert (code, err) == (1, ""), err
    assert "botkube/kubernetes" in out


@pytest.mark.parametrize("raw", ["lots", "0", "-5", "12T"])
def test_a_bad_cap_is_bad_input_naming_the_variable(raw: str):
    with pytest.raises(BadInput, match=f"^{inputs.MAX_INPUT_ENV}="):
        inputs.max_input_bytes({inputs.MAX_INPUT_ENV: raw})


def test_cap_units():
    assert inputs.max_input_bytes({}) == inputs.DEFAULT_MAX_INPUT_BYTES
    assert inputs.max_input_bytes({inputs.MAX_INPUT_ENV: "512M"}) == 512 * 1024**2
    assert inputs.max_input_bytes({inputs.MAX_INPUT_ENV: "1GiB"}) == 1024**3
    assert inputs.max_input_bytes({inputs.MAX_INPUT_ENV: "100"}) == 100


@pytest.mark.parametrize("command", ["lint", "values"])
def test_nesting_to_the_limit_works_and_beyond_it_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
):
    ok = tmp_path / "ok.yaml"
    ok.write_text(nested_values(MAX_DEPTH), encoding="utf-8")
    code, out, err = cli(capsys, command, "--botkube-version", "1.13.0", str(ok))
    assert (code, err) == (0, "")
    assert out
    deep = tmp_path / "deep.yaml"
    deep.write_text(nested_values(MAX_DEPTH + 1), encoding="utf-8")
    code, _, err = cli(capsys, command, "--botkube-version", "1.13.0", str(deep))
    assert code == 2
    assert f"{deep}:5: invalid YAML: nested deeper than {MAX_DEPTH} levels" in one_error_line(err)
    # ... and 400 levels, where values used to die with RecursionError
    deep.write_text(nested_values(400), encoding="utf-8")
    code, _, err = cli(capsys, command, "--botkube-version", "1.13.0", str(deep))
    assert code == 2
    one_error_line(err)


def test_nesting_through_aliases_counts_too(tmp_path: Path):
    half = MAX_DEPTH // 2 + 1
    text = f"a: &deep {'[' * half}{']' * half}\nb: {'[' * half}*deep{']' * half}\n"
    path = tmp_path / "alias.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInput, match="nested deeper than"):
        load_yaml(path)


@pytest.mark.parametrize("command", ["lint", "values"])
def test_a_huge_value_is_cut_in_the_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
):
    path = tmp_path / "big.yaml"
    path.write_text("sources: " + "x" * 1_000_000 + "\n", encoding="utf-8")
    code, _, err = cli(capsys, command, "--botkube-version", "1.13.0", str(path))
    assert code == 2
    line = one_error_line(err)
    assert len(line) < 400
    assert f"{path}:1: sources: " in line
    assert "more characters" in line


def test_nul_byte_has_a_line_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = tmp_path / "nul.yaml"
    path.write_bytes("settings:\n  clusterName: \u00e9t\u00e9\x00x\n".encode())
    code, _, err = cli(capsys, "lint", "--botkube-version", "1.13.0", str(path))
    assert code == 2
    assert f"{path}:2:19: invalid YAML: a NUL byte" in one_error_line(err)


def test_control_character_has_a_line(tmp_path: Path):
    path = tmp_path / "bell.yaml"
    path.write_text("a: 1\nb: 2\nc: \x07\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r":3:4: invalid YAML: the control character U\+0007"):
        load_yaml(path)


def test_not_utf8_names_line_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"settings:\n  clusterName: caf\xe9\n")
    code, _, err = cli(capsys, "values", "--botkube-version", "1.13.0", str(path))
    assert code == 2
    assert f"{path}:2:19: not UTF-8 text (byte 0xe9)" in one_error_line(err)


def test_yaml_from_standard_input(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a: [1, 2]\n")))
    doc = load_yaml("-")
    assert doc.name == "standard input"
    assert doc.data == {"a": [1, 2]}
    assert doc.line_of(("a", 1)) == 1


def test_symlink_to_a_regular_file_is_read(tmp_path: Path):
    target = tmp_path / "real.yaml"
    target.write_text("a: 1\n", encoding="utf-8")
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    assert load_yaml(link).data == {"a": 1}
