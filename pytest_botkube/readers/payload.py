"""BotKube's webhook body -> a typed ``Delivery`` (pure; no I/O).

Upstream (pkg/sink/webhook.go, identical in v1.13.0 and v1.14.0) POSTs
``{"source": ..., "data": ..., "timeStamp": ...}``: ``source`` is the source aliases joined
with ``,`` (omitted when empty; the dispatcher passes one alias per delivery), ``data`` is the
kubernetes plugin's event struct with Go field names as keys (omitted when nil), and the
top-level ``timeStamp`` is never set (Go's zero time). The event crosses the plugin's gRPC
boundary as JSON into an ``any``, so on the wire ``data`` keys come sorted and numbers are
floats in Go; ``Messages``/``Recommendations``/``Warnings`` are ``null`` when empty.

Parsing is strict about the types of the fields it knows and tolerant of everything else
(missing fields, ``null``, unknown keys such as an automated action's message), because
answering anything but 200 makes BotKube count a failed send that it never retries.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pytest_botkube.errors import BadInput
from pytest_botkube.text import shown

__all__ = [
    "MATCH_FIELDS",
    "Delivery",
    "PayloadError",
    "delivery_from_body",
    "encode_payload",
    "parse_payload",
]


class PayloadError(BadInput):
    """The body is not a BotKube webhook payload; the message says where in one line."""


# data key (Go field name) -> Delivery attribute, for the string fields
_STRING_FIELDS = {
    "APIVersion": "api_version",
    "Kind": "kind",
    "Title": "title",
    "Name": "name",
    "Namespace": "namespace",
    "Type": "type",
    "Reason": "reason",
    "Level": "level",
    "Cluster": "cluster",
    "TimeStamp": "timestamp",
    "Action": "action",
    "Resource": "resource",
}
_LIST_FIELDS = {
    "Messages": "messages",
    "Recommendations": "recommendations",
    "Warnings": "warnings",
}

#: Field names accepted by :meth:`Delivery.matches`.
MATCH_FIELDS = frozenset(
    {*_STRING_FIELDS.values(), *_LIST_FIELDS.values(), "count", "source", "message"}
)


@dataclass(frozen=True)
class Delivery:
    """One event BotKube's webhook sink delivered."""

    sources: tuple[str, ...] = ()
    type: str = ""  # create | update | delete | error (lower case, as BotKube sends it)
    title: str = ""
    kind: str = ""
    api_version: str = ""
    name: str = ""
    namespace: str = ""
    reason: str = ""
    messages: tuple[str, ...] = ()
    level: str = ""
    cluster: str = ""
    resource: str = ""  # e.g. "autoscaling/v2/horizontalpodautoscalers"
    count: int = 0
    action: str = ""
    timestamp: str = ""  # data.TimeStamp as sent (RFC 3339)
    recommendations: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    received_at: datetime | None = field(default=None, compare=False)  # wall clock
    received_monotonic: float | None = field(default=None, compare=False, repr=False)

    def matches(self, **fields: object) -> bool:
        """Case-sensitive exact match on every named field.

        ``source=`` matches membership in ``sources``, ``message=`` membership in ``messages``;
        ``messages=`` (and the other list fields) compare the whole tuple. An unknown field name
        is a TypeError, so a typo in a test cannot silently match nothing.
        """
        check_match_fields(fields)
        for key, expected in fields.items():
            if key == "source":
                if expected not in self.sources:
                    return False
            elif key == "message":
                if expected not in self.messages:
                    return False
            elif key in _LIST_FIELDS.values():
                if not isinstance(expected, tuple | list) or tuple(expected) != getattr(self, key):
                    return False
            elif getattr(self, key) != expected:
                return False
        return True

    def describe(self) -> str:
        """One compact line for failure messages and reports."""
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        parts = [f"[{','.join(self.sources) or '-'}]", self.type or "?", self.kind or "?", where]
        if self.reason:
            parts.append(f"reason={self.reason}")
        if self.count > 1:
            parts.append(f"count={self.count}")
        return " ".join(parts)


def check_match_fields(fields: Mapping[str, object]) -> None:
    """Raise TypeError naming any field :meth:`Delivery.matches` does not know."""
    unknown = sorted(set(fields) - MATCH_FIELDS)
    if unknown:
        known = ", ".join(sorted(MATCH_FIELDS))
        raise TypeError(f"unknown delivery field(s) {', '.join(unknown)}; known: {known}")


