"""Wall time of the planned live matrix, phase by phase, as the code schedules it.

Not a measurement (no cluster here): the schedule of tests/e2e with the default options
(``pytest_botkube.plugin.options``) and the shipped scenarios, in two columns per phase:

- *worst*: every wait runs to its configured limit, every subprocess to its timeout (helm's
  ``--timeout`` plus the minute the suite grants the process, kind's ``--wait`` likewise);
- *typical*: a laptop with the kind node image cached, as the README estimates (kind create
  30-60 s, install and agent start 20-30 s, one HPA sync of 15 s, teardown 10-20 s, a BotKube
  image pull of about 30 s the first time each version is installed); the waits that always
  run to their end (the start grace, the quiet window) count in full.

Sequential (one pytest process) against ``-n 3`` (pytest-xdist: the controller creates the
cluster once before any test is handed out; three workers each probe the receiver from the
node once, then take the next scenario when free, as ``--dist load`` refills them; its two-test
prefetch can move one scenario to another worker, which this greedy model ignores).

Run: ``python benchmarks/bench_matrix_plan.py``.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from pytest_botkube.scenario import Scenario, load_scenarios
from pytest_botkube.settings import BY_NAME

WORKERS = 3
D = {name: option.default for name, option in BY_NAME.items()}
DURATION_S = {"s": 1.0, "m": 60.0}


def go_seconds(text: str) -> float:
    return float(text[:-1]) * DURATION_S[text[-1]]


# Fixed bounds in the cluster layer (not options): tools.check_docker 20 s, kind get clusters
# 120 s (command_timeout), kind delete 180 s, network.probe_from_node 30 s; helm install and
# kind create get 60 s beyond their own --timeout/--wait, helm uninstall 30 s.
HELM_MARGIN, KIND_MARGIN, UNINSTALL_MARGIN = 60.0, 60.0, 30.0
START_POLL, HEALTH_POLL, EVENT_POLL = (
    2.0,
    2.0,
    1.0,
)  # wait_until intervals (a last poll's overshoot)


@dataclass(frozen=True)
class Phase:
    name: str
    typical: float
    worst: float


def session_phases() -> list[Phase]:
    return [
        Phase("docker version + kind get clusters", 0.5, 20.0 + 120.0),
        Phase("kind create cluster --wait", 45.0, float(D["cluster_timeout"]) + KIND_MARGIN),
    ]


def worker_phases() -> list[Phase]:
    return [Phase("receiver probe from the node (docker exec curl)", 0.5, 30.0)]


def end_phases() -> list[Phase]:
    return [Phase("kind delete cluster", 5.0, 180.0)]


PULL = 30.0  # typical: a BotKube image pulled into the node, once per version


def scenario_phases(scenario: Scenario) -> list[Phase]:
    """The phases of one test; the image pull is added by :func:`schedule` (it depends on
    what ran before, and on what runs beside it with -n)."""
    expect = scenario.expect
    threshold, interval = int(D["restart_threshold"]), go_seconds(str(D["health_interval"]))
    phases = [
        Phase("helm upgrade --install --wait", 18.0, float(D["install_timeout"]) + HELM_MARGIN),
        Phase(
            "agent Ready + plugin seen in log",
            5.0,
            2 * (float(D["start_timeout"]) + START_POLL),  # two waits, each to start_timeout
        ),
        Phase("start grace", float(D["start_grace"]), float(D["start_grace"])),
        Phase("workload (Deployment + HPA)", 0.3, 0.3),
        Phase("HPA SuccessfulRescale", 15.0, float(D["event_timeout"]) + EVENT_POLL),
    ]
    if expect is not None and expect.plugin.status == "Deactivated":
        # (threshold + 1) failed health checks, counted from the start; the rescale wait
        # usually covers them, so one poll remains.
        left = max(0.0, (threshold + 1) * interval - 15.0)
        phases.append(
            Phase(
                "healthz Deactivated",
                left + HEALTH_POLL / 2,
                float(D["health_timeout"]) + HEALTH_POLL,
            )
        )
    for index, _ in enumerate(expect.delivered if expect is not None else ()):
        phases.append(Phase(f"delivery {index + 1}", 1.0, float(D["event_timeout"]) + EVENT_POLL))
    if expect is not None and expect.not_delivered:
        quiet = float(D["quiet_window"])
        phases.append(Phase("quiet window", quiet, quiet + EVENT_POLL))
    phases += [
        Phase("healthz + agent log + diff", 1.0, 1.0),
        Phase("helm uninstall --wait", 8.0, float(D["teardown_timeout"]) + UNINSTALL_MARGIN),
        Phase("namespace deleted", 7.0, float(D["teardown_timeout"]) + EVENT_POLL),
    ]
    return phases


def total(phases: list[Phase], worst: bool) -> float:
    return sum(p.worst if worst else p.typical for p in phases)


def schedule(
    per: list[tuple[Scenario, list[Phase]]], workers: int, start: float, worst: bool
) -> tuple[float, list[list[int]], float]:
    """Greedy list scheduling: each scenario, in collection order, goes to the first free
    worker. Typical runs also wait for the version's image: the first install of a version
    pulls it (PULL s), and an install of that version starting while it is pulled waits for
    the rest. Returns the end, the scenarios per worker, and the seconds spent on pulls."""
    free = [(start, w) for w in range(workers)]
    heapq.heapify(free)
    assigned: list[list[int]] = [[] for _ in range(workers)]
    pulled_at: dict[str, float] = {}
    end, pulling = start, 0.0
    for index, (scenario, phases) in enumerate(per):
        at, worker = heapq.heappop(free)
        extra = 0.0
        if not worst:
            version = scenario.botkube_version
            ready = pulled_at.setdefault(version, at + PULL)
            extra = max(0.0, ready - at)
        pulling += extra
        assigned[worker].append(index)
        done = at + extra + total(phases, worst)
        end = max(end, done)
        heapq.heappush(free, (done, worker))
    return end, assigned, pulling


def fmt(seconds: float) -> str:
    return f"{seconds / 60:5.1f} min" if seconds >= 60 else f"{seconds:5.1f} s  "


def main() -> None:
    scenarios = load_scenarios()
    per = [(scenario, scenario_phases(scenario)) for scenario in scenarios]

    print("Defaults read from pytest_botkube.settings:")
    for name in ("cluster_timeout", "install_timeout", "start_timeout", "start_grace",
                 "event_timeout", "health_timeout", "quiet_window", "teardown_timeout",
                 "health_interval", "restart_threshold"):  # fmt: skip
        print(f"  --botkube-{name.replace('_', '-')}: {D[name]}")
    print(f"\nScenarios: {len(per)}; cluster creations: 1 (sequential and -n {WORKERS}); "
          f"helm installs: {len(per)}; uninstalls: {len(per)}; namespace deletions: {len(per)}; "
          f"receiver probes: 1 sequential, {WORKERS} with -n {WORKERS}\n")  # fmt: skip

    print("Per scenario, phase by phase (typical / worst):")
    names: list[str] = []
    for _, phases in per:
        for phase in phases:
            if phase.name not in names and not phase.name.startswith("delivery"):
                names.append(phase.name)
    width = max(len(n) for n in names) + 2
    for scenario, phases in per:
        print(f"  {scenario.name} ({scenario.botkube_version})")
        for phase in phases:
            print(f"    {phase.name:<{width}} {fmt(phase.typical)}  {fmt(phase.worst)}")
        print(
            f"    {'= scenario':<{width}} {fmt(total(phases, False))}  {fmt(total(phases, True))}"
        )

    print(f"\nWall time of the matrix ({len(per)} scenarios):")
    print(f"  {'':<40} {'typical':>10}  {'worst':>10}")
    rows: list[tuple[str, float, float]] = []
    for label, workers in (("sequential", 1), (f"-n {WORKERS}", WORKERS)):
        typical_start = total(session_phases(), False) + total(worker_phases(), False)
        worst_start = total(session_phases(), True) + total(worker_phases(), True)
        t_end, t_assigned, t_pull = schedule(per, workers, typical_start, worst=False)
        w_end, _, _ = schedule(per, workers, worst_start, worst=True)
        t_wall = t_end + total(end_phases(), False)
        w_wall = w_end + total(end_phases(), True)
        rows.append((label, t_wall, w_wall))
        print(f"  {label:<40} {fmt(t_wall):>10}  {fmt(w_wall):>10}")
        print(f"    typical: image pulls waited {fmt(t_pull).strip()} in all")
        if workers > 1:
            for w, items in enumerate(t_assigned):
                picked = ", ".join(per[i][0].name for i in items)
                print(f"    typical gw{w}: {picked}")
    (_, seq_t, seq_w), (_, par_t, par_w) = rows
    print(f"  speed-up with -n {WORKERS}: typical x{seq_t / par_t:.2f}, worst x{seq_w / par_w:.2f}")
    once = total(session_phases(), False) + total(end_phases(), False)
    print(f"  of which once per session (cluster up + down): typical {fmt(once)}")


if __name__ == "__main__":
    main()
