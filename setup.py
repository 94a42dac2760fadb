"""Build hook: ship ``scenarios/`` and ``manifests/`` inside the package as ``pytest_botkube/data``.

They stay at the top of the checkout (where the suite, the e2e workflow and people read them);
a wheel or ``pip install .`` carries a copy, so ``botkube-repro run crash-v1.13.0`` works from
any directory (``pytest_botkube.bundled`` finds the checkout first, then the copy). Editable
installs need no copy: the package still sits in the checkout.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("scenarios", "manifests")
SUFFIXES = (".yaml", ".yml")


class BuildPyWithBundledFiles(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for name in BUNDLED:
            target = Path(self.build_lib) / "pytest_botkube" / "data" / name
            target.mkdir(parents=True, exist_ok=True)
            for source in sorted((ROOT / name).iterdir()):
                if source.is_file() and source.suffix in SUFFIXES:
                    shutil.copy2(source, target / source.name)


setup(cmdclass={"build_py": BuildPyWithBundledFiles})
