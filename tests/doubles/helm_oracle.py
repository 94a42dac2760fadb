"""Real helm as the oracle for how a values file is read and merged.

``render_values`` writes a throw-away chart whose only template prints ``.Values`` as JSON, with
the chart defaults the caller gives, and returns what ``helm template -f FILE...`` rendered: the
values Helm hands a chart after reading and coalescing every file. Nothing here knows the answer
a test checks; the binary computes it.

The upstream BotKube chart is only used where it can be had without a network: a directory
named by ``BOTKUBE_UPSTREAM_CHARTS`` (or ``~/.cache/pytest-botkube/upstream-charts``) holding
``<version>/`` chart directories, e.g. exported from the upstream repository's ``helm/botkube``
at a tag. Tests that need it skip with a reason otherwise (CI has helm, not the upstream chart).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from doubles.get_helm import CACHE, cached_helm

REAL_HELM_ENV = "BOTKUBE_REAL_HELM"
UPSTREAM_CHARTS_ENV = "BOTKUBE_UPSTREAM_CHARTS"

_TEMPLATE = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: values
data:
  values.json: {{ toJson .Values | quote }}
"""


def real_helm_or_skip() -> Path:
    """A real helm v3 binary (``BOTKUBE_REAL_HELM`` or the get_helm.py cache), else skip."""
    for candidate in (os.environ.get(REAL_HELM_ENV), cached_helm()):
        if candidate and Path(candidate).is_file() and "standin" not in str(candidate):
            return Path(candidate)
    pytest.skip(
        f"no real helm binary: run `python tests/doubles/get_helm.py` or set {REAL_HELM_ENV}"
    )


def upstream_chart_or_skip(version: str) -> Path:
    """The upstream chart directory for ``version`` (``v1.14.0``), else skip with the reason."""
    base = Path(os.environ.get(UPSTREAM_CHARTS_ENV) or CACHE / "upstream-charts")
    chart = base / version
    if not (chart / "Chart.yaml").is_file():
        pytest.skip(
            f"no upstream BotKube chart {version} at {chart} (export helm/botkube at that tag "
            f"there, or set {UPSTREAM_CHARTS_ENV}); CI has none, these checks are for development"
        )
    return chart


def dump_chart(directory: Path, defaults: Mapping[str, Any]) -> Path:
    """A chart with ``defaults`` as its values.yaml that renders ``.Values`` as JSON."""
    (directory / "templates").mkdir(parents=True, exist_ok=True)
    (directory / "Chart.yaml").write_text(
        "apiVersion: v2\nname: dump\nversion: 0.1.0\n", encoding="utf-8"
    )
    (directory / "values.yaml").write_text(yaml.safe_dump(dict(defaults)), encoding="utf-8")
    (directory / "templates" / "values.yaml").write_text(_TEMPLATE, encoding="utf-8")
    return directory


def helm_template(helm: Path, chart: Path, files: Sequence[Path], *, show: str) -> str:
    """``helm template`` of one template; a refusal comes back as ``HELM-ERROR: <stderr>``."""
    argv = [str(helm), "template", "t", str(chart), "--show-only", show]
    for file in files:
        argv += ["-f", str(file)]
    env = {"HOME": str(chart.parent), "PATH": os.environ.get("PATH", "")}
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, check=False)
    if done.returncode != 0:
        return "HELM-ERROR: " + done.stderr.strip()
    return done.stdout


def render_values(
    helm: Path, workdir: Path, defaults: Mapping[str, Any], *texts: str
) -> dict[str, Any] | str:
    """What Helm makes of the values files ``texts`` over the chart ``defaults``; a string
    (``HELM-ERROR: ...``) when Helm refuses them."""
    chart = dump_chart(workdir / "chart", defaults)
    files = []
    for i, text in enumerate(texts):
        file = workdir / f"values-{i}.yaml"
        file.write_text(text, encoding="utf-8")
        files.append(file)
    out = helm_template(helm, chart, files, show="templates/values.yaml")
    if out.startswith("HELM-ERROR"):
        return out
    shutil.rmtree(chart)
    rendered = yaml.safe_load(out)
    return json.loads(rendered["data"]["values.json"])  # type: ignore[no-any-return]
