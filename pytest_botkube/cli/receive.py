"""``botkube-repro receive``: the suite's webhook receiver as a foreground command.

For a maintainer who points a BotKube running anywhere (their own cluster, a laptop) at it:
``communications.<group>.webhook.url: http://<this machine>:<port>/``. Each accepted delivery
is one JSON line on standard output (flushed at once, so ``| jq`` or ``| tee`` see it live),
each rejected request one line on standard error; Ctrl-C or SIGTERM stops it with status 0.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, TextIO

from pytest_botkube.errors import BadInput, EnvironmentUnavailable, ExitCode
from pytest_botkube.live.receiver import DEFAULT_BODY_LIMIT, ReceivedRequest, WebhookReceiver
from pytest_botkube.text import count, one_line

HELP = "run the webhook receiver in the foreground: one JSON line per BotKube delivery"

EXIT_CODES = {
    0: "stopped by Ctrl-C or SIGTERM",
    2: "bad --bind, --port or --body-limit",
    3: "the address cannot be bound (in use, not on this machine, no permission)",
    130: "interrupted before it was listening (once listening, Ctrl-C stops it with 0)",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bind",
        default="127.0.0.1",
        metavar="ADDR",
        help="address to listen on (default %(default)s; 0.0.0.0 or :: for every interface, "
        "so that a BotKube in a cluster can reach it)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8080,
        metavar="N",
        help="TCP port (default %(default)s; 0: any free port, printed at start)",
    )
    parser.add_argument(
        "--body-limit",
        type=int,
        default=DEFAULT_BODY_LIMIT,
        metavar="BYTES",
        help="largest body accepted (default %(default)s); bigger ones get 413",
    )


def delivery_line(request: ReceivedRequest) -> str:
    """The JSON line for an accepted delivery: when, from where, and the body as BotKube sent
    it (``payload``), so nothing is lost in translation."""
    assert request.delivery is not None
    record: dict[str, Any] = {
        "received_at": request.received_at.isoformat(),
        "client": request.client,
        "path": request.path,
        "summary": request.delivery.describe(),
        "payload": request.delivery.raw,
    }
    return json.dumps(record, sort_keys=False, ensure_ascii=True)


def rejection_line(request: ReceivedRequest) -> str:
    """One line for a rejected request (escaped: the error may quote what the client sent)."""
    when = request.received_at.isoformat()
    what = f"{request.method or '?'} {request.path or '?'}"
    return one_line(f"{when} {request.client} {what} -> {request.status}: {request.error}")


def _printer(out: TextIO, err: TextIO) -> Callable[[ReceivedRequest], None]:
    lock = threading.Lock()

    def show(request: ReceivedRequest) -> None:
        with lock:
            if request.delivery is not None:
                out.write(delivery_line(request) + "\n")
                out.flush()
            else:
                err.write(f"rejected: {rejection_line(request)}\n")
                err.flush()

    return show


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set ``stop`` (the receiver then shuts down cleanly, status 0)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise BadInput(f"--port {args.port}: expected a port number in 0-65535")
    if args.body_limit < 0:
        raise BadInput(f"--body-limit {args.body_limit}: expected 0 or more")
    if not args.bind.strip():
        raise BadInput("--bind: expected an address, e.g. 127.0.0.1 or 0.0.0.0")
    out, err = sys.stdout, sys.stderr
    receiver = WebhookReceiver(
        args.bind, args.port, body_limit=args.body_limit, on_request=_printer(out, err)
    )
    stop = threading.Event()
    with _stop_on_signals(stop):
        try:
            receiver.start()
        except OSError as exc:
            raise EnvironmentUnavailable(
                f"cannot listen on {args.bind} port {args.port}: {exc.strerror or exc}"
            ) from None
        except (ValueError, UnicodeError) as exc:
            raise BadInput(f"--bind {args.bind}: {exc}") from None
        try:
            err.write(
                f"receiving on {args.bind} port {receiver.port} ({receiver.url} from this "
                "machine; give BotKube's webhook.url an address it can reach); Ctrl-C to stop\n"
            )
            err.flush()
            while not stop.wait(0.2):
                if getattr(out, "broken", False):
                    break  # nobody reads the deliveries any more (e.g. `| head -3`)
        finally:
            receiver.stop()
    kept, refused = len(receiver.deliveries()), len(receiver.rejected())
    err.write(f"stopped: {count(kept, 'delivery')}, {count(refused, 'rejected request')}\n")
    return int(ExitCode.OK)
