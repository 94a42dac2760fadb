"""The webhook receiver over real loopback sockets: answers, records, waits, lifecycle."""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from doubles.webhook_samples import HPA_CREATE, HPA_METRIC_ERROR

from pytest_botkube.live.receiver import DEFAULT_BODY_LIMIT, WebhookReceiver
from pytest_botkube.live.wait import QuietWindowBroken, WaitTimeout
from pytest_botkube.readers.payload import Delivery, encode_payload


@pytest.fixture(scope="module")
def server() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def receiver(server: WebhookReceiver) -> Iterator[WebhookReceiver]:
    server.reset()
    yield server
    assert server.handler_errors() == [], "a request handler raised"


def _connection(receiver: WebhookReceiver) -> http.client.HTTPConnection:
    parts = urlsplit(receiver.url)
    assert parts.hostname is not None
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)


def post(receiver: WebhookReceiver, body: bytes) -> tuple[int, bytes]:
    """POST like Go's http.Client does: JSON content type, explicit Content-Length."""
    request = urllib.request.Request(
        receiver.url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.read()


def request(
    receiver: WebhookReceiver, method: str, body: bytes | None = None
) -> http.client.HTTPResponse:
    connection = _connection(receiver)
    connection.request(method, "/", body=body)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_valid_payloads_get_200_and_are_kept_in_order(receiver: WebhookReceiver) -> None:
    assert post(receiver, HPA_CREATE) == (200, b"ok\n")
    assert post(receiver, HPA_METRIC_ERROR)[0] == 200
    deliveries = receiver.deliveries()
    assert [d.type for d in deliveries] == ["create", "error"]
    assert deliveries[0].sources == ("k8s-hpa",)
    assert deliveries[1].reason == "FailedGetResourceMetric"
    assert receiver.rejected() == []
    (first, second) = receiver.requests()
    assert first.method == "POST"
    assert first.status == 200
    assert first.body == HPA_CREATE
    assert ("Content-Type", "application/json") in first.headers
    assert first.client == "127.0.0.1"
    assert first.received_monotonic <= second.received_monotonic
    assert first.received_at.tzinfo is not None
    assert deliveries[0].received_at == first.received_at


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b'{"source": "k8s-hpa", "data": ', "webhook payload: not JSON"),
        (b"[]", "webhook payload: expected a JSON object, got a list"),
        (b'{"timeStamp": "", "data": {"Count": "many"}}', "data.Count: expected a number"),
        (b"{}", "not BotKube's: no timeStamp"),
        (b'{"hello": "world"}', "not BotKube's: unknown key 'hello'"),
    ],
)
def test_malformed_or_wrong_shape_gets_400_and_is_kept(
    receiver: WebhookReceiver, body: bytes, error: str
) -> None:
    status, answer = post(receiver, body)
    assert status == 400
    assert error in answer.decode()
    assert receiver.deliveries() == []
    (rejected,) = receiver.rejected()
    assert rejected.status == 400
    assert rejected.body == body
    assert error in rejected.error
    assert rejected.delivery is None


def test_oversized_body_gets_413_without_being_kept(receiver: WebhookReceiver) -> None:
    body = b'{"source": "' + b"x" * DEFAULT_BODY_LIMIT + b'"}'
    status, answer = post(receiver, body)
    assert status == 413
    assert b"exceeds the 1048576-byte limit" in answer
    (rejected,) = receiver.rejected()
    assert rejected.status == 413
    assert rejected.body == b""
    # the receiver still works afterwards
    assert post(receiver, HPA_CREATE)[0] == 200


def test_body_exactly_at_the_limit_is_accepted() -> None:
    body = HPA_CREATE
    with WebhookReceiver(body_limit=len(body)) as receiver:
        assert post(receiver, body)[0] == 200
    with WebhookReceiver(body_limit=len(body) - 1) as receiver:
        assert post(receiver, body)[0] == 413


def test_oversize_with_expect_100_continue_is_refused_before_the_body() -> None:
    with WebhookReceiver(body_limit=10) as receiver:
        parts = urlsplit(receiver.url)
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
            sock.sendall(
                b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
                b"Expect: 100-continue\r\n\r\n"
            )
            answer = sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 413 ")
        assert receiver.rejected()[0].status == 413


def _chunked(body: bytes, size: int = 7) -> bytes:
    chunks = [body[i : i + size] for i in range(0, len(body), size)]
    encoded = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
    return encoded + b"0\r\n\r\n"


