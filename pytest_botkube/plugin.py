"""pytest wiring only: options, ini keys and markers. Logic lives in focused modules."""

from __future__ import annotations

import pytest

MARKERS = (
    "botkube_scenario(name): run this test against the named scenario from scenarios/",
    "botkube_e2e: needs Docker, kind and helm (a live cluster); skipped when they are missing",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("botkube", "BotKube reproduction suite")


def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
