"""A container registry double: the manifest endpoint of the Docker Registry HTTP API v2 behind
its token authentication (https://distribution.github.io/distribution/spec/auth/token/), on
127.0.0.1 over plain HTTP (as Docker treats a loopback registry).

``HEAD /v2/<repository>/manifests/<tag>`` answers 401 with a ``WWW-Authenticate: Bearer
realm=...,service=...,scope=repository:<repository>:pull`` challenge until the request carries
the token that ``GET /token`` hands out for that scope; then 200 with a
``Docker-Content-Digest`` for a tag it holds, 404 for another. ``private`` repositories get no
token (the anonymous pull of a private image).
"""

from __future__ import annotations

import hashlib
import http.server
import threading
import urllib.parse
from collections.abc import Iterable
from typing import Any


class RegistryDouble:
    def __init__(self, images: Iterable[str], private: Iterable[str] = ()) -> None:
        self.images = set(images)  # "kubeshop/botkube:v1.13.0"
        self.private = set(private)  # repositories without an anonymous token
        self.requests: list[tuple[str, str, str]] = []  # (method, path, Authorization)
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self, code: int, headers: dict[str, str], body: bytes = b"") -> None:
                self.send_response(code)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_HEAD(self) -> None:
                auth = self.headers.get("Authorization", "")
                outer.requests.append(("HEAD", self.path, auth))
                parts = self.path.split("/manifests/")
                if not self.path.startswith("/v2/") or len(parts) != 2:
                    self._answer(404, {})
                    return
                repository, tag = parts[0][len("/v2/") :], parts[1]
                if auth != f"Bearer token-for-{repository}":
                    challenge = (f'Bearer realm="{outer.url}/token",service="double",'
                                 f'scope="repository:{repository}:pull"')  # fmt: skip
                    self._answer(401, {"WWW-Authenticate": challenge})
                    return
                if f"{repository}:{tag}" not in outer.images:
                    self._answer(404, {})
                    return
                digest = "sha256:" + hashlib.sha256(f"{repository}:{tag}".encode()).hexdigest()
                self._answer(
                    200,
                    {
                        "Docker-Content-Digest": digest,
                        "Content-Type": "application/vnd.oci.image.index.v1+json",
                    },
                )

            def do_GET(self) -> None:
                outer.requests.append(("GET", self.path, self.headers.get("Authorization", "")))
                url = urllib.parse.urlsplit(self.path)
                if url.path != "/token":
                    self._answer(404, {})
                    return
                scope = urllib.parse.parse_qs(url.query).get("scope", [""])[0]
                repository = scope.removeprefix("repository:").removesuffix(":pull")
                if repository in outer.private:
                    self._answer(401, {}, b'{"errors":[{"code":"UNAUTHORIZED"}]}')
                    return
                body = f'{{"token": "token-for-{repository}"}}'.encode()
                self._answer(200, {"Content-Type": "application/json"}, body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        self.url = f"http://{self.host}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                        daemon=True)  # fmt: skip
        self._thread.start()

    def __enter__(self) -> RegistryDouble:
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