def _raw(receiver: WebhookReceiver, data: bytes) -> bytes:
    parts = urlsplit(receiver.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_chunked_body_is_read(receiver: WebhookReceiver) -> None:
    head = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    answer = _raw(receiver, head + _chunked(HPA_METRIC_ERROR))
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert receiver.deliveries()[0].reason == "FailedGetResourceMetric"


def test_chunked_body_over_the_limit_gets_413() -> None:
    with WebhookReceiver(body_limit=100) as receiver:
        head = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        answer = _raw(receiver, head + _chunked(b"x" * 101, size=50))
        assert answer.startswith(b"HTTP/1.1 413 ")
        assert b"Connection: close" in answer


@pytest.mark.parametrize(
    ("head", "error"),
    [
        (b"POST / HTTP/1.1\r\nHost: x\r\n\r\n", "no body"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", "invalid Content-Length"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", "invalid Content-Length"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{}", "body ended after 2"),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "malformed chunk size",
        ),
    ],
)
def test_missing_or_broken_length_gets_400(
    receiver: WebhookReceiver, head: bytes, error: str
) -> None:
    answer = _raw(receiver, head)
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    (rejected,) = receiver.rejected()
    assert error in rejected.error


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "PURGE"])
def test_other_methods_get_405_with_allow(receiver: WebhookReceiver, method: str) -> None:
    body = HPA_CREATE if method in {"PUT", "PATCH"} else None
    response = request(receiver, method, body)
    assert response.status == 405
    assert response.getheader("Allow") == "POST"
    (rejected,) = receiver.rejected()
    assert rejected.method == method
    assert rejected.status == 405
    assert rejected.body == (body or b"")
    assert receiver.deliveries() == []


def test_keep_alive_connection_serves_several_posts(receiver: WebhookReceiver) -> None:
    connection = _connection(receiver)
    try:
        for body in (HPA_CREATE, b"nope", HPA_METRIC_ERROR):
            connection.request("POST", "/hook", body=body)
            response = connection.getresponse()
            response.read()
            assert response.status == (400 if body == b"nope" else 200)
    finally:
        connection.close()
    assert [r.status for r in receiver.requests()] == [200, 400, 200]
    assert {r.path for r in receiver.requests()} == {"/hook"}


def test_concurrent_senders_lose_nothing(receiver: WebhookReceiver) -> None:
    senders, posts = 20, 50
    failures: list[str] = []

    def send(sender: int) -> None:
        connection = _connection(receiver)
        try:
            for index in range(posts):
                body = encode_payload(
                    Delivery(sources=(f"s{sender}",), type="update", name=f"obj-{index}")
                )
                connection.request("POST", "/", body=body)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    failures.append(f"{sender}/{index}: {response.status}")
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    deliveries = receiver.deliveries()
    assert len(deliveries) == senders * posts
    assert {(d.sources[0], d.name) for d in deliveries} == {
        (f"s{s}", f"obj-{i}") for s in range(senders) for i in range(posts)
    }
    # per sender, arrival order is the send order
    for sender in range(senders):
        names = [d.name for d in deliveries if d.sources == (f"s{sender}",)]
        assert names == [f"obj-{i}" for i in range(posts)]


def test_wait_for_returns_a_delivery_that_arrives_later(receiver: WebhookReceiver) -> None:
    post(receiver, HPA_CREATE)
    timer = threading.Timer(0.2, post, args=(receiver, HPA_METRIC_ERROR))
    timer.start()
    start = time.monotonic()
    delivery = receiver.wait_for(10, type="error", reason="FailedGetResourceMetric", name="web")
    elapsed = time.monotonic() - start
    timer.join()
    assert delivery.count == 3  # the sample core Event has count 3
    assert delivery.messages[0].startswith("failed to get cpu utilization")
    # woken by the arrival, not by the 1 s polling interval
    assert elapsed < 0.9


def test_wait_for_returns_an_earlier_delivery_at_once(receiver: WebhookReceiver) -> None:
    post(receiver, HPA_CREATE)
    assert receiver.wait_for(0, type="create", source="k8s-hpa").name == "web"


def test_wait_for_timeout_lists_what_arrived(receiver: WebhookReceiver) -> None:
    post(receiver, HPA_CREATE)
    post(receiver, b"garbage")
    with pytest.raises(WaitTimeout) as info:
        receiver.wait_for(0.2, type="delete", name="web")
    message = str(info.value)
    assert "timed out after 0.2s" in message
    assert f"waiting for a delivery with type='delete', name='web' at {receiver.url}" in message
    assert "1 delivery, 1 rejected request" in message
    assert "[k8s-hpa] create HorizontalPodAutoscaler demo/web" in message
    assert "POST / -> 400: webhook payload: not JSON" in message


def test_wait_for_rejects_unknown_fields_before_waiting(receiver: WebhookReceiver) -> None:
    start = time.monotonic()
    with pytest.raises(TypeError, match="unknown delivery field"):
        receiver.wait_for(30, typ="create")
    assert time.monotonic() - start < 1


def test_assert_none_passes_on_a_quiet_window(receiver: WebhookReceiver) -> None:
    post(receiver, HPA_CREATE)
    start = time.monotonic()
    receiver.assert_none(0.3, type="error")
    assert time.monotonic() - start >= 0.3


