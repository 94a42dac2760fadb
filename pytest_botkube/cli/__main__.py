"""``python -m pytest_botkube.cli``: the same entry point as the ``botkube-repro`` script."""

from pytest_botkube.cli import main

raise SystemExit(main())
