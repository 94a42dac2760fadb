"""The bug-report bundle: ``report.md``, the redacted values per run and the redacted raw
artifacts, ready for a public issue."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import yaml

from pytest_botkube.redact import redact_file, redact_text, redact_values
from pytest_botkube.report.records import RunRecord
from pytest_botkube.report.render import render_report


def _slug(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "run"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _copy_redacted(source: Path, destination: Path, bundle: Path) -> list[str]:
    """Copy a file or a directory tree, redacting every file; returns bundle-relative paths."""
    copied: list[str] = []
    if source.is_dir():
        for path in sorted(source.rglob("*")):
            if path.is_file() and not path.is_symlink():
                target = destination / path.relative_to(source)
                redact_file(path, target)
                copied.append(target.relative_to(bundle).as_posix())
    elif source.is_file():
        redact_file(source, destination)
        copied.append(destination.relative_to(bundle).as_posix())
    return copied


def write_bundle(
    directory: Path, records: Sequence[RunRecord], artifacts: Sequence[Path] = ()
) -> Path:
    """Write ``report.md``, the redacted values per run and the redacted raw artifacts.

    Layout: ``report.md``, ``values/<run>.yaml``, ``artifacts/<run>/...`` for each run's own
    artifacts and ``artifacts/shared/...`` for the others. Returns the path of ``report.md``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    values_files: dict[str, str] = {}
    artifact_files: dict[str, list[str]] = {}
    for record in records:
        slug = _slug(record.name, taken)
        values_path = directory / "values" / f"{slug}.yaml"
        values_path.parent.mkdir(parents=True, exist_ok=True)
        values_path.write_text(
            redact_text(yaml.safe_dump(redact_values(record.values), sort_keys=False)),
            encoding="utf-8",
        )
        values_files[record.name] = values_path.relative_to(directory).as_posix()
        files: list[str] = []
        for source in record.artifacts:
            files += _copy_redacted(source, directory / "artifacts" / slug / source.name, directory)
        artifact_files[record.name] = files
    shared: list[str] = []
    for source in artifacts:
        shared += _copy_redacted(
            source, directory / "artifacts" / "shared" / source.name, directory
        )
    report = directory / "report.md"
    report.write_text(
        render_report(
            records,
            values_files=values_files,
            artifact_files=artifact_files,
            shared_artifacts=shared,
        ),
        encoding="utf-8",
    )
    return report
