"""Engine benchmarks for Async Lab: figures next to the budgets in docs/architecture.md.

Run by hand: ``.venv/bin/python bench/engine.py`` (about two minutes), ``--quick`` for a smoke run
(fewer customers, no million-request run). It prints figures and never asserts on time: every
ratio compares measurements taken in this one run, because absolute times drift between runs.

1. The full model configured as a plain M/M/c (async, zero web time, acks_late, prefetch 1, no
   failures) vs 2. a bare ``simpy.Resource`` M/M/c vs 3. ciw, on the same workload (c=4, rho=0.8),
   repetitions interleaved, best and median of 3. Peak memory of each comes from a fresh
   subprocess (``--peak KIND``) so that one measurement does not inflate another.
4. One million requests of ``email_signup`` in async mode, in a fresh subprocess (``--million``).
5. ``sim.compare`` on the default scenario (both modes), median of 5.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Generator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

C, RHO, MU = 4, 0.8, 1.0
LAM = RHO * C * MU
SEED = 1
REPS = 3


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB.

    On Linux ``VmHWM``: ``ru_maxrss`` of a child started by fork+exec keeps the parent's high-water
    mark (a 300 MB parent makes every child report >= 300 MB), which would defeat the subprocess.
    """
    try:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def mmc_model(duration: float) -> tuple[int, float]:
    """The full Async Lab model as an M/M/c; returns (customers, mean queue wait)."""
    from sim import run
    from sim.scenario import from_dict

    scenario = from_dict({
        "duration": duration, "arrivals": {"rate": LAM}, "mode": "async",
        "web": {"workers": 1000, "service": {"dist": "constant", "value": 0},
                "publish": {"dist": "constant", "value": 0}},
        "task": {"service": {"dist": "exponential", "mean": 1 / MU}, "failure_rate": 0},
        "workers": {"count": C, "concurrency": 1, "prefetch_multiplier": 1, "acks_late": True},
        "retry": {"max_retries": 0}, "limits": {"max_in_system": 500_000},
    })
    result = run(scenario, "async", SEED)
    return len(result.tasks), float(result.summary["queue_wait_s"]["mean"])


def mmc_simpy(duration: float) -> tuple[int, float]:
    """A bare ``simpy.Resource`` M/M/c with numpy pre-drawn gaps and services."""
    import numpy as np
    import simpy

    rng = np.random.default_rng(SEED)
    n = int(LAM * duration * 1.2) + 1000
    gaps = rng.exponential(1 / LAM, n)
    while gaps.sum() < duration:  # practically never: 20 % headroom
        gaps = np.concatenate([gaps, rng.exponential(1 / LAM, n)])
    n = int(np.searchsorted(np.cumsum(gaps), duration, side="right"))
    gap_list, service_list = gaps[:n].tolist(), rng.exponential(1 / MU, n).tolist()
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=C)
    waits: list[float] = []

    def customer(service: float) -> Generator:
        arrive = env.now
        req = server.request()
        yield req
        waits.append(env.now - arrive)
        yield env.timeout(service)
        server.release(req)

    def source() -> Generator:
        for gap, service in zip(gap_list, service_list, strict=True):
            yield env.timeout(gap)
            env.process(customer(service))

    env.process(source())
    env.run()
    return len(waits), sum(waits) / len(waits)


def mmc_ciw(duration: float) -> tuple[int, float]:
    """ciw on the same workload until the same simulated time; customers whose service ended."""
    import ciw

    ciw.seed(SEED)
    network = ciw.create_network(arrival_distributions=[ciw.dists.Exponential(LAM)],
                                 service_distributions=[ciw.dists.Exponential(MU)],
                                 number_of_servers=[C])
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(duration)
    records = sim.get_all_records(only=["service"])
    return len(records), sum(r.waiting_time for r in records) / len(records)


KINDS: dict[str, Callable[[float], tuple[int, float]]] = {
    "model": mmc_model, "simpy": mmc_simpy, "ciw": mmc_ciw}
LABELS = {"model": "Async Lab model (async M/M/c)", "simpy": "bare simpy.Resource",
          "ciw": "ciw 3.2.7"}


def in_subprocess(*args: str) -> dict[str, float]:
    """Run this script with ``args`` in a fresh interpreter; its last line is a JSON dict."""
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_mmc(customers: int) -> dict[str, dict[str, float]]:
    duration = customers / LAM
    times: dict[str, list[float]] = {k: [] for k in KINDS}
    found: dict[str, tuple[int, float]] = {}
    for fn in KINDS.values():  # warm-up: imports and first-call costs stay out of the timings
        fn(100 / LAM)
    for _ in range(REPS):  # interleaved, so a slow spell of the machine hits all three
        for kind, fn in KINDS.items():
            t0 = time.perf_counter()
            found[kind] = fn(duration)
            times[kind].append(time.perf_counter() - t0)
    out = {}
    for kind in KINDS:
        n, wait = found[kind]
        best, median = min(times[kind]), statistics.median(times[kind])
        peak = in_subprocess("--peak", kind, str(customers))["peak_mb"]
        out[kind] = {"n": n, "wait": wait, "best": best, "median": median,
                     "rate": n / best, "rate_median": n / median, "peak_mb": peak}
    return out


