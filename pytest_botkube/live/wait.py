"""The project's one wait primitive: poll with a deadline, and say what was last seen on giving up.

Every wait in pytest-botkube (receiver deliveries, plugin health, pod readiness, Helm) goes
through :func:`wait_until` or :func:`hold_for`, so every timeout message has the same shape:
what was awaited, for how long, and the last observed state.

Both failures subclass :class:`AssertionError` on purpose: in the e2e suite a wait that gives up
means an expectation about BotKube did not hold, and pytest should report that as a test
failure with the message, not as a crash with a traceback into tenacity. Infrastructure code
that wants a different error (e.g. "cluster never became ready" -> EnvironmentUnavailable)
catches :class:`WaitFailed` and re-raises its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception_type,
    retry_if_result,
)

T = TypeVar("T")

__all__ = ["QuietWindowBroken", "WaitFailed", "WaitTimeout", "hold_for", "wait_until"]

_STATE_LIMIT = 2000  # keep failure messages readable; the artifacts hold the full state


class WaitFailed(AssertionError):
    """A wait did not end the way the caller expected."""

    def __init__(self, message: str, *, what: str, seconds: float, last_state: str) -> None:
        super().__init__(message)
        self.what = what
        self.seconds = seconds
        self.last_state = last_state


class WaitTimeout(WaitFailed):
    """The awaited condition did not come true before the deadline."""


class QuietWindowBroken(WaitFailed):
    """Something that must not happen did happen during a quiet window."""


def _clip(text: str) -> str:
    return text if len(text) <= _STATE_LIMIT else text[: _STATE_LIMIT - 3] + "..."


def _describe_safely(describe: Callable[[], str]) -> str:
    # The describer runs while a failure is being reported; its own error must not hide it.
    try:
        return describe()
    except Exception as exc:  # any describer failure is reported, not raised
        return f"(could not describe the state: {type(exc).__name__}: {exc})"


def _capped_wait(deadline: float, interval: float) -> Callable[[RetryCallState], float]:
    # Never sleep past the deadline, so the last probe happens at the deadline, not after it.
    def wait(_: RetryCallState) -> float:
        return max(0.0, min(interval, deadline - time.monotonic()))

    return wait


def _deadline_stop(deadline: float) -> Callable[[RetryCallState], bool]:
    def stop(_: RetryCallState) -> bool:
        return time.monotonic() >= deadline

    return stop


def _check_timing(seconds: float, interval: float, name: str) -> None:
    if seconds < 0:
        raise ValueError(f"{name} must be >= 0, got {seconds}")
    if interval <= 0:
        raise ValueError(f"interval must be > 0, got {interval}")


def wait_until(
    probe: Callable[[], T | None],
    *,
    timeout: float,
    what: str,
    interval: float = 0.5,
    describe: Callable[[], str] | None = None,
    retry_on: tuple[type[BaseException], ...] = (),
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Return the first non-None result of ``probe``, polling until ``timeout`` seconds pass.

    The probe runs at least once, and once more at the deadline. Exceptions of the types in
    ``retry_on`` count as "not yet" and the last one is reported; any other exception
    propagates at once (a bug in the probe must not look like a timeout). ``sleep`` lets an
    event-driven caller (the receiver's condition variable) wake the next probe early.
    """
    _check_timing(timeout, interval, "timeout")
    deadline = time.monotonic() + timeout
    retrying = Retrying(
        stop=_deadline_stop(deadline),
        wait=_capped_wait(deadline, interval),
        retry=retry_if_result(lambda result: result is None) | retry_if_exception_type(retry_on),
        sleep=sleep,
        reraise=False,
    )
    try:
        result = retrying(probe)
    except RetryError as err:
        attempt = err.last_attempt
        if describe is not None:
            state = _describe_safely(describe)
        elif attempt.failed:
            exc = attempt.exception()
            state = f"{type(exc).__name__}: {exc}"
        else:
            state = "nothing yet (the probe kept returning None)"
        tries = attempt.attempt_number
        message = (
            f"timed out after {timeout:g}s ({tries} {'probe' if tries == 1 else 'probes'}) "
            f"waiting for {what}; last observed: {_clip(state)}"
        )
        raise WaitTimeout(message, what=what, seconds=timeout, last_state=state) from None
    # retry_if_result only stops on a non-None value, so the narrowing is safe.
    assert result is not None
    return result


def hold_for(
    probe_violation: Callable[[], object | None],
    *,
    window: float,
    what: str,
    interval: float = 0.5,
    describe: Callable[[], str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Assert that ``probe_violation`` keeps returning None for ``window`` seconds.

    ``what`` names the thing that must not happen ("a delivery of type=update"). The first
    non-None result is the violation and fails at once, naming it; exceptions propagate.
    """
    _check_timing(window, interval, "window")
    deadline = time.monotonic() + window
    start = time.monotonic()
    retrying = Retrying(
        stop=_deadline_stop(deadline),
        wait=_capped_wait(deadline, interval),
        retry=retry_if_result(lambda result: result is None),
        sleep=sleep,
        reraise=False,
    )
    try:
        violation = retrying(probe_violation)
    except RetryError:
        return  # the window passed quietly
    elapsed = time.monotonic() - start
    message = f"{what} happened {elapsed:.1f}s into a {window:g}s quiet window: {violation}"
    state = repr(violation)
    if describe is not None:
        state = _describe_safely(describe)
        message += f"; observed: {_clip(state)}"
    raise QuietWindowBroken(message, what=what, seconds=window, last_state=state)
