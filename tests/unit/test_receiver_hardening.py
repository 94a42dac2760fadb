"""The receiver under load and abuse, over real loopback sockets, each case bounded in time:
a burst of concurrent connections, clients that never finish, conflicting lengths."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import pytest
from doubles.webhook_samples import HPA_CREATE

from pytest_botkube.live.receiver import WebhookReceiver
from pytest_botkube.readers.payload import Delivery, encode_payload


@pytest.fixture
def quick() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(header_timeout=0.5, body_timeout=0.5) as receiver:
        yield receiver
        assert receiver.handler_errors() == []


def _post_bytes(body: bytes, extra: bytes = b"") -> bytes:
    return (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + extra
        + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
        + body
    )


def _exchange(receiver: WebhookReceiver, data: bytes, timeout: float = 5) -> bytes:
    with socket.create_connection(("127.0.0.1", receiver.port), timeout=timeout) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


async def _burst(port: int, n: int) -> list[bytes]:
    gate = asyncio.Event()

    async def one(index: int) -> bytes:
        body = encode_payload(Delivery(sources=("burst",), type="create", name=f"p{index}"))
        await gate.wait()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(_post_bytes(body))
        await writer.drain()
        line = await reader.readline()
        writer.close()
        return line

    tasks = [asyncio.ensure_future(one(i)) for i in range(n)]
    await asyncio.sleep(0.05)
    gate.set()
    return await asyncio.wait_for(asyncio.gather(*tasks), 60)


def test_a_burst_of_1000_concurrent_connections_loses_nothing():
    with WebhookReceiver() as receiver:
        threads_before = threading.active_count()
        answers = asyncio.run(_burst(receiver.port, 1000))
        assert threading.active_count() <= threads_before  # no thread per connection
        assert [a.split(b" ")[1] for a in answers] == [b"200"] * 1000
        names = {d.name for d in receiver.deliveries()}
    assert names == {f"p{i}" for i in range(1000)}


@pytest.mark.parametrize(
    ("extra", "status", "error"),
    [
        (b"Content-Length: 3\r\n", b"400", "conflicting Content-Length headers"),
        (b"Transfer-Encoding: chunked\r\n", b"400", "both Transfer-Encoding and Content-Length"),
        (b"Content-Length: 9, 9\r\n", b"400", "conflicting Content-Length headers"),
    ],
)
def test_conflicting_lengths_get_400(
    quick: WebhookReceiver, extra: bytes, status: bytes, error: str
):
    answer = _exchange(quick, _post_bytes(HPA_CREATE, extra))
    assert answer.split(b" ")[1] == status, answer
    (rejected,) = quick.rejected()
    assert rejected.error == error
    assert quick.deliveries() == []


def test_a_repeated_identical_content_length_is_one_length(quick: WebhookReceiver):
    extra = b"Content-Length: %d\r\n" % len(HPA_CREATE)
    assert _exchange(quick, _post_bytes(HPA_CREATE, extra)).startswith(b"HTTP/1.1 200 ")


def test_a_body_shorter_than_its_length_is_answered_408_and_kept(quick: WebhookReceiver):
    with socket.create_connection(("127.0.0.1", quick.port), timeout=5) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{}")
        answer = sock.recv(4096)  # the client keeps the connection open, sending nothing
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    (rejected,) = quick.rejected()
    assert rejected.status == 408
    assert rejected.error == "body not complete within 0.5 s"


def test_slow_clients_hold_no_thread_and_do_not_delay_a_delivery():
    """200 clients that never finish their headers: each is cut at the header deadline, and a
    real delivery sent meanwhile is answered before any of them is (not queued behind them)."""
    with WebhookReceiver(header_timeout=2.0) as receiver:
        _slow_clients(receiver)


def _slow_clients(quick: WebhookReceiver) -> None:
    threads_before = threading.active_count()
    slow = [socket.create_connection(("127.0.0.1", quick.port), timeout=10) for _ in range(200)]
    try:
        for sock in slow:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")  # and never the end of the headers
        assert threading.active_count() <= threads_before
        assert _exchange(quick, _post_bytes(HPA_CREATE)).startswith(b"HTTP/1.1 200 ")
        for sock in slow:
            assert sock.recv(4096).startswith(b"HTTP/1.1 408 ")
    finally:
        for sock in slow:
            sock.close()
    statuses = [r.status for r in quick.requests()]
    assert statuses == [200] + [408] * 200  # the delivery first: it waited for none of them
    assert {r.error for r in quick.rejected()} == {"headers not complete within 2 s"}


def test_headers_over_the_limit_get_431(quick: WebhookReceiver):
    answer = _exchange(quick, b"POST / HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 431 ")


def test_idle_keep_alive_connection_costs_no_thread():
    with WebhookReceiver() as receiver:
        before = threading.active_count()
        idle = []
        for _ in range(50):
            sock = socket.create_connection(("127.0.0.1", receiver.port), timeout=5)
            body = encode_payload(Delivery(type="create"))
            sock.sendall(
                b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            assert sock.recv(4096).startswith(b"HTTP/1.1 200 ")
            idle.append(sock)  # kept open, idle, as Go's client keeps its connections
        assert threading.active_count() <= before
        for sock in idle:
            sock.close()
        assert len(receiver.deliveries()) == 50
