"""How the side-effect layer reports long steps without knowing who listens.

The one progress callback of the live run: the side-effect layer and the pipeline
(``reproduce/pipeline.py``) report through it; ``botkube-repro run`` passes its status line
(``cli/_progress.py``), the pytest fixtures pass nothing and get :data:`QUIET`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol


class PhaseNote(Protocol):
    text: str  # the phase's one-line result, set by the block


class Phases(Protocol):
    def phase(self, name: str, what: str = "") -> contextlib.AbstractContextManager[PhaseNote]:
        """A timed step; the block sets the note's ``text``."""
        ...

    def update(self, status: str) -> None:
        """The running step's live status (e.g. the last line of ``docker pull``)."""

    def say(self, text: str) -> None:
        """One line of its own (a note before a step)."""


@dataclass
class _Note:
    text: str = ""


class _Quiet:
    @contextlib.contextmanager
    def phase(self, name: str, what: str = "") -> Iterator[PhaseNote]:
        yield _Note()

    def update(self, status: str) -> None:
        pass

    def say(self, text: str) -> None:
        pass


QUIET: Phases = _Quiet()
