"""``cluster.live.start`` against an existing cluster: an API server that does not answer is an
unavailable environment (the e2e tests skip); a bug in our own code is not (they fail)."""

import socket
import sys
from pathlib import Path

import pytest
import yaml

from pytest_botkube.errors import EnvironmentUnavailable
from pytest_botkube.live.environment import LiveConfig, start
from pytest_botkube.live.kind import ClusterMode
from pytest_botkube.live.kube import Kube


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def existing_cluster(tmp_path: Path) -> LiveConfig:
    kubeconfig = tmp_path / "kubeconfig"
    server = f"http://127.0.0.1:{closed_port()}"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": server}}],
                "users": [{"name": "u", "user": {}}],
                "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "ctx",
            }
        ),
        encoding="utf-8",
    )
    return LiveConfig(
        mode=ClusterMode.EXISTING,
        kubeconfig=kubeconfig,
        helm_path=sys.executable,  # any executable: start() only locates helm
        allow_download=False,
        work_dir=tmp_path,
    )


def test_an_api_server_that_refuses_is_an_unavailable_environment(tmp_path: Path):
    with pytest.raises(EnvironmentUnavailable, match="API server does not answer"):
        start(existing_cluster(tmp_path), env={"PATH": str(tmp_path)})


def test_a_bug_while_connecting_is_not_an_unavailable_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    def broken(self: Kube) -> str:
        raise AttributeError("a bug in the version read")

    monkeypatch.setattr(Kube, "server_version", broken)
    with pytest.raises(AttributeError, match="a bug in the version read"):
        start(existing_cluster(tmp_path), env={"PATH": str(tmp_path)})
