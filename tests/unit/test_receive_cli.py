"""`botkube-repro receive` as a user runs it: a real process, real loopback POSTs, a signal."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from doubles.webhook_samples import HPA_CREATE


def _post(url: str, body: bytes) -> int:
    request = urllib.request.Request(url, data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        with err:
            return int(err.code)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_receive_prints_deliveries_and_rejections_and_stops_cleanly(stop: signal.Signals):
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_botkube.cli", "receive", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    try:
        banner = process.stderr.readline()
        found = re.search(r"\((http://127\.0\.0\.1:\d+/) from this machine", banner)
        assert found, banner
        url = found.group(1)
        assert _post(url, HPA_CREATE) == 200
        line = json.loads(process.stdout.readline())  # flushed at once: no wait for exit
        assert line["payload"] == json.loads(HPA_CREATE)
        assert line["client"] == "127.0.0.1"
        assert _post(url, b'{"hello": "world"}') == 400
        rejected = process.stderr.readline()
        assert rejected.startswith("rejected: ")
        assert "POST / -> 400: webhook payload: not BotKube's: unknown key 'hello'" in rejected
        process.send_signal(stop)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert out == ""
    assert err.strip().endswith("stopped: 1 delivery, 1 rejected request")


def test_a_port_in_use_is_exit_3(capsys: pytest.CaptureFixture[str]):
    from pytest_botkube.cli import main
    from pytest_botkube.live.receiver import WebhookReceiver

    with WebhookReceiver() as taken:
        code = main(["receive", "--port", str(taken.port)])
    assert code == 3
    assert f"cannot listen on 127.0.0.1 port {taken.port}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["--port", "70000"], "--port 70000"), (["--body-limit", "-1"], "--body-limit -1")],
)
def test_bad_options_are_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], message: str):
    from pytest_botkube.cli import main

    assert main(["receive", *argv]) == 2
    assert message in capsys.readouterr().err
