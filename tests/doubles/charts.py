"""Tiny packaged charts and an HTTP server that serves them, for the chart-source rehearsals.

A packaged chart is a gzipped tar whose members sit under ``<name>/`` (what ``helm package``
writes: ``botkube/Chart.yaml``, ``botkube/values.yaml``, ``botkube/templates/...``); the real
helm installs these (tests/rehearsal/test_standins.py checks it). The server is a real
``http.server`` on 127.0.0.1 with files in memory; a path it does not hold is a 404, and
:func:`closed_port_url` names a port nobody listens on (a source that is down).
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import socket
import tarfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import yaml

VERSIONS = ("v1.13.0", "v1.14.0")


def chart_tgz(version: str, app_version: str | None = None, name: str = "botkube") -> bytes:
    """A deterministic packaged chart (same bytes every call): one ConfigMap template."""
    meta = {"apiVersion": "v1", "name": name, "version": version}
    meta["appVersion"] = app_version or version
    files = {
        "Chart.yaml": yaml.safe_dump(meta),
        "values.yaml": "image:\n  tag: " + (app_version or version) + "\n",
        "templates/configmap.yaml": (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-test\n"
            "data:\n  tag: {{ .Values.image.tag | quote }}\n"
        ),
    }
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        for path, text in files.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(f"{name}/{path}")
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            archive.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def repository_index(charts: Mapping[str, bytes], url_prefix: str = "") -> str:
    """A Helm repository ``index.yaml`` for ``{version: tarball}`` (relative URLs by default)."""
    entries = [
        {"apiVersion": "v1", "name": "botkube", "version": version, "appVersion": version,
         "digest": sha256(data), "urls": [f"{url_prefix}botkube-{version}.tgz"]}
        for version, data in charts.items()
    ]  # fmt: skip
    return yaml.safe_dump({"apiVersion": "v1", "entries": {"botkube": entries}})


class FileServer:
    """``files`` (path -> bytes) over HTTP on 127.0.0.1; ``requests`` lists the paths asked."""

    def __init__(self, files: Mapping[str, bytes] | None = None) -> None:
        self.files: dict[str, bytes] = dict(files or {})
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                body = outer.files.get(self.path.split("?", 1)[0])
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                        daemon=True)  # fmt: skip
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@contextmanager
def serving(files: Mapping[str, bytes] | None = None) -> Iterator[FileServer]:
    server = FileServer(files)
    try:
        yield server
    finally:
        server.close()


def closed_port_url() -> str:
    """``http://127.0.0.1:PORT`` where nothing listens (the port was bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def repository_files(versions: tuple[str, ...] = VERSIONS, prefix: str = "") -> dict[str, bytes]:
    """The files of a chart repository at ``prefix`` holding a test chart per version."""
    charts = {version: chart_tgz(version) for version in versions}
    files = {f"{prefix}/botkube-{v}.tgz": data for v, data in charts.items()}
    files[f"{prefix}/index.yaml"] = repository_index(charts).encode("utf-8")
    return files


_SHARED: FileServer | None = None
_LOCK = threading.Lock()


def shared_repository() -> str:
    """The URL of one chart repository (test charts v1.13.0 and v1.14.0) for this process: the
    rehearsals' stand-in for a chart host (``--botkube-chart URL``)."""
    global _SHARED
    with _LOCK:
        if _SHARED is None:
            _SHARED = FileServer(repository_files(prefix="/charts"))
        return f"{_SHARED.url}/charts"
