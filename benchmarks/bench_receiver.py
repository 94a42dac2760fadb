"""Deliveries per second the webhook receiver accepts from concurrent senders over loopback.

    python benchmarks/bench_receiver.py [--senders 4] [--posts 2000] [--rounds 3]

Each sender is a separate process (like BotKube: it must not share the receiver's GIL) that
POSTs BotKube-shaped bodies (``encode_payload``) and checks every answer is 200; the receiver
must keep every one. Two client modes:

- keep-alive: one connection per sender, as Go's ``http.Client`` reuses its default transport's
  idle connections (what BotKube's webhook sink does);
- new connection per POST: the worst case, e.g. a client that disables keep-alive.

The figure is the median over rounds of accepted deliveries / wall-clock seconds from the
moment all senders are ready (bodies encoded) to the last answer. Loopback only; bounded
count; for the note, never a test assertion.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import statistics
import time
from multiprocessing.synchronize import Barrier
from urllib.parse import urlsplit

from pytest_botkube.live.receiver import WebhookReceiver
from pytest_botkube.readers.payload import Delivery, encode_payload


def _body(sender: int, index: int) -> bytes:
    return encode_payload(
        Delivery(
            sources=("k8s-hpa",),
            type="error",
            title="autoscaling/v2/horizontalpodautoscalers error",
            kind="HorizontalPodAutoscaler",
            api_version="autoscaling/v2",
            name=f"web-{sender}",
            namespace="demo",
            reason="FailedGetResourceMetric",
            messages=("failed to get cpu utilization: unable to get metrics for resource cpu",),
            level="error",
            cluster="botkube-repro",
            resource="autoscaling/v2/horizontalpodautoscalers",
            count=index + 1,
            timestamp="2026-11-29T00:10:34Z",
        )
    )


def _sender(
    host: str,
    port: int,
    sender: int,
    posts: int,
    keep_alive: bool,
    ready: Barrier,
    results: multiprocessing.Queue[str],
) -> None:
    bodies = [_body(sender, i) for i in range(posts)]  # encoded up front: measure the server
    headers = {"Content-Type": "application/json"}
    failures = 0
    ready.wait()
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        for body in bodies:
            if not keep_alive:
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=30)
            connection.request("POST", "/", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            failures += response.status != 200
    finally:
        connection.close()
    results.put(f"sender {sender}: {failures} non-200 answers" if failures else "")


def run_round(receiver: WebhookReceiver, senders: int, posts: int, keep_alive: bool) -> float:
    receiver.reset()
    parts = urlsplit(receiver.url)
    assert parts.hostname is not None
    assert parts.port is not None
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[str] = context.Queue()
    ready = context.Barrier(senders + 1)
    processes = [
        context.Process(
            target=_sender,
            args=(parts.hostname, parts.port, n, posts, keep_alive, ready, results),
        )
        for n in range(senders)
    ]
    for process in processes:
        process.start()
    ready.wait()
    start = time.perf_counter()
    outcomes = [results.get(timeout=600) for _ in processes]
    elapsed = time.perf_counter() - start
    for process in processes:
        process.join()
    errors = [outcome for outcome in outcomes if outcome]
    kept = len(receiver.deliveries())
    if errors or kept != senders * posts:
        raise SystemExit(f"lost deliveries: kept {kept} of {senders * posts}; {errors}")
    return kept / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--posts", type=int, default=2000, help="POSTs per sender per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with WebhookReceiver() as receiver:
        print(
            f"receiver {receiver.url}; {args.senders} sender processes x {args.posts} POSTs, "
            f"{len(_body(0, 0))}-byte bodies, median of {args.rounds} rounds, "
            f"{os.cpu_count()} CPUs"
        )
        for keep_alive in (True, False):
            rates = [
                run_round(receiver, args.senders, args.posts, keep_alive)
                for _ in range(args.rounds)
            ]
            mode = "keep-alive" if keep_alive else "new connection per POST"
            print(
                f"{mode:>24}: {statistics.median(rates):6.0f} deliveries/s "
                f"(min {min(rates):.0f}, max {max(rates):.0f})"
            )


if __name__ == "__main__":
    main()
