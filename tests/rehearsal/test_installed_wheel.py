"""An installed wheel, not the checkout: the shipped scenarios and manifests come with it.

The way a release reaches a user: an sdist built from a copy of the checkout's package files,
a wheel built from that sdist (``pip wheel --no-build-isolation``: offline, with the setuptools
and wheel the ``test`` extra installs), installed with ``pip install --target`` into a directory
of its own, and run from another directory with the checkout out of reach.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pytest_botkube.cli import main

ROOT = Path(__file__).resolve().parents[2]
#: What a source distribution is made from (setup.py and MANIFEST.in add the rest).
SOURCE_FILES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md")
SOURCE_DIRS = ("pytest_botkube", "scenarios", "manifests")


def _pip(*args: str, cwd: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"pip {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("setuptools", minversion="68")
    pytest.importorskip("wheel")
    source = tmp_path_factory.mktemp("source")
    for name in SOURCE_FILES:
        shutil.copy2(ROOT / name, source / name)
    for name in SOURCE_DIRS:
        shutil.copytree(ROOT / name, source / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))  # fmt: skip
    dist = tmp_path_factory.mktemp("dist")
    build_sdist = f"from setuptools import build_meta; print(build_meta.build_sdist({str(dist)!r}))"
    done = subprocess.run([sys.executable, "-c", build_sdist], cwd=source, capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    sdist = dist / done.stdout.strip().splitlines()[-1]
    _pip("wheel", "--no-deps", "--no-build-isolation", "--quiet", "--wheel-dir", str(dist),
         str(sdist), cwd=dist)  # fmt: skip
    wheel = next(dist.glob("pytest_botkube-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert "pytest_botkube/data/scenarios/crash-v1.13.0.yaml" in names
    assert "pytest_botkube/data/manifests/kind-cluster.yaml" in names
    target = tmp_path_factory.mktemp("site")
    _pip("install", "--no-deps", "--quiet", "--target", str(target), str(wheel), cwd=dist)
    return target


def _env(site: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTKUBE_")}
    env["PYTHONPATH"] = str(site)  # before the editable install's finder
    return env


def test_the_installed_package_finds_its_scenarios_from_another_directory(
    installed: Path, tmp_path: Path
):
    probe = (
        "import json, pytest_botkube, pytest_botkube.bundled as b, pytest_botkube.scenario as s;"
        "print(json.dumps([pytest_botkube.__file__, str(b.scenarios_dir()),"
        " str(b.manifests_dir()), s.scenario_names()]))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=_env(installed),
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    package, scenarios, manifests, names = json.loads(done.stdout)
    assert Path(package).is_relative_to(installed)  # not the checkout
    assert Path(scenarios) == installed / "pytest_botkube" / "data" / "scenarios"
    assert (Path(manifests) / "kind-cluster.yaml").is_file()
    shipped = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
    assert sorted(names) == shipped


def test_the_installed_command_runs_a_shipped_scenario_by_name(
    installed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    command = [sys.executable, "-m", "pytest_botkube.cli", "values", "crash-v1.13.0"]
    done = subprocess.run(command, cwd=tmp_path, env=_env(installed), capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert main(["values", "crash-v1.13.0"]) == 0  # the checkout's, in this process
    assert done.stdout == capsys.readouterr().out


def test_botkube_repro_home_points_at_a_directory_of_ones_own(installed: Path, tmp_path: Path):
    home = tmp_path / "fork"
    (home / "manifests").mkdir(parents=True)
    (home / "scenarios").mkdir()
    source = (ROOT / "scenarios" / "crash-v1.13.0.yaml").read_text(encoding="utf-8")
    (home / "scenarios" / "my-crash-v1.13.0.yaml").write_text(source, encoding="utf-8")
    env = {**_env(installed), "BOTKUBE_REPRO_HOME": str(home)}
    probe = "import pytest_botkube.scenario as s; print(s.scenario_names())"
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['my-crash-v1.13.0']"
