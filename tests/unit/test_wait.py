"""The wait primitive: results, deadlines, last observed state, quiet windows."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from pytest_botkube.live.wait import (
    QuietWindowBroken,
    WaitFailed,
    WaitTimeout,
    hold_for,
    wait_until,
)


def _sequence(*values: object) -> Iterator[object]:
    yield from values
    while True:
        yield values[-1]


def test_returns_the_first_non_none_result() -> None:
    values = _sequence(None, None, 0, 7)
    calls: list[object] = []

    def probe() -> object:
        value = next(values)
        calls.append(value)
        return value

    # 0 is falsy but not None: it must count as a result.
    assert wait_until(probe, timeout=5, interval=0.001, what="a value") == 0
    assert calls == [None, None, 0]


def test_timeout_names_what_how_long_and_last_value_state() -> None:
    with pytest.raises(WaitTimeout) as info:
        wait_until(lambda: None, timeout=0.05, interval=0.01, what="the HPA create delivery")
    message = str(info.value)
    assert "timed out after 0.05s" in message
    assert "waiting for the HPA create delivery" in message
    assert "the probe kept returning None" in message
    assert info.value.what == "the HPA create delivery"
    assert isinstance(info.value, AssertionError)


def test_timeout_reports_describe_output() -> None:
    seen = {"status": "Running"}

    def probe() -> str | None:
        seen["status"] = "Deactivated"
        return None

    with pytest.raises(WaitTimeout, match=r"last observed: plugin status=Deactivated$"):
        wait_until(
            probe,
            timeout=0.03,
            interval=0.01,
            what="plugin Running",
            describe=lambda: f"plugin status={seen['status']}",
        )


def test_retry_on_exceptions_are_retried_and_the_last_one_reported() -> None:
    attempts = iter(range(1000))

    def probe() -> str:
        raise ConnectionError(f"refused #{next(attempts)}")

    with pytest.raises(WaitTimeout) as info:
        wait_until(probe, timeout=0.05, interval=0.01, what="healthz", retry_on=(OSError,))
    message = str(info.value)
    assert "ConnectionError: refused #" in message
    tries = int(message.split("(")[1].split()[0])
    assert tries >= 2
    # the reported exception is the last one, not the first
    assert f"refused #{tries - 1}" in message


def test_retried_exception_then_success() -> None:
    values = _sequence(OSError("not yet"), "ok")

    def probe() -> str:
        value = next(values)
        if isinstance(value, Exception):
            raise value
        assert isinstance(value, str)
        return value

    assert wait_until(probe, timeout=5, interval=0.001, what="x", retry_on=(OSError,)) == "ok"


def test_other_exceptions_propagate_immediately() -> None:
    calls = 0

    def probe() -> None:
        nonlocal calls
        calls += 1
        raise KeyError("bug in the probe")

    with pytest.raises(KeyError):
        wait_until(probe, timeout=5, interval=0.001, what="x", retry_on=(OSError,))
    assert calls == 1


def test_deadline_is_respected_and_last_probe_is_at_the_deadline() -> None:
    stamps: list[float] = []
    naps: list[tuple[float, float]] = []  # (when the wait asked to sleep, for how long)

    def probe() -> None:
        stamps.append(time.monotonic())

    def sleep(seconds: float) -> None:
        naps.append((time.monotonic(), seconds))
        time.sleep(seconds)

    start = time.monotonic()
    with pytest.raises(WaitTimeout):
        wait_until(probe, timeout=0.3, interval=0.2, what="x", sleep=sleep)
    # Probes at ~0, ~0.2 and a final one at the deadline (~0.3). What is checked is what the wait
    # asks for (never more than the interval, never past the deadline), not how long a loaded
    # machine took to honour it, so a slow scheduler cannot fail this test.
    assert len(stamps) >= 2
    assert len(stamps) == len(naps) + 1
    assert stamps[-1] - start >= 0.3
    assert all(0 <= seconds <= 0.2 for _, seconds in naps)
    assert all(asked + seconds <= start + 0.3 + 0.05 for asked, seconds in naps)


def test_zero_timeout_probes_once() -> None:
    calls = 0

    def probe() -> None:
        nonlocal calls
        calls += 1

    with pytest.raises(WaitTimeout, match=r"\(1 probe\)"):
        wait_until(probe, timeout=0, what="x")
    assert calls == 1


def test_custom_sleep_lets_an_event_wake_the_next_probe() -> None:
    event = threading.Event()

    def sleep(seconds: float) -> None:
        event.wait(seconds)

    threading.Timer(0.05, event.set).start()
    start = time.monotonic()
    result = wait_until(
        lambda: "set" if event.is_set() else None,
        timeout=10,
        interval=5,
        what="the event",
        sleep=sleep,
    )
    assert result == "set"
    assert time.monotonic() - start < 2


def test_broken_describe_does_not_hide_the_timeout() -> None:
    def describe() -> str:
        raise RuntimeError("api down")

    with pytest.raises(WaitTimeout, match="could not describe the state: RuntimeError: api down"):
        wait_until(lambda: None, timeout=0.01, interval=0.005, what="x", describe=describe)


@pytest.mark.parametrize(("timeout", "interval"), [(-1, 0.5), (1, 0), (1, -0.1)])
def test_invalid_timing_is_rejected(timeout: float, interval: float) -> None:
    with pytest.raises(ValueError, match="must be"):
        wait_until(lambda: 1, timeout=timeout, interval=interval, what="x")


def test_hold_for_passes_when_nothing_happens() -> None:
    calls = 0

    def probe() -> None:
        nonlocal calls
        calls += 1

    start = time.monotonic()
    hold_for(probe, window=0.1, interval=0.02, what="an update delivery")
    assert time.monotonic() - start >= 0.1
    assert calls >= 2  # polled more than once, through to the end of the window


def test_hold_for_fails_on_the_first_violation_and_names_it() -> None:
    values = _sequence(None, None, "update HorizontalPodAutoscaler demo/web")
    with pytest.raises(QuietWindowBroken) as info:
        hold_for(
            lambda: next(values),
            window=5,
            interval=0.01,
            what="an update delivery",
            describe=lambda: "2 deliveries so far",
        )
    message = str(info.value)
    assert message.startswith("an update delivery happened ")
    assert "into a 5s quiet window: update HorizontalPodAutoscaler demo/web" in message
    assert message.endswith("; observed: 2 deliveries so far")
    assert isinstance(info.value, WaitFailed)
    assert isinstance(info.value, AssertionError)


def test_hold_for_propagates_probe_errors() -> None:
    def probe() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        hold_for(probe, window=1, interval=0.01, what="x")
