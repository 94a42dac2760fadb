"""The webhook receiver: a real HTTP server BotKube's webhook sink POSTs to, and its wait API.

Built on the stdlib ``http.server.ThreadingHTTPServer`` rather than pytest-httpserver/werkzeug:
the receiver is runtime code (the pytest plugin and ``botkube-repro run`` use it), it needs no
routing or expectation matching, only "record everything, answer by a fixed rule", and the
stdlib gives exact control of the status codes, the body limit before reading, keep-alive and
a silent log without another dependency (pytest-httpserver would also register its own pytest
plugin in every user's session).

Shape as pytest-httpserver's: an expensive object started once (per session) and a cheap
:meth:`WebhookReceiver.reset` per test. Usable without pytest::

    with WebhookReceiver() as receiver:
        ...  # point BotKube's webhook.url at receiver.url
        receiver.wait_for(60, type="create", name="web")

Answers (BotKube counts any non-200 as a failed send and never retries):

- ``POST`` with a BotKube-shaped JSON body: 200.
- ``POST`` with malformed JSON / wrong shape / no body: 400.
- body above ``body_limit`` (``Content-Length`` checked before reading; chunked bodies counted
  while reading): 413, and the connection is closed.
- any other method: 405 with ``Allow: POST``.

Every request, valid or not, is kept with its arrival time (monotonic and wall clock).
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from pytest_botkube.live.wait import hold_for, wait_until
from pytest_botkube.readers.payload import Delivery, PayloadError, check_match_fields, parse_payload

__all__ = ["DEFAULT_BODY_LIMIT", "ReceivedRequest", "WebhookReceiver"]

DEFAULT_BODY_LIMIT = 1024 * 1024
_WILDCARDS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104 - named so they are only used on request
_LISTED = 20  # deliveries listed in a failure message
_SOCKET_TIMEOUT = 35.0  # a little above BotKube's 30 s client timeout
_MAX_CHUNK_LINE = 1024
_DRAIN_LIMIT = 64 * 1024 * 1024  # read and drop at most this much of a refused body
_DRAIN_SECONDS = 2.0
_KEPT_ERRORS = 50


#: Sent with every answer: the token of the running receiver, so a probe can tell this receiver
#: from any other server on the same address (network.probe_from_node).
IDENTITY_HEADER = "X-Botkube-Repro-Receiver"


class _BodyTooLarge(Exception):
    def __init__(self, message: str, declared: int | None = None) -> None:
        super().__init__(message)
        self.declared = declared  # the Content-Length, when the body is still unread


class _BadBody(Exception):
    pass


@dataclass(frozen=True)
class ReceivedRequest:
    """One HTTP request as it arrived, whatever the answer was."""

    method: str
    path: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes  # empty when it was not read (too large, or unreadable)
    received_at: datetime  # wall clock, UTC
    received_monotonic: float
    client: str
    error: str = ""  # why it was rejected; empty for 200
    delivery: Delivery | None = None  # set exactly when status is 200

    def describe(self) -> str:
        if self.delivery is not None:
            return self.delivery.describe()
        return f"{self.method} {self.path} -> {self.status}: {self.error}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default listen backlog is 5: a burst of concurrent senders (every source
    # of an agent, or the 20-sender test) overflows it and connections get reset, which BotKube
    # would count as failed, unretried sends.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], receiver: WebhookReceiver) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.receiver = receiver
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn) that can hang offline.
        super(ThreadingHTTPServer, self).server_bind()  # TCPServer's bind only
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Stay quiet (no stderr traceback) but keep the error: a client that vanished
        # mid-request is normal, a bug in the handler must still be visible to tests.
        exc = sys.exc_info()[1]
        self.receiver._note_handler_error(f"{client_address}: {type(exc).__name__}: {exc}")

    def close_connections(self) -> None:
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the peer
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Go's client expects
    server_version = "pytest-botkube-receiver"
    sys_version = ""
    timeout = _SOCKET_TIMEOUT
    # Headers and body go out in two writes; with Nagle on, the client's delayed ACK stalls
    # every keep-alive response by ~40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr log."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server answers requests it cannot parse itself; keep those too.
        headers = getattr(self, "headers", None)
        self.server.receiver._record(
            ReceivedRequest(
                method=self.command or "",
                path=self.path if hasattr(self, "path") else "",
                status=int(code),
                headers=tuple(headers.items()) if headers is not None else (),
                body=b"",
                received_at=datetime.now(UTC),
                received_monotonic=time.monotonic(),
                client=str(self.client_address[0]),
                error=message or HTTPStatus(code).phrase,
            )
        )
        super().send_error(code, message, explain)

    def handle_expect_100(self) -> bool:
        # Refuse an oversized body before the client sends it.
        length = self._declared_length()
        if isinstance(length, int) and length > self.server.receiver.body_limit:
            self._reject_too_large(length)
            return False
        return super().handle_expect_100()

    def do_POST(self) -> None:
        now, mono = datetime.now(UTC), time.monotonic()
        try:
            body = self._read_body()
        except _BodyTooLarge as err:
            self._reject_too_large(None, str(err), now=now, mono=mono)
            self._drain(err.declared)
            return
        except _BadBody as err:
            self.close_connection = True
            self._answer(HTTPStatus.BAD_REQUEST, b"", str(err), now, mono)
            return
        if not body and self._declared_length() is None and not self._chunked():
            error = "no body: neither Content-Length nor chunked Transfer-Encoding"
            self._answer(HTTPStatus.BAD_REQUEST, body, error, now, mono)
            return
        try:
            delivery = parse_payload(body, received_at=now, received_monotonic=mono)
        except PayloadError as err:
            self._answer(HTTPStatus.BAD_REQUEST, body, str(err), now, mono)
            return
        self._answer(HTTPStatus.OK, body, "", now, mono, delivery)

    def _not_allowed(self) -> None:
        now, mono = datetime.now(UTC), time.monotonic()
        body = b""
        try:
            body = self._read_body()
        except (_BodyTooLarge, _BadBody):
            self.close_connection = True  # the unread body would garble the next request
        self._answer(
            HTTPStatus.METHOD_NOT_ALLOWED, body, f"method {self.command} not allowed", now, mono
        )

    def __getattr__(self, name: str) -> Any:
        # http.server dispatches to do_<METHOD> and answers 501 when it is missing; every
        # method but POST is a 405 here, including ones this class cannot list in advance.
        if name.startswith("do_"):
            return self._not_allowed
        raise AttributeError(name)

    # -- helpers -------------------------------------------------------------------------

    def _declared_length(self) -> int | str | None:
        """The Content-Length as an int, None when absent, the raw text when invalid."""
        raw = self.headers.get("Content-Length")
        if raw is None:
            return None
        text = raw.strip()
        return int(text) if text.isascii() and text.isdigit() else raw

    def _chunked(self) -> bool:
        return "chunked" in self.headers.get("Transfer-Encoding", "").lower()

    def _read_body(self) -> bytes:
        limit = self.server.receiver.body_limit
        if self._chunked():
            return self._read_chunked(limit)
        length = self._declared_length()
        if length is None:
            return b""
        if isinstance(length, str):
            raise _BadBody(f"invalid Content-Length {length!r}")
        if length > limit:
            raise _BodyTooLarge(f"body of {length} bytes exceeds the {limit}-byte limit", length)
        body = self.rfile.read(length)
        if len(body) != length:
            raise _BadBody(f"body ended after {len(body)} of {length} bytes")
        return body

    def _read_chunked(self, limit: int) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(_MAX_CHUNK_LINE + 1)
            if len(line) > _MAX_CHUNK_LINE or not line.endswith(b"\n"):
                raise _BadBody("malformed chunk size line")
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise _BadBody(f"malformed chunk size {size_text!r}") from None
            if size == 0:
                break
            total += size
            if total > limit:
                raise _BodyTooLarge(f"chunked body exceeds the {limit}-byte limit")
            chunk = self.rfile.read(size)
            if len(chunk) != size or self.rfile.read(2) != b"\r\n":
                raise _BadBody("truncated chunk")
            parts.append(chunk)
        while True:  # trailers, up to the blank line
            line = self.rfile.readline(_MAX_CHUNK_LINE + 1)
            if line in (b"\r\n", b"\n", b""):
                break
            if len(line) > _MAX_CHUNK_LINE:
                raise _BadBody("malformed chunk trailer")
        return b"".join(parts)

    def _drain(self, length: int | None) -> None:
        # Closing a socket with unread data makes the kernel send RST, and a client still
        # writing the body would see "connection reset" instead of our 413. Read and drop a
        # bounded amount, briefly, so the answer reaches it.
        if length is None or length > _DRAIN_LIMIT:
            return
        deadline = time.monotonic() + _DRAIN_SECONDS
        try:
            self.connection.settimeout(_DRAIN_SECONDS)
            while length > 0 and time.monotonic() < deadline:
                chunk = self.rfile.read(min(length, 65536))
                if not chunk:
                    return
                length -= len(chunk)
        except OSError:
            return

    def _reject_too_large(
        self,
        length: int | None,
        error: str = "",
        *,
        now: datetime | None = None,
        mono: float | None = None,
    ) -> None:
        limit = self.server.receiver.body_limit
        self.close_connection = True  # the body stays unread
        self._answer(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            b"",
            error or f"body of {length} bytes exceeds the {limit}-byte limit",
            now or datetime.now(UTC),
            time.monotonic() if mono is None else mono,
        )

    def _answer(
        self,
        status: HTTPStatus,
        body: bytes,
        error: str,
        now: datetime,
        mono: float,
        delivery: Delivery | None = None,
    ) -> None:
        self.server.receiver._record(
            ReceivedRequest(
                method=self.command,
                path=self.path,
                status=int(status),
                headers=tuple(self.headers.items()),
                body=body,
                received_at=now,
                received_monotonic=mono,
                client=str(self.client_address[0]),
                error=error,
                delivery=delivery,
            )
        )
        text = (error or "ok").encode() + b"\n"
        self.send_response(status)
        if status == HTTPStatus.METHOD_NOT_ALLOWED:
            self.send_header("Allow", "POST")
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(text)))
        self.send_header(IDENTITY_HEADER, self.server.receiver.identity)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(text)


class WebhookReceiver:
    """Records what BotKube's webhook sink POSTs; thread-safe; waits wake on each arrival."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, body_limit: int = DEFAULT_BODY_LIMIT
    ) -> None:
        if body_limit < 0:
            raise ValueError(f"body_limit must be >= 0, got {body_limit}")
        self.host = host
        self.port = port
        self.body_limit = body_limit
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._requests: list[ReceivedRequest] = []
        self._version = 0  # bumped on every record and reset; waits sleep until it moves
        self._handler_errors: list[str] = []
        self.identity = secrets.token_hex(8)  # IDENTITY_HEADER's value: this receiver only

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> Self:
        """Bind and serve in a background thread; the bound port is in ``.port``/``.url``."""
        if self._server is not None:
            raise RuntimeError(f"receiver already running at {self.url}")
        server = _Server((self.host, self.port), self)
        self.port = int(server.server_address[1])
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"webhook-receiver:{self.port}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop accepting, close open keep-alive connections, join threads. Idempotent."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._server = self._thread = None
        server.shutdown()
        server.close_connections()
        server.server_close()  # joins the per-connection threads
        thread.join()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        """Where a client on this machine reaches the receiver (loopback for a wildcard bind)."""
        host = self.host
        if host in _WILDCARDS:
            host = "::1" if host == "::" else "127.0.0.1"
        return self.url_for(host)

    def url_for(self, host: str) -> str:
        """The URL under another name for this machine, e.g. the kind network's gateway."""
        if not self.running:
            raise RuntimeError("receiver is not running; call start() first")
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}/"

    # -- records -------------------------------------------------------------------------

    def _record(self, request: ReceivedRequest) -> None:
        with self._changed:
            self._requests.append(request)
            self._version += 1
            self._changed.notify_all()

    def _note_handler_error(self, error: str) -> None:
        with self._lock:
            self._handler_errors.append(error)
            del self._handler_errors[:-_KEPT_ERRORS]

    def reset(self) -> None:
        """Forget everything received so far (cheap; between tests)."""
        with self._changed:
            self._requests.clear()
            self._version += 1
            self._changed.notify_all()

    def requests(self) -> list[ReceivedRequest]:
        """Every request since the last reset, valid or not, in arrival order."""
        with self._lock:
            return list(self._requests)

    def deliveries(self) -> list[Delivery]:
        """The accepted (200) deliveries since the last reset, in arrival order."""
        with self._lock:
            return [r.delivery for r in self._requests if r.delivery is not None]

    def rejected(self) -> list[ReceivedRequest]:
        """The requests answered with anything but 200."""
        with self._lock:
            return [r for r in self._requests if r.delivery is None]

    def handler_errors(self) -> list[str]:
        """Requests whose handling raised (the last 50): a client gone mid-request, or a bug."""
        with self._lock:
            return list(self._handler_errors)

    # -- waits ---------------------------------------------------------------------------

    def _snapshot(self) -> tuple[int, list[ReceivedRequest]]:
        with self._lock:
            return self._version, list(self._requests)

    def _sleeper(self, seen: list[int]) -> Callable[[float], None]:
        def sleep(seconds: float) -> None:
            with self._changed:
                self._changed.wait_for(lambda: self._version != seen[0], timeout=seconds)

        return sleep

    def _first_match(
        self, seen: list[int], predicate: Callable[[Delivery], bool]
    ) -> Delivery | None:
        version, requests = self._snapshot()
        seen[0] = version
        for request in requests:
            if request.delivery is not None and predicate(request.delivery):
                return request.delivery
        return None

    def wait_for(self, timeout: float, **fields: object) -> Delivery:
        """The first delivery since the last reset whose fields all match; wait up to timeout.

        Field names and semantics as :meth:`Delivery.matches`. Raises
        :class:`~pytest_botkube.live.wait.WaitTimeout` listing what did arrive.
        """
        check_match_fields(fields)
        return self.wait_for_match(
            lambda delivery: delivery.matches(**fields),
            timeout,
            what=f"a delivery with {_format_fields(fields)}",
        )

    def assert_none(self, window: float, **fields: object) -> None:
        """Fail if a matching delivery arrived since the last reset or does within ``window`` s.

        Deliveries that arrived before the call count too: "BotKube must not deliver X" is
        broken whenever X arrived. Raises :class:`~pytest_botkube.live.wait.QuietWindowBroken`.
        """
        check_match_fields(fields)
        self.assert_no_match(
            lambda delivery: delivery.matches(**fields),
            window,
            what=f"a delivery with {_format_fields(fields)}",
        )

    def wait_for_match(
        self, predicate: Callable[[Delivery], bool], timeout: float, *, what: str
    ) -> Delivery:
        """:meth:`wait_for` with any predicate (e.g. a scenario matcher over ``Delivery.raw``).

        Wakes on every arrival rather than polling, so it returns as soon as a match is kept.
        """
        seen = [-1]
        return wait_until(
            lambda: self._first_match(seen, predicate),
            timeout=timeout,
            interval=1.0,
            what=f"{what} at {self._where()}",
            describe=self.summary,
            sleep=self._sleeper(seen),
        )

    def assert_no_match(
        self, predicate: Callable[[Delivery], bool], window: float, *, what: str
    ) -> None:
        """:meth:`assert_none` with any predicate; fails on the first match, naming it."""
        seen = [-1]
        hold_for(
            lambda: self._first_match(seen, predicate),
            window=window,
            interval=1.0,
            what=what,
            describe=self.summary,
            sleep=self._sleeper(seen),
        )

    def summary(self) -> str:
        """Compact account of what arrived, for failure messages."""
        requests = self.requests()
        accepted = [r for r in requests if r.delivery is not None]
        refused = [r for r in requests if r.delivery is None]
        if not requests:
            return "no requests received"
        lines = [f"{len(accepted)} deliveries, {len(refused)} rejected requests"]
        shown = requests[-_LISTED:]
        if len(requests) > len(shown):
            lines.append(f"(first {len(requests) - len(shown)} not shown)")
        lines.extend(f"  {r.received_at:%H:%M:%S.%f}"[:-3] + f" {r.describe()}" for r in shown)
        return "\n".join(lines)

    def _where(self) -> str:
        return self.url if self.running else "the receiver (not running)"


def _format_fields(fields: dict[str, object]) -> str:
    if not fields:
        return "any fields"
    return ", ".join(f"{key}={value!r}" for key, value in fields.items())
