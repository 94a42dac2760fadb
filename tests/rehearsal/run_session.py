"""Capture a rehearsed ``botkube-repro run`` terminal session (the one in the README).

    python tests/rehearsal/run_session.py OUT_DIR crash-v1.13.0 --compare v1.14.0 \
        --with-workaround --report bug-1474 --no-download --quiet-window 2 --start-grace 0

Runs the installed ``botkube-repro`` against the stand-ins and the API double, exactly as
tests/rehearsal/test_run_command.py does (the agent double behaves as the model predicts for
the values each release was installed with), in OUT_DIR/triage, and prints the session with
stderr and stdout interleaved. Not a live run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from doubles import agent
from doubles.fixtures import make_sandbox
from doubles.kubeapi import KubeApiDouble


def main(out_dir: str, *args: str) -> int:
    root = Path(out_dir)
    shutil.rmtree(root, ignore_errors=True)
    work = root / "triage"
    work.mkdir(parents=True)
    with KubeApiDouble(hpa_sync_delay=0.5) as double:
        sandbox = make_sandbox(root / "sandbox", double.url)
        double.set_profile("*", agent.model_agent())
        env = dict(sandbox.env)
        env["PATH"] = os.pathsep.join([str(sandbox.bin_dir), str(Path(sys.executable).parent)])
        done = subprocess.run(
            [str(Path(sys.executable).parent / "botkube-repro"), "run", *args],
            env=env, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            timeout=600, check=False,
        )  # fmt: skip
    print(f"$ botkube-repro run {' '.join(args)}")
    print(done.stdout, end="")
    print(f"$ echo $?\n{done.returncode}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
