"""The webhook receiver: a real HTTP server BotKube's webhook sink POSTs to, and its wait API.

One asyncio event loop in one background thread serves every connection: a burst of
connections, an idle keep-alive connection or a client that sends one byte a second costs a
coroutine, not a thread, so the number of threads is fixed (one) however many clients there
are. The stdlib only (no web framework): the receiver is runtime code of the pytest plugin,
``botkube-repro run`` and ``botkube-repro receive``, and needs exact control of the answers.

Shape as pytest-httpserver's: an expensive object started once (per session) and a cheap
:meth:`WebhookReceiver.reset` per test. Usable without pytest::

    with WebhookReceiver() as receiver:
        ...  # point BotKube's webhook.url at receiver.url
        receiver.wait_for(60, type="create", name="web")

Answers, all plain text (BotKube counts any non-200 as a failed send and never retries):

- ``POST`` with a BotKube webhook payload (``{"source", "data", "timeStamp"}``, see
  :func:`~pytest_botkube.readers.payload.parse_payload`): 200.
- ``POST`` with anything else (not JSON, another shape, ``{}``), without a body, with an
  invalid or conflicting ``Content-Length``, with both ``Content-Length`` and
  ``Transfer-Encoding``, a malformed request line or header: 400.
- headers not complete within ``header_timeout`` s of their first byte, or a body not complete
  within ``body_timeout`` s of the headers: 408, and the connection is closed.
- body above ``body_limit`` (``Content-Length`` checked before reading, ``Expect:
  100-continue`` answered before the body is sent; chunked bodies counted while reading):
  413; headers above 64 KiB: 431.
- any other method: 405 with ``Allow: POST``.

Every request, valid or not, is kept with its arrival time (monotonic and wall clock);
deliveries are the 200s only.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from types import TracebackType
from typing import Self

from pytest_botkube.live.wait import hold_for, wait_until
from pytest_botkube.readers.payload import Delivery, PayloadError, check_match_fields, parse_payload
from pytest_botkube.text import count

__all__ = ["DEFAULT_BODY_LIMIT", "ReceivedRequest", "WebhookReceiver"]

DEFAULT_BODY_LIMIT = 1024 * 1024
#: Seconds from a request's first byte to the end of its headers, and from there to the end of
#: its body. BotKube sends a small body right after the headers (and gives up after 30 s).
DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_BODY_TIMEOUT = 10.0
#: An idle keep-alive connection is closed after this long; Go's client drops its own idle
#: connections after 90 s, so the client, not the receiver, closes first.
IDLE_TIMEOUT = 120.0
#: The listen backlog asked for; the kernel caps it at net.core.somaxconn (4096 on Linux >=
#: 5.4). Connections beyond it are not reset but retried by the client's SYN retransmission.
BACKLOG = 4096
MAX_HEADER_BYTES = 64 * 1024
_WILDCARDS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104 - named so they are only used on request
_LISTED = 20  # deliveries listed in a failure message
_MAX_CHUNK_LINE = 1024
_DRAIN_LIMIT = 64 * 1024 * 1024  # read and drop at most this much of a refused body
_DRAIN_SECONDS = 2.0
_KEPT_ERRORS = 50
#: Sent with every answer: the token of the running receiver, so a probe can tell this receiver
#: from any other server on the same address (network.probe_from_node).
IDENTITY_HEADER = "X-Botkube-Repro-Receiver"
_TOKEN = frozenset(b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class _Refused(Exception):
    """The request cannot be served: answer ``status`` with ``message`` and close."""

    def __init__(self, status: HTTPStatus, message: str, *, drain: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.drain = drain  # bytes of an unread body to read and drop before closing


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
        return f"{self.method or '?'} {self.path or '?'} -> {self.status}: {self.error}"


@dataclass
class _Request:
    method: str = ""
    path: str = ""
    version: str = "HTTP/1.1"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def header(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    def keep_alive(self) -> bool:
        tokens = {t.strip().lower() for v in self.header("Connection") for t in v.split(",")}
        if self.version == "HTTP/1.0":
            return "keep-alive" in tokens
        return "close" not in tokens


def _parse_head(head: bytes) -> _Request:
    """Request line and headers (RFC 9112); anything malformed is a 400."""
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise _Refused(HTTPStatus.BAD_REQUEST, "malformed request line")
    method, target, version = (p.decode("latin-1") for p in parts)
    if version not in ("HTTP/1.0", "HTTP/1.1") or not set(parts[0]) <= _TOKEN:
        raise _Refused(HTTPStatus.BAD_REQUEST, "malformed request line")
    request = _Request(method=method, path=target, version=version)
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        name, colon, value = line.partition(b":")
        if not colon or not name or not set(name) <= _TOKEN:  # also obsolete line folding
            raise _Refused(HTTPStatus.BAD_REQUEST, "malformed header line")
        headers.append((name.decode("latin-1"), value.strip(b" \t").decode("latin-1")))
    request.headers = tuple(headers)
    return request


def _content_length(request: _Request) -> int | None:
    """The one Content-Length (repeats of one value are one value, RFC 9112 6.3)."""
    given = [
        part.strip() for value in request.header("Content-Length") for part in value.split(",")
    ]
    if not given:
        return None
    if not all(p.isascii() and p.isdigit() for p in given):
        shown = ", ".join(request.header("Content-Length"))
        raise _Refused(HTTPStatus.BAD_REQUEST, f"invalid Content-Length {shown[:40]!r}")
    if len(set(given)) > 1:
        raise _Refused(HTTPStatus.BAD_REQUEST, "conflicting Content-Length headers")
    return int(given[0])


class _Connection:
    """One client connection: requests read with deadlines, answered, recorded."""

    def __init__(
        self,
        receiver: WebhookReceiver,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.receiver, self.reader, self.writer = receiver, reader, writer
        peer = writer.get_extra_info("peername")
        self.client = str(peer[0]) if peer else ""

    async def serve(self) -> None:
        while not self.writer.is_closing():
            try:
                first = await asyncio.wait_for(self._first_byte(), IDLE_TIMEOUT)
            except (TimeoutError, ConnectionError):
                return
            if not first:
                return  # the client closed the connection between requests
            now, mono = datetime.now(UTC), time.monotonic()
            request = _Request()
            try:
                request = await self._read(first, request)
                keep = await self._answer_request(request, now, mono)
            except _Refused as refused:
                await self._refuse(refused, request, now, mono)
                return
            if not keep:
                return

    async def _first_byte(self) -> bytes:
        for _ in range(8):  # RFC 9112 2.2: ignore empty lines before a request line
            byte = await self.reader.read(1)
            if byte not in (b"\r", b"\n"):
                return byte
        return b"\r"

    async def _read(self, first: bytes, request: _Request) -> _Request:
        limit = self.receiver.body_limit
        try:
            rest = await asyncio.wait_for(
                self.reader.readuntil(b"\r\n\r\n"), self.receiver.header_timeout
            )
        except TimeoutError:
            raise _Refused(
                HTTPStatus.REQUEST_TIMEOUT,
                f"headers not complete within {self.receiver.header_timeout:g} s",
            ) from None
        except asyncio.LimitOverrunError:
            raise _Refused(
                HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                f"headers larger than {MAX_HEADER_BYTES} bytes",
            ) from None
        except asyncio.IncompleteReadError:
            raise _Refused(HTTPStatus.BAD_REQUEST, "connection closed inside the headers") from None
        parsed = _parse_head(first + rest[:-4])
        request.method, request.path = parsed.method, parsed.path
        request.version, request.headers = parsed.version, parsed.headers
        chunked = bool(request.header("Transfer-Encoding"))
        length = _content_length(request)
        if chunked:
            codings = [
                t.strip().lower() for v in request.header("Transfer-Encoding") for t in v.split(",")
            ]
            if codings != ["chunked"]:
                raise _Refused(HTTPStatus.BAD_REQUEST, f"unsupported Transfer-Encoding {codings!r}")
            if length is not None:  # a request-smuggling shape (RFC 9112 6.1)
                raise _Refused(HTTPStatus.BAD_REQUEST, "both Transfer-Encoding and Content-Length")
        if length is not None and length > limit:
            raise _Refused(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"body of {length} bytes exceeds the {limit}-byte limit",
                drain=None if "100-continue" in _lower(request.header("Expect")) else length,
            )
        if "100-continue" in _lower(request.header("Expect")) and (chunked or length):
            self.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        try:
            request.body = await asyncio.wait_for(
                self._read_chunked(limit) if chunked else self._read_exactly(length or 0),
                self.receiver.body_timeout,
            )
        except TimeoutError:
            raise _Refused(
                HTTPStatus.REQUEST_TIMEOUT,
                f"body not complete within {self.receiver.body_timeout:g} s",
            ) from None
        if request.method == "POST" and not chunked and length is None:
            raise _Refused(
                HTTPStatus.BAD_REQUEST,
                "no body: neither Content-Length nor chunked Transfer-Encoding",
            )
        return request

    async def _read_exactly(self, length: int) -> bytes:
        try:
            return await self.reader.readexactly(length)
        except asyncio.IncompleteReadError as exc:
            raise _Refused(
                HTTPStatus.BAD_REQUEST, f"body ended after {len(exc.partial)} of {length} bytes"
            ) from None

    async def _read_chunked(self, limit: int) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = await self._line("malformed chunk size line")
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise _Refused(
                    HTTPStatus.BAD_REQUEST, f"malformed chunk size {size_text[:20]!r}"
                ) from None
            if size == 0:
                break
            total += size
            if total > limit:
                raise _Refused(
                    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                    f"chunked body exceeds the {limit}-byte limit",
                )
            try:
                chunk = await self.reader.readexactly(size + 2)
            except asyncio.IncompleteReadError:
                raise _Refused(HTTPStatus.BAD_REQUEST, "truncated chunk") from None
            if not chunk.endswith(b"\r\n"):
                raise _Refused(HTTPStatus.BAD_REQUEST, "truncated chunk")
            parts.append(chunk[:-2])
        while await self._line("malformed chunk trailer") not in (b"", b"\r\n", b"\n"):
            pass  # trailers, up to the blank line
        return b"".join(parts)

    async def _line(self, error: str) -> bytes:
        try:
            line = await self.reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                raise _Refused(HTTPStatus.BAD_REQUEST, error) from None
            return b""
        except asyncio.LimitOverrunError:
            raise _Refused(HTTPStatus.BAD_REQUEST, error) from None
        if len(line) > _MAX_CHUNK_LINE:
            raise _Refused(HTTPStatus.BAD_REQUEST, error)
        return line

    async def _answer_request(self, request: _Request, now: datetime, mono: float) -> bool:
        """Answer a completely read request; whether the connection stays open."""
        keep = request.keep_alive()
        if request.method != "POST":
            status, error, delivery = (
                HTTPStatus.METHOD_NOT_ALLOWED, f"method {request.method} not allowed", None,
            )  # fmt: skip
        else:
            try:
                delivery = parse_payload(request.body, received_at=now, received_monotonic=mono)
                status, error = HTTPStatus.OK, ""
            except PayloadError as err:
                status, error, delivery = HTTPStatus.BAD_REQUEST, str(err), None
        self.receiver._record(
            ReceivedRequest(
                method=request.method,
                path=request.path,
                status=int(status),
                headers=request.headers,
                body=request.body,
                received_at=now,
                received_monotonic=mono,
                client=self.client,
                error=error,
                delivery=delivery,
            )
        )
        await self._send(status, error or "ok", keep=keep, head_only=request.method == "HEAD")
        return keep

    async def _refuse(
        self, refused: _Refused, request: _Request, now: datetime, mono: float
    ) -> None:
        self.receiver._record(
            ReceivedRequest(
                method=request.method,
                path=request.path,
                status=int(refused.status),
                headers=request.headers,
                body=b"",
                received_at=now,
                received_monotonic=mono,
                client=self.client,
                error=str(refused),
            )
        )
        with contextlib.suppress(ConnectionError, TimeoutError):
            if refused.drain:
                await asyncio.wait_for(self._drain(refused.drain), _DRAIN_SECONDS)
        with contextlib.suppress(ConnectionError, TimeoutError):
            await self._send(refused.status, str(refused), keep=False, head_only=False)

    async def _drain(self, length: int) -> None:
        # Closing a socket with unread data makes the kernel send RST, and a client still
        # writing the body would see "connection reset" instead of the answer. Read and drop
        # a bounded amount, briefly, so the answer reaches it.
        length = min(length, _DRAIN_LIMIT)
        while length > 0:
            chunk = await self.reader.read(min(length, 65536))
            if not chunk:
                return
            length -= len(chunk)

    async def _send(self, status: HTTPStatus, text: str, *, keep: bool, head_only: bool) -> None:
        body = text.encode("utf-8", "replace") + b"\n"
        head = [
            f"HTTP/1.1 {int(status)} {status.phrase}",
            "Server: pytest-botkube-receiver",
            "Content-Type: text/plain; charset=utf-8",
            f"Content-Length: {len(body)}",
            f"{IDENTITY_HEADER}: {self.receiver.identity}",
        ]
        if status == HTTPStatus.METHOD_NOT_ALLOWED:
            head.append("Allow: POST")
        if not keep:
            head.append("Connection: close")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        if not head_only:
            self.writer.write(body)
        await asyncio.wait_for(self.writer.drain(), self.receiver.body_timeout)


def _lower(values: list[str]) -> str:
    return ",".join(values).lower()


class WebhookReceiver:
    """Records what BotKube's webhook sink POSTs; thread-safe; waits wake on each arrival.

    ``on_request`` (optional) is called with every request as it is kept, from the receiver's
    thread: ``botkube-repro receive`` prints with it. It must be quick and must not raise.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        body_limit: int = DEFAULT_BODY_LIMIT,
        header_timeout: float = DEFAULT_HEADER_TIMEOUT,
        body_timeout: float = DEFAULT_BODY_TIMEOUT,
        on_request: Callable[[ReceivedRequest], None] | None = None,
    ) -> None:
        if body_limit < 0:
            raise ValueError(f"body_limit must be >= 0, got {body_limit}")
        if header_timeout <= 0 or body_timeout <= 0:
            raise ValueError("header_timeout and body_timeout must be > 0")
        self.host = host
        self.port = port
        self.body_limit = body_limit
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.on_request = on_request
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._requests: list[ReceivedRequest] = []
        self._version = 0  # bumped on every record and reset; waits sleep until it moves
        self._handler_errors: list[str] = []
        self.identity = secrets.token_hex(8)  # IDENTITY_HEADER's value: this receiver only

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> Self:
        """Bind and serve in a background thread; the bound port is in ``.port``/``.url``.
        A bind failure (address in use, not on this machine) raises OSError here."""
        if self._loop is not None:
            raise RuntimeError(f"receiver already running at {self.url}")
        loop = asyncio.new_event_loop()
        started = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            asyncio.set_event_loop(loop)
            try:
                self._server = loop.run_until_complete(self._listen())
            except BaseException as exc:  # reported to start()'s caller
                failure.append(exc)
                started.set()
                loop.close()
                return
            started.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self._close_all())
                loop.close()

        thread = threading.Thread(target=serve, name="webhook-receiver", daemon=True)
        thread.start()
        started.wait()
        if failure:
            thread.join()
            raise failure[0]
        self._loop, self._thread = loop, thread
        return self

    async def _listen(self) -> asyncio.Server:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        server = await asyncio.start_server(
            self._serve,
            self.host,
            self.port,
            family=family,
            backlog=BACKLOG,
            limit=MAX_HEADER_BYTES,
            reuse_address=True,
        )
        self.port = int(server.sockets[0].getsockname()[1])
        return server

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        sock = writer.get_extra_info("socket")
        if sock is not None:  # headers and body go out in one write, but be sure: no Nagle delay
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await _Connection(self, reader, writer).serve()
        except (ConnectionError, TimeoutError, asyncio.CancelledError):
            pass  # a client gone mid-request, or the receiver stopping
        except Exception as exc:  # a bug: keep it visible to tests, answer nothing more
            self._note_handler_error(f"{type(exc).__name__}: {exc}")
        finally:
            self._tasks.discard(task)
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(Exception):  # a peer that reads nothing must not hold it
                await asyncio.wait_for(writer.wait_closed(), _DRAIN_SECONDS)
            if not writer.transport.is_closing():
                writer.transport.abort()

    async def _close_all(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()  # no new connections; wait_closed() waits for the open ones
        for writer in list(self._writers):  # idle keep-alive connections too: stop() must not
            writer.transport.abort()  # wait for them, nor for a peer that reads nothing
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if server is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.wait_closed(), _DRAIN_SECONDS)

    def stop(self) -> None:
        """Stop accepting, close open keep-alive connections, join the thread. Idempotent."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self._loop = self._thread = None
        loop.call_soon_threadsafe(loop.stop)
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
        return self._loop is not None

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
        if self.on_request is not None:
            try:
                self.on_request(request)
            except Exception as exc:  # the callback's bug must not take the receiver down
                self._note_handler_error(f"on_request: {type(exc).__name__}: {exc}")

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
        lines = [f"{count(len(accepted), 'delivery')}, {count(len(refused), 'rejected request')}"]
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
