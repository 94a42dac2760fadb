"""Webhook payload parsing: BotKube's wire shape, tolerance, one-line errors, matching."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from doubles.webhook_samples import HPA_CREATE, HPA_METRIC_ERROR

from pytest_botkube.errors import BadInput
from pytest_botkube.readers.payload import (
    Delivery,
    PayloadError,
    encode_payload,
    parse_payload,
)

TS = b'{"timeStamp": "0001-01-01T00:00:00Z", '  # BotKube always sends it


def test_parses_an_hpa_create_event() -> None:
    delivery = parse_payload(HPA_CREATE)
    assert delivery.sources == ("k8s-hpa",)
    assert delivery.type == "create"
    assert delivery.title == "autoscaling/v2/horizontalpodautoscalers created"
    assert (delivery.kind, delivery.name, delivery.namespace) == (
        "HorizontalPodAutoscaler",
        "web",
        "demo",
    )
    assert delivery.api_version == "autoscaling/v2"
    assert delivery.resource == "autoscaling/v2/horizontalpodautoscalers"
    assert delivery.reason == ""
    assert delivery.messages == ()
    assert delivery.level == "success"
    assert delivery.cluster == "botkube-repro"
    assert delivery.count == 0
    assert delivery.timestamp == "2026-11-29T00:10:04Z"
    assert delivery.raw["data"]["Kind"] == "HorizontalPodAutoscaler"


def test_parses_a_mapped_warning_event() -> None:
    delivery = parse_payload(HPA_METRIC_ERROR)
    assert delivery.type == "error"
    assert delivery.reason == "FailedGetResourceMetric"
    assert delivery.count == 3
    assert isinstance(delivery.count, int)
    assert delivery.messages[0].startswith("failed to get cpu utilization")
    assert delivery.level == "error"


def test_source_joined_with_commas_is_split() -> None:
    body = json.dumps(
        {"source": "k8s-hpa,k8s-all", "data": {"Type": "create"}, "timeStamp": ""}
    ).encode()
    assert parse_payload(body).sources == ("k8s-hpa", "k8s-all")


def test_tolerates_unknown_and_missing_data_fields() -> None:
    body = json.dumps(
        {"data": {"Type": "update", "Skip": False, "Extra": {"x": 1}}, "timeStamp": ""}
    ).encode()
    delivery = parse_payload(body)
    assert delivery.type == "update"
    assert delivery.sources == ()
    assert delivery.name == ""
    assert delivery.count == 0


@pytest.mark.parametrize(
    "body",
    [b'{"timeStamp": "0001-01-01T00:00:00Z"}', b'{"data": null, "source": null, "timeStamp": ""}'],
)
def test_empty_payload_is_valid(body: bytes) -> None:
    # Go omits an empty source and nil data, never the timeStamp (a time.Time); 200 expected.
    assert parse_payload(body) == Delivery()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{}", "not BotKube's: no timeStamp"),
        (b'{"hello": "world"}', "not BotKube's: unknown key 'hello'"),
        (b'{"source": "a", "data": {}, "text": "x", "timeStamp": ""}', "unknown key 'text'"),
    ],
)
def test_other_json_objects_are_not_botkube_payloads(body: bytes, message: str) -> None:
    """A stray POST (a probe, another tool) must not count as a delivery."""
    with pytest.raises(PayloadError, match=message):
        parse_payload(body)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "webhook payload: not JSON: Expecting value: line 1 column 1 (char 0)"),
        (b'{"source": "a", ', "webhook payload: not JSON: "),
        (b"\xff\xfe\x00garbage", "webhook payload: not JSON: "),
        (b"[1, 2]", "webhook payload: expected a JSON object, got a list"),
        (b'"text"', "webhook payload: expected a JSON object, got a string"),
        (TS + b'"source": 5}', "webhook payload: source: expected a string, got a number"),
        (
            TS + b'"data": "x"}',
            "webhook payload: data: expected an object, got a string",
        ),
        (
            TS + b'"data": {"Name": 1}}',
            "webhook payload: data.Name: expected a string, got a number",
        ),
        (
            TS + b'"data": {"Count": "3"}}',
            "webhook payload: data.Count: expected a number, got a",
        ),
        (
            TS + b'"data": {"Count": true}}',
            "webhook payload: data.Count: expected a number, got a b",
        ),
        (
            TS + b'"data": {"Count": 2.5}}',
            "webhook payload: data.Count: expected a whole number",
        ),
        (
            TS + b'"data": {"Messages": "x"}}',
            "data.Messages: expected a list of strings, got a str",
        ),
        (
            TS + b'"data": {"Messages": ["a", 2]}}',
            "data.Messages[1]: expected a string, got a number",
        ),
        (b'{"timeStamp": 0}', "webhook payload: timeStamp: expected a string, got a number"),
        (b"[" * 100_000 + b"]" * 100_000, "webhook payload: not JSON: "),
    ],
)
def test_malformed_or_wrong_shape_is_one_line_error(body: bytes, message: str) -> None:
    with pytest.raises(PayloadError) as info:
        parse_payload(body)
    text = str(info.value)
    assert message in text
    assert "\n" not in text
    assert isinstance(info.value, BadInput)


def test_receive_times_are_kept_but_not_compared() -> None:
    at = datetime(2026, 11, 29, 0, 10, tzinfo=UTC)
    delivery = parse_payload(HPA_CREATE, received_at=at, received_monotonic=12.5)
    assert delivery.received_at == at
    assert delivery.received_monotonic == 12.5
    assert delivery == parse_payload(HPA_CREATE)
    assert hash(delivery) == hash(parse_payload(HPA_CREATE))


def test_matches_exact_and_case_sensitive() -> None:
    delivery = parse_payload(HPA_METRIC_ERROR)
    assert delivery.matches(type="error", reason="FailedGetResourceMetric", name="web")
    assert delivery.matches()
    assert not delivery.matches(type="Error")
    assert not delivery.matches(reason="FailedGetResourceMetri")
    assert not delivery.matches(type="error", namespace="other")
    assert delivery.matches(count=3)
    assert not delivery.matches(count=1)


def test_matches_source_and_message_by_membership() -> None:
    body = json.dumps(
        {"source": "a,b", "data": {"Messages": ["m1", "m2"]}, "timeStamp": ""}
    ).encode()
    delivery = parse_payload(body)
    assert delivery.matches(source="a")
    assert delivery.matches(source="b")
    assert not delivery.matches(source="a,b")
    assert delivery.matches(message="m2")
    assert not delivery.matches(message="m")
    assert delivery.matches(messages=("m1", "m2"))
    assert delivery.matches(messages=["m1", "m2"])
    assert not delivery.matches(messages=("m1",))
    assert not delivery.matches(messages="m1")


def test_matches_rejects_unknown_fields() -> None:
    with pytest.raises(TypeError, match="unknown delivery field\\(s\\) Reason, nme"):
        parse_payload(HPA_CREATE).matches(nme="web", Reason="x")


def test_describe_is_compact() -> None:
    assert (
        parse_payload(HPA_CREATE).describe() == "[k8s-hpa] create HorizontalPodAutoscaler demo/web"
    )
    assert (
        parse_payload(HPA_METRIC_ERROR).describe()
        == "[k8s-hpa] error HorizontalPodAutoscaler demo/web reason=FailedGetResourceMetric count=3"
    )
    assert Delivery().describe() == "[-] ? ? "


def test_encode_produces_botkubes_wire_shape() -> None:
    delivery = parse_payload(HPA_CREATE)
    encoded = encode_payload(delivery)
    assert json.loads(encoded) == json.loads(HPA_CREATE)
    assert list(json.loads(encoded)["data"]) == sorted(json.loads(HPA_CREATE)["data"])
    assert parse_payload(encoded) == delivery


def test_encode_round_trips_lists_and_omits_empty_source() -> None:
    original = Delivery(type="error", reason="R", messages=("one", "two"), count=2)
    body = json.loads(encode_payload(original))
    assert "source" not in body
    assert body["timeStamp"] == "0001-01-01T00:00:00Z"
    assert body["data"]["Messages"] == ["one", "two"]
    assert body["data"]["Warnings"] is None
    assert parse_payload(encode_payload(original)) == original