def bench_million() -> dict[str, float]:
    """One million async requests of email_signup; run in a fresh process (``--million``)."""
    from sim import load_scenario, run

    rate = load_scenario("email_signup").arrivals.rate
    scenario = load_scenario("email_signup", {"duration": 1e6 / rate})
    t0 = time.perf_counter()
    result = run(scenario, "async")
    wall = time.perf_counter() - t0
    return {"requests": len(result.requests), "wall_s": wall, "peak_mb": peak_rss_mb()}


def bench_default(reps: int = 5) -> list[float]:
    from sim import compare, load_scenario

    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        compare(load_scenario("email_signup"))
        times.append(time.perf_counter() - t0)
    return times


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20k customers, skip the million")
    parser.add_argument("--million", action="store_true", help="(subprocess) 1M requests only")
    parser.add_argument("--peak", nargs=2, metavar=("KIND", "CUSTOMERS"),
                        help="(subprocess) one M/M/c run of KIND, print its peak memory")
    args = parser.parse_args()
    if args.million:
        print(json.dumps(bench_million()))
        return 0
    if args.peak:
        kind, customers = args.peak[0], int(args.peak[1])
        KINDS[kind](customers / LAM)
        print(json.dumps({"peak_mb": peak_rss_mb()}))
        return 0

    from sim.theory import mmc

    customers = 20_000 if args.quick else 200_000
    print(f"Async Lab engine bench ({'quick' if args.quick else 'full'}), Python "
          f"{sys.version.split()[0]}; times are wall seconds, best / median of {REPS} interleaved")
    print(f"\n[1-3] M/M/{C}, rho={RHO}, lam={LAM:g}/s, mu={MU:g}/s, ~{customers:,} customers, "
          f"seed {SEED}")
    print("      simpy uses numpy pre-drawn numbers; the model includes DataFrames + summary;")
    print("      ciw includes get_all_records; peak RSS from a fresh process (with imports)")
    theory_wq = mmc(LAM, MU, C).wq
    mm = bench_mmc(customers)
    for kind, r in mm.items():
        print(f"  {LABELS[kind]:<30} {r['best']:7.2f} / {r['median']:6.2f} s  {r['n']:>9,} "
              f"cust  {r['rate'] / 1e3:7.1f} k cust/s (median {r['rate_median'] / 1e3:6.1f} k)"
              f"  peak {r['peak_mb']:6.0f} MB  mean Wq {r['wait']:.3f} s")
    print(f"  Erlang C mean Wq: {theory_wq:.3f} s; model off by "
          f"{100 * (mm['model']['wait'] / theory_wq - 1):+.1f} %")
    vs_simpy = mm["model"]["rate"] / mm["simpy"]["rate"]
    vs_ciw = mm["model"]["rate"] / mm["ciw"]["rate"]
    print(f"  ratio model/simpy {vs_simpy:.2f} (median-based "
          f"{mm['model']['rate_median'] / mm['simpy']['rate_median']:.2f}), "
          f"model/ciw {vs_ciw:.2f} (median-based "
          f"{mm['model']['rate_median'] / mm['ciw']['rate_median']:.2f})")

    million = None
    if args.quick:
        print("\n[4] one million email_signup requests: skipped (--quick)")
    else:
        print("\n[4] one million email_signup requests, async, fresh process ...", flush=True)
        million = in_subprocess("--million")
        print(f"  {million['requests']:,.0f} requests in {million['wall_s']:.1f} s "
              f"({million['requests'] / million['wall_s'] / 1e3:.1f} k req/s), "
              f"peak RSS {million['peak_mb']:.0f} MB")

    print("\n[5] sim.compare(load_scenario('email_signup')), both modes, 5 runs")
    default = bench_default()
    default_median = statistics.median(default)
    print("  " + "  ".join(f"{t:.3f}" for t in default) + f"  -> median {default_median:.3f} s")

    print("\nBudgets (docs/architecture.md; informative, nothing is asserted)")
    rows = [
        ("model >= 0.5x bare SimPy", f"{vs_simpy:.2f}x", vs_simpy >= 0.5),
        ("model faster than ciw", f"{vs_ciw:.2f}x", vs_ciw > 1.0),
    ]
    if million is not None:
        rows += [("1M requests < 60 s", f"{million['wall_s']:.1f} s", million["wall_s"] < 60),
                 ("1M requests < 1.5 GB", f"{million['peak_mb'] / 1024:.2f} GB",
                  million["peak_mb"] < 1.5 * 1024)]
    else:
        rows += [("1M requests < 60 s, < 1.5 GB", "skipped", None)]
    rows.append(("default scenario < 0.3 s", f"{default_median:.3f} s", default_median < 0.3))
    for name, figure, ok in rows:
        print(f"  {name:<32} {figure:>10}  {'-' if ok is None else verdict(ok)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
