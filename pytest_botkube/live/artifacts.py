"""What a failed scenario leaves behind, and the short excerpt that goes into the test report.

Written per test under the artifacts directory (secrets redacted with
:func:`pytest_botkube.redact.redact_text`, since CI jobs upload this directory):

- ``agent.log`` / ``agent.previous.log``: the agent container's log, current and previous;
- ``healthz.json``: /healthz through the API server's pod proxy;
- ``events.yaml``: every core Event of the release namespace;
- ``pods.yaml``: the namespace's pods as the API returns them (spec, status, container states:
  what ``kubectl describe pod`` shows);
- ``helm-status.json`` and ``helm-values.yaml`` (``helm get values --all``);
- ``values-installed.yaml``: the file the suite passed to ``helm --values``;
- ``deliveries.txt``: what the webhook receiver got;
- ``notes.txt``: what went wrong while collecting, and the release's own notes.

Each piece is collected on its own: one that fails is recorded in notes.txt, the rest go on.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pytest_botkube.live.release import Release
from pytest_botkube.redact import redact_text

EXCERPT_LOG_LINES = 12
_INTERESTING = re.compile(
    r"panic|SIGSEGV|exited|Restarting|Deactivating|not responding|Unable to parse|"
    r"sending sink|error",
    re.IGNORECASE,
)
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def node_dir_name(nodeid: str) -> str:
    """A file-system-safe directory name for a pytest node id."""
    return _UNSAFE.sub("_", nodeid).strip("_")[:150] or "test"


@dataclass
class Artifacts:
    directory: Path
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    healthz: str = ""
    log_tail: list[str] = field(default_factory=list)

    def excerpt(self) -> str:
        """A few lines for the test report: where the files are, healthz, the log lines that
        matter most."""
        lines = [f"artifacts: {self.directory}"]
        if self.healthz:
            lines.append(f"healthz: {self.healthz.strip()[:400]}")
        if self.log_tail:
            lines.append("agent log (matching lines, last first kept):")
            lines.extend(f"  {line[:300]}" for line in self.log_tail)
        lines.extend(f"note: {note}" for note in self.notes[:5])
        return "\n".join(lines)


def _write(artifacts: Artifacts, name: str, produce: Callable[[], str]) -> str:
    try:
        text = produce()
    except Exception as exc:
        artifacts.notes.append(f"{name}: {type(exc).__name__}: {exc}")
        return ""
    path = artifacts.directory / name
    path.write_text(redact_text(text), encoding="utf-8")
    artifacts.files.append(path)
    return text


def collect(release: Release, directory: Path, deliveries: str = "") -> Artifacts:
    """Write every artifact of ``release`` into ``directory`` (created)."""
    directory.mkdir(parents=True, exist_ok=True)
    artifacts = Artifacts(directory=directory)
    ns = release.namespace

    _write(artifacts, "values-installed.yaml", lambda: release.values_file.read_text("utf-8"))
    _write(artifacts, "helm-status.json", lambda: release.helm.status(release.name, ns))
    _write(artifacts, "helm-values.yaml", lambda: release.helm.get_values(release.name, ns))
    _write(
        artifacts,
        "pods.yaml",
        lambda: yaml.safe_dump_all(release.kube.list_pods(ns, selector=""), sort_keys=False),
    )
    _write(
        artifacts,
        "events.yaml",
        lambda: yaml.safe_dump_all(release.kube.events(ns), sort_keys=False),
    )
    previous = _write(artifacts, "agent.previous.log", lambda: release.log(previous=True))
    current = _write(artifacts, "agent.log", release.log)
    artifacts.healthz = _write(artifacts, "healthz.json", release.healthz)
    if artifacts.healthz:
        with contextlib.suppress(ValueError):
            artifacts.healthz = json.dumps(json.loads(artifacts.healthz), separators=(",", ":"))
    if deliveries:
        _write(artifacts, "deliveries.txt", lambda: deliveries)
    matching = [line for line in (previous + current).splitlines() if _INTERESTING.search(line)]
    artifacts.log_tail = [redact_text(line) for line in matching[-EXCERPT_LOG_LINES:]]
    notes = [*release.notes, *artifacts.notes]
    if notes:
        (directory / "notes.txt").write_text("\n".join(notes) + "\n", encoding="utf-8")
        artifacts.files.append(directory / "notes.txt")
    return artifacts
