"""Deliveries per second the webhook receiver accepts from concurrent senders over loopback,
and how many of a burst of simultaneous connections it keeps.

    python benchmarks/bench_receiver.py [--senders 4] [--posts 2000] [--rounds 3]
    python benchmarks/bench_receiver.py --burst 500 1000 2000 [--rounds 3]

Burst: N clients (coroutines spread over 8 spawned processes, released together by a barrier)
each open their own loopback connection at the same moment and POST once, with a 30 s budget
like BotKube's client; printed per N: kept (deliveries the receiver recorded) over sent, and the
clients' answers by kind (200, reset, refused, timeout).

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
import asyncio
import http.client
import multiprocessing
import os
import statistics
import time
from multiprocessing.synchronize import Barrier
from typing import Any
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


def burst_body(index: int) -> bytes:
    return encode_payload(
        Delivery(sources=("k8s-burst",), type="create", kind="Pod", name=f"pod-{index}")
    )


async def _one(host: str, port: int, index: int, gate: asyncio.Event) -> str:
    body = burst_body(index)
    head = (
        f"POST / HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    await gate.wait()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 30)
        writer.write(head + body)
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 30)
        writer.close()
        return "200" if status.split(b" ")[1:2] == [b"200"] else f"status {status[:20]!r}"
    except (OSError, TimeoutError) as exc:
        return type(exc).__name__


async def _burst(host: str, port: int, first: int, n: int, ready: Any) -> dict[str, int]:
    gate = asyncio.Event()
    tasks = [asyncio.ensure_future(_one(host, port, first + i, gate)) for i in range(n)]
    await asyncio.sleep(0.2)  # every coroutine waiting at the gate
    ready.wait()  # every process too
    gate.set()
    outcomes: dict[str, int] = {}
    for result in await asyncio.gather(*tasks):
        outcomes[result] = outcomes.get(result, 0) + 1
    return outcomes


def _client(
    host: str,
    port: int,
    first: int,
    n: int,
    ready: Any,
    results: multiprocessing.Queue[dict[str, int]],
) -> None:
    results.put(asyncio.run(_burst(host, port, first, n, ready)))


def burst_round(host: str, port: int, n: int, processes: int = 8) -> dict[str, int]:
    """N POSTs from ``processes`` client processes released together; answers by kind."""
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[dict[str, int]] = context.Queue()
    ready = context.Barrier(processes)
    share = [n // processes + (1 if i < n % processes else 0) for i in range(processes)]
    starts = [sum(share[:i]) for i in range(processes)]
    workers = [
        context.Process(target=_client, args=(host, port, starts[i], share[i], ready, results))
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    outcome: dict[str, int] = {}
    for _ in workers:
        for key, count in results.get(timeout=300).items():
            outcome[key] = outcome.get(key, 0) + count
    for worker in workers:
        worker.join(timeout=60)
    time.sleep(0.2)  # the last records land
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--posts", type=int, default=2000, help="POSTs per sender per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--burst", type=int, nargs="*", metavar="N", help="burst sizes instead")
    args = parser.parse_args()
    if args.burst:
        for n in args.burst:
            kept = []
            for _ in range(args.rounds):
                with WebhookReceiver() as receiver:
                    answers = burst_round("127.0.0.1", receiver.port, n)
                    kept.append(len(receiver.deliveries()))
                print(f"  burst {n}: kept {kept[-1]}/{n}; answers {answers}", flush=True)
            print(
                f"burst {n:>5}: kept/sent median {statistics.median(kept):.0f}/{n} "
                f"(min {min(kept)}, max {max(kept)}) over {args.rounds} rounds"
            )
        return
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