def _string(value: object, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PayloadError(f"webhook payload: {where}: expected a string, got {_kind(value)}")
    return value


def _strings(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise PayloadError(
            f"webhook payload: {where}: expected a list of strings, got {_kind(value)}"
        )
    return tuple(_string(item, f"{where}[{index}]") for index, item in enumerate(value))


def _count(value: object, where: str) -> int:
    if value is None:
        return 0
    # Go re-marshals the count through float64, so 3 may arrive as 3 or 3.0; bool is not a count.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError(f"webhook payload: {where}: expected a number, got {_kind(value)}")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise PayloadError(f"webhook payload: {where}: expected a whole number, got {value!r}")
    return int(value)


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    return names.get(type(value), "a number" if isinstance(value, int | float) else "null")


def parse_payload(
    body: bytes,
    *,
    received_at: datetime | None = None,
    received_monotonic: float | None = None,
) -> Delivery:
    """Parse one webhook body; raise :class:`PayloadError` if it is not BotKube's shape."""
    try:
        decoded = json.loads(body)
    except (ValueError, RecursionError) as err:
        # JSONDecodeError and UnicodeDecodeError are ValueErrors; keep only the first line.
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise PayloadError(f"webhook payload: not JSON: {reason}") from None
    return delivery_from_body(
        decoded, received_at=received_at, received_monotonic=received_monotonic
    )


def delivery_from_body(
    decoded: object,
    *,
    received_at: datetime | None = None,
    received_monotonic: float | None = None,
) -> Delivery:
    """An already-decoded body (``{"source": ..., "data": {...}}``) as a Delivery; raise
    :class:`PayloadError` if it is not BotKube's shape."""
    if not isinstance(decoded, dict):
        raise PayloadError(f"webhook payload: expected a JSON object, got {_kind(decoded)}")
    # pkg/sink/webhook.go's WebhookPayload has exactly these keys, and always sends timeStamp
    # (a time.Time is never omitted): anything else is some other client, not BotKube.
    unknown = sorted(set(decoded) - _TOP_KEYS)
    if unknown:
        raise PayloadError(
            f"webhook payload: not BotKube's: unknown key {shown(unknown[0])} "
            "(BotKube sends source, data, timeStamp)"
        )
    if "timeStamp" not in decoded:
        raise PayloadError("webhook payload: not BotKube's: no timeStamp (BotKube always sends it)")
    source = _string(decoded.get("source"), "source")
    data = decoded.get("data")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PayloadError(f"webhook payload: data: expected an object, got {_kind(data)}")
    _string(decoded.get("timeStamp"), "timeStamp")
    values: dict[str, Any] = {
        attr: _string(data.get(key), f"data.{key}") for key, attr in _STRING_FIELDS.items()
    }
    values.update(
        {attr: _strings(data.get(key), f"data.{key}") for key, attr in _LIST_FIELDS.items()}
    )
    return Delivery(
        sources=tuple(source.split(",")) if source else (),
        count=_count(data.get("Count"), "data.Count"),
        raw=decoded,
        received_at=received_at,
        received_monotonic=received_monotonic,
        **values,
    )


_GO_ZERO_TIME = "0001-01-01T00:00:00Z"
_TOP_KEYS = frozenset({"source", "data", "timeStamp"})


def encode_payload(delivery: Delivery) -> bytes:
    """The body BotKube would POST for ``delivery``: for stand-ins and benchmarks.

    Mirrors the wire shape described in the module docstring: ``source`` omitted when empty,
    ``data`` keys sorted, empty lists as ``null``, the top-level ``timeStamp`` Go's zero time.
    """
    data: dict[str, Any] = {key: getattr(delivery, attr) for key, attr in _STRING_FIELDS.items()}
    for key, attr in _LIST_FIELDS.items():
        items = getattr(delivery, attr)
        data[key] = list(items) if items else None
    data["Count"] = delivery.count
    body: dict[str, Any] = {}
    if delivery.sources:
        body["source"] = ",".join(delivery.sources)
    body["data"] = dict(sorted(data.items()))
    body["timeStamp"] = _GO_ZERO_TIME
    return json.dumps(body, separators=(",", ":")).encode()
