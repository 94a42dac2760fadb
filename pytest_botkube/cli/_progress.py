"""``botkube-repro run``'s terminal progress (a ``live.phases.Phases``): one line per phase, a
live status line."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TextIO


@dataclass
class PhaseResult:
    text: str = ""


class StatusLine:
    """One line per phase with its duration; while a phase runs, a status line that a terminal
    redraws every second (elapsed time, live plugin restarts) and that a log file gets as plain
    lines when it changes, plus a heartbeat, so that no minute passes silently."""

    def __init__(
        self,
        stream: TextIO,
        *,
        live: bool | None = None,
        heartbeat: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.live = stream.isatty() if live is None else live
        self.heartbeat = heartbeat
        self.clock = clock
        self.started = clock()
        self.lines: list[str] = []  # the final lines, for the bundle's transcript
        self._lock = threading.Lock()
        self._phase: str | None = None
        self._phase_start = 0.0
        self._status = ""
        self._printed = ""  # the last status written as a plain line
        self._last_plain = 0.0
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def _stamp(self) -> str:
        return f"[{self.clock() - self.started:6.1f}s]"

    def _write(self, text: str) -> None:
        with self._lock:
            if self.live:
                self.stream.write("\r\x1b[K")
            self.stream.write(text + "\n")
            self.stream.flush()
            self.lines.append(text)
            self._redraw_locked()

    def _redraw_locked(self) -> None:
        if not self.live or self._phase is None:
            return
        took = self.clock() - self._phase_start
        status = f": {self._status}" if self._status else ""
        self.stream.write(f"\r\x1b[K  .. {self._phase}{status} ({took:.0f}s)")
        self.stream.flush()

    def say(self, text: str) -> None:
        self._write(f"{self._stamp()} {text}")

    def section(self, text: str) -> None:
        """A heading line (a new run): the next status is printed even if it reads the same."""
        with self._lock:
            self._printed = ""
        self.say(text)

    def status(self) -> str:
        """The last live status (what a wait that gives up last observed)."""
        return self._status or "nothing read yet"

    def update(self, status: str) -> None:
        """The current phase's live status (e.g. ``k8s-hpa-events Running, restarts 2/3``)."""
        with self._lock:
            self._status = status
            if self.live:
                self._redraw_locked()
                return
            # a log gets a line when the state changes, not again for the next phase
            changed = status != self._printed
            self._printed = status
        if changed:
            self._plain(status)

    def _plain(self, status: str) -> None:
        took = self.clock() - self._phase_start
        self._last_plain = self.clock()
        self.say(f"  .. {self._phase}: {status} ({took:.0f}s)")

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            with self._lock:
                phase, status = self._phase, self._status
                if self.live:
                    self._redraw_locked()
                    continue
            if phase is not None and self.clock() - self._last_plain >= self.heartbeat:
                self._plain(f"still waiting{', ' + status if status else ''}")

    @contextlib.contextmanager
    def phase(self, name: str, what: str = "") -> Iterator[PhaseResult]:
        result = PhaseResult(what)
        with self._lock:
            self._phase, self._phase_start, self._status = name, self.clock(), ""
            self._last_plain = self.clock()
            if self._ticker is None:
                self._ticker = threading.Thread(target=self._tick, daemon=True)
                self._ticker.start()
            self._redraw_locked()
        outcome = "FAILED"
        try:
            yield result
            outcome = ""
        except KeyboardInterrupt:
            outcome = "INTERRUPTED"
            raise
        finally:
            took = self.clock() - self._phase_start
            with self._lock:
                self._phase = None
            text = result.text or "done"
            if outcome:
                text = f"{outcome} ({result.text})" if result.text else outcome
            self.say(f"  {name:<16} {text} ({took:.1f}s)")

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2)
