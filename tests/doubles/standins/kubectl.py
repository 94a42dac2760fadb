"""Stand-in ``kubectl``: records its argv; answers ``version --client`` only.

The suite talks to the API with the kubernetes client; kubectl is only reachable through
pytest-kind's ``KindCluster.kubectl`` helper, so any other use is reported as unsupported
(exit 1) rather than answered with something the real kubectl would not print.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from ._common import err, out, record

CLIENT = {"gitVersion": "v1.32.3", "major": "1", "minor": "32", "platform": "linux/amd64"}


def main(argv: Sequence[str]) -> int:
    record("kubectl", argv)
    args = list(argv)
    if args[:1] == ["version"] and "--client" in args:
        if "-o" in args or any(a.startswith("--output") for a in args):
            out(json.dumps({"clientVersion": CLIENT}, indent=2))
        else:
            out(f"Client Version: {CLIENT['gitVersion']}\nKustomize Version: v5.5.0")
        return 0
    err(f"stand-in kubectl does not support: kubectl {' '.join(args)}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
