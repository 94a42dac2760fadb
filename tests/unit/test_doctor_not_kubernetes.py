"""doctor pointed at something that is not a Kubernetes API server: one line, exit 3."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from pytest_botkube.cli import main


class _WebApp(BaseHTTPRequestHandler):
    """A web server as a wrong kubeconfig URL finds one: HTML for every path."""

    def do_GET(self) -> None:
        page = b"<html><body><h1>404 Not Found</h1><hr>nginx</body></html>\n"
        status = 200 if self.path == "/" else 404
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def web_app() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _WebApp)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _kubeconfig(path: Path, server: str) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": server}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        ),
        encoding="utf-8",
    )
    return path


def test_a_web_server_is_not_a_kubernetes_api_server(
    tmp_path: Path, web_app: str, capsys: pytest.CaptureFixture[str]
):
    config = _kubeconfig(tmp_path / "kubeconfig", web_app)
    code = main(["doctor", "--kubeconfig", str(config)])
    out, err = capsys.readouterr()
    assert code == 3, err
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "not a Kubernetes API server: GET /version answered HTTP 404 (text/html)" in lines[0]
    assert "<html>" not in err
