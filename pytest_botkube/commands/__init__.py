"""Sub-commands of ``botkube-repro``; see :mod:`pytest_botkube.cli`."""
