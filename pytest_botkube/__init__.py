"""pytest-botkube: reproduce BotKube bug reports on a real kind cluster, and explain them."""

__version__ = "0.1.0"