def test_assert_none_fails_when_a_match_arrives(receiver: WebhookReceiver) -> None:
    timer = threading.Timer(0.1, post, args=(receiver, HPA_METRIC_ERROR))
    timer.start()
    start = time.monotonic()
    with pytest.raises(QuietWindowBroken) as info:
        receiver.assert_none(10, type="error")
    timer.join()
    assert time.monotonic() - start < 2  # fails when it arrives, not at the window's end
    message = str(info.value)
    assert message.startswith("a delivery with type='error' happened ")
    assert "reason=FailedGetResourceMetric" in message
    assert "1 delivery, 0 rejected requests" in message


def test_assert_none_counts_deliveries_from_before_the_call(receiver: WebhookReceiver) -> None:
    post(receiver, HPA_CREATE)
    with pytest.raises(QuietWindowBroken):
        receiver.assert_none(5, type="create")


def test_predicate_waits_see_the_raw_body(receiver: WebhookReceiver) -> None:
    timer = threading.Timer(0.1, post, args=(receiver, HPA_METRIC_ERROR))
    timer.start()
    delivery = receiver.wait_for_match(
        lambda d: d.raw["data"]["Reason"] == "FailedGetResourceMetric", 10, what="a metric error"
    )
    timer.join()
    assert delivery.reason == "FailedGetResourceMetric"
    receiver.assert_no_match(lambda d: d.raw["data"]["Type"] == "delete", 0.05, what="a delete")
    with pytest.raises(QuietWindowBroken, match=r"^a metric error happened "):
        receiver.assert_no_match(lambda d: d.type == "error", 5, what="a metric error")
    with pytest.raises(WaitTimeout, match=r"waiting for a delete at http://127\.0\.0\.1:"):
        receiver.wait_for_match(lambda d: d.type == "delete", 0.05, what="a delete")


def test_reset_forgets_everything(receiver: WebhookReceiver) -> None:
    post(receiver, HPA_CREATE)
    post(receiver, b"x")
    receiver.reset()
    assert receiver.requests() == []
    assert receiver.deliveries() == []
    assert receiver.rejected() == []
    with pytest.raises(WaitTimeout, match="no requests received"):
        receiver.wait_for(0.05, type="create")


def test_stop_frees_the_port_and_is_idempotent() -> None:
    receiver = WebhookReceiver().start()
    port = receiver.port
    assert port != 0
    # an idle keep-alive connection must not block stop()
    idle = _connection(receiver)
    idle.request("POST", "/", body=HPA_CREATE)
    idle.getresponse().read()
    start = time.monotonic()
    receiver.stop()
    assert time.monotonic() - start < 2
    receiver.stop()
    assert not receiver.running
    idle.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    # the same port can be bound again at once
    with WebhookReceiver(port=port) as again:
        assert again.port == port
        assert post(again, HPA_CREATE)[0] == 200
    # records survive stop(), so a failed test can still report them
    assert len(receiver.deliveries()) == 1


def test_start_twice_is_an_error() -> None:
    with WebhookReceiver() as receiver, pytest.raises(RuntimeError, match="already running"):
        receiver.start()


def test_url_needs_a_running_receiver() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        _ = WebhookReceiver().url


def test_binds_to_the_given_address() -> None:
    with WebhookReceiver(host="127.0.0.2") as receiver:
        assert receiver.url == f"http://127.0.0.2:{receiver.port}/"
        assert post(receiver, HPA_CREATE)[0] == 200
        # not listening on the other loopback address
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", receiver.port), timeout=5).close()


def test_wildcard_bind_only_when_asked() -> None:
    assert WebhookReceiver().host == "127.0.0.1"
    with WebhookReceiver(host="0.0.0.0") as receiver:
        assert receiver.url == f"http://127.0.0.1:{receiver.port}/"
        assert receiver.url_for("172.18.0.1") == f"http://172.18.0.1:{receiver.port}/"
        assert post(receiver, HPA_CREATE)[0] == 200


def test_ipv6_loopback() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        receiver = WebhookReceiver(host="::1").start()
    except OSError as err:
        pytest.skip(f"cannot bind ::1: {err}")
    try:
        assert receiver.url == f"http://[::1]:{receiver.port}/"
        assert post(receiver, HPA_CREATE)[0] == 200
        assert receiver.requests()[0].client == "::1"
    finally:
        receiver.stop()


def test_quiet_no_request_log(capfd: pytest.CaptureFixture[str], receiver: WebhookReceiver) -> None:
    post(receiver, HPA_CREATE)
    post(receiver, b"bad")
    request(receiver, "GET")
    _raw(receiver, b"NOT HTTP AT ALL\r\n\r\n")
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out == ""
    assert [r.status for r in receiver.requests()] == [200, 400, 405, 400]


def test_unparsable_request_is_kept(receiver: WebhookReceiver) -> None:
    answer = _raw(receiver, b"NOT HTTP AT ALL\r\n\r\n")
    # a plain-text HTTP/1.1 answer, not http.server's HTML page
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Content-Type: text/plain; charset=utf-8" in answer
    assert answer.endswith(b"\r\n\r\nmalformed request line\n")
    (rejected,) = receiver.rejected()
    assert rejected.status == 400
    assert rejected.error == "malformed request line"
