"""``botkube-repro run --plan`` is what the run executes.

The run writes the plan it executes into its report (``artifacts/shared/plan.txt``); the
stand-in kind/helm/docker record every argv they are run with. Walking the printed plan's
``$`` lines against the recorded calls, in order, every call must be the next planned command
(a step marked ``[if ...]`` may be skipped, no other may), and nothing may be left over. The
walk is this file's own reading of the printed text, not the code that built it.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from doubles.fixtures import RunCommand
from doubles.recorder import Call


def planned_commands(text: str) -> list[tuple[tuple[str, ...], bool]]:
    """(argv, conditional) of each ``$`` line of a printed plan, in order."""
    out: list[tuple[tuple[str, ...], bool]] = []
    conditional = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("$ "):
            out.append((tuple(shlex.split(stripped[2:])), conditional))
        elif line.startswith("  ") and not line.startswith("   "):
            conditional = "  [if " in line
    return out


#: What only the run can know, as the plan writes it, and what the run may put there.
PLACEHOLDERS = {
    "http://receiver-host.invalid": r"https?://[^/\s]+",  # the receiver, once it is bound
    "<sha256>": r"[0-9a-f]{64}",  # a digest a repository's index gives
}


def _same(planned: tuple[str, ...], call: Call) -> bool:
    if Path(planned[0]).name != call.tool or len(planned) - 1 != len(call.argv):
        return False
    for want, got in zip(planned[1:], call.argv, strict=True):
        pattern = re.escape(want)
        for placeholder, allowed in PLACEHOLDERS.items():
            pattern = pattern.replace(re.escape(placeholder), allowed)
        if not re.fullmatch(pattern, got):
            return False
    return True


def divergence(plan: str, calls: list[Call]) -> str | None:
    """Where the recorded calls leave the printed plan (None: the run followed it)."""
    planned = planned_commands(plan)
    i = 0
    for call in calls:
        while i < len(planned) and not _same(planned[i][0], call):
            if not planned[i][1]:
                return f"planned `{shlex.join(planned[i][0])}` was not run; ran `{call}`"
            i += 1
        if i == len(planned):
            return f"ran `{call}`, which the plan does not have (there, or at all)"
        i += 1
    left = [shlex.join(argv) for argv, conditional in planned[i:] if not conditional]
    return f"planned but never run: {left}" if left else None


def _normalised(text: str) -> str:
    """A plan with the names it draws (work directory, release suffixes) blanked."""
    text = re.sub(r"botkube-repro-[0-9a-f]{8}", "botkube-repro-WORK", text)
    return re.sub(r"(bk-[a-z0-9-]+?)-[0-9a-f]{6}\b", r"\1-SUFFIX", text)


@pytest.fixture
def executed(run: RunCommand, tmp_path: Path) -> tuple[str, list[Call]]:
    """A compare run with the workaround (three releases, two chart versions), its report's
    plan and the stand-ins' calls."""
    report = tmp_path / "report"
    done = run("crash-v1.13.0", "--compare", "v1.14.0", "--with-workaround", "--report",
               str(report))  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    plan = (report / "artifacts" / "shared" / "plan.txt").read_text(encoding="utf-8")
    return plan, [c for c in run.calls() if c.tool in ("kind", "helm", "docker")]


def test_the_run_executes_the_plan_it_printed(executed: tuple[str, list[Call]]):
    plan, calls = executed
    assert divergence(plan, calls) is None, plan
    assert [c.argv[0] for c in calls if c.tool == "helm"].count("upgrade") == 3
    # the drawn names are the ones used: values files in the plan's work directory
    work = re.search(r"^work directory: (\S+)", plan, re.M)
    assert work is not None
    installs = [c for c in calls if c.is_("upgrade")]
    for install in installs:
        values = str(install.flag("--values"))
        assert values.startswith(work.group(1) + "/releases/"), values
        assert f"values file {values}" in plan


def test_the_walk_fails_when_the_run_leaves_the_plan(executed: tuple[str, list[Call]]):
    plan, calls = executed
    # a flag the run did not pass
    assert "not run" in str(divergence(plan.replace(" --create-namespace", "", 1), calls))
    # a command the plan lacks
    dropped = "\n".join(line for line in plan.splitlines() if " uninstall " not in line)
    assert divergence(dropped, calls) is not None
    # two commands the other way round
    lines = plan.splitlines()
    first = next(i for i, line in enumerate(lines) if "$ " in line and " get clusters" in line)
    second = next(i for i, line in enumerate(lines) if "$ " in line and "create cluster" in line)
    lines[first], lines[second] = lines[second], lines[first]
    assert divergence("\n".join(lines), calls) is not None
    # a planned command that never ran
    assert "never run" in str(divergence(plan + "  x  y  (1s)\n      $ kind get nodes\n", calls))


def test_plan_prints_the_same_plan_and_touches_nothing(
    run: RunCommand, executed: tuple[str, list[Call]]
):
    plan, _ = executed
    before = run.calls()
    cache = Path(run.sandbox.env["XDG_CACHE_HOME"])
    cached = sorted(cache.rglob("*"))
    done = run("crash-v1.13.0", "--compare", "v1.14.0", "--with-workaround", "--report",
               str(run.cwd / "other"), "--plan")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert run.calls() == before  # no kind, helm or docker ran
    assert sorted(cache.rglob("*")) == cached  # nothing fetched
    assert not (run.cwd / "other").exists()
    drawn = re.search(r"^work directory: (\S+)", done.stdout, re.M)
    assert drawn is not None
    assert not Path(drawn.group(1)).exists()
    assert _normalised(done.stdout) == _normalised(plan)
    assert "total budget: " in done.stdout
    assert re.search(r"botkube v1\.14\.0: sha256 \S+", done.stdout)


def test_the_readme_report_excerpt_is_what_this_run_writes(
    executed: tuple[str, list[Call]], tmp_path: Path
):
    """README's report.md excerpt ("A session, rehearsed") is a capture of this very command:
    its verdict, versions and delivery-diff rows must still be what the report says (rows
    compared with release suffixes blanked; the model's wording changed under it twice)."""
    written = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    excerpt = readme.split("````markdown\n# BotKube reproduction report", 1)[1].split("````", 1)[0]
    rows = [line for line in excerpt.splitlines() if line.startswith("| ")]
    assert len(rows) >= 15
    have = {_normalised(line) for line in written.splitlines()}
    stale = [row for row in rows if _normalised(row) not in have]
    assert stale == [], "README report excerpt rows the report no longer has:\n" + "\n".join(stale)
