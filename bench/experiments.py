"""Experiment benchmarks: the backends of ``sim.experiment`` on one sweep, and a large sweep's
memory. Prints figures next to DESIGN's budgets; never asserts on time.

Run by hand from the repository: ``.venv/bin/python bench/experiments.py`` (a few minutes),
``--quick`` for a smoke run (3 points x 2 replications, 200-run large sweep).

1. A 12-point x 10-replication sweep of ``email_signup`` (``arrivals.rate`` 5..60 requests/s) in
   both modes (240 runs) on the ``serial``, ``processes`` (2 workers) and ``dask`` backends (a
   ``LocalCluster`` of 2 worker processes, 1 thread each, started and warmed up with 2 runs
   before the timing, since its fresh workers import pandas and the engine on their first task
   while forked pool workers inherit them; both printed apart), one after the other in this
   one process. The summaries of the three
   must be identical; the ratios compare times measured in this run (budget: processes >= 1.7x
   serial on 2 cores, Dask within 25 % of processes). Dask runs twice: with the workers'
   default configuration, and with their statistical profiler off (a setting for a cluster
   that runs pure-Python simulations: ``DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False``).
2. A 1,000-run sweep (``email_signup`` shortened to 30 s, 50 rates x 2 modes x 10 replications)
   on the processes backend with a progress line, in a fresh subprocess (``--large N``), next to
   a 200-run one: the parent's peak memory (VmHWM) should not grow with the number of runs, since
   only summaries come back.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere


def peak_rss_mb() -> float:
    """Peak resident memory of this process (VmHWM), MB."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def cpu_seconds() -> float:
    """CPU time of this process, its reaped children and its live descendants (Dask workers)."""
    import psutil

    t = os.times()
    total = t.user + t.system + t.children_user + t.children_system
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()  # with its reaped children (fork-server pool workers)
            total += times.user + times.system + times.children_user + times.children_system
        except psutil.Error:
            pass
    return total


def timed(label: str, fn):
    """Run ``fn``; print its wall time and how many cores it kept busy on average (CPU seconds
    of every process involved / wall seconds; at most 2 here, less when the machine is shared)."""
    cpu, start = cpu_seconds(), time.perf_counter()
    out = fn()
    elapsed = time.perf_counter() - start
    busy = (cpu_seconds() - cpu) / elapsed
    print(f"  {label:<38} {elapsed:7.2f} s wall, {busy:4.2f} cores busy", flush=True)
    return elapsed, out


def backends(points: int, reps: int) -> None:

    from sim import load_scenario
    from sim.experiment import Options, sweep
    from sim.experiment.spec import spaced

    scenario = load_scenario("email_signup")
    vary = {"arrivals.rate": spaced(5, 60, points)}
    runs = points * reps * 2
    print(f"1. sweep of email_signup, {points} rates x {reps} replications x 2 modes = {runs} "
          f"runs (cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f})", flush=True)
    t_serial, serial = timed("serial", lambda: sweep(scenario, vary, "both", reps,
                                                     options=Options("serial")))
    t_proc, proc = timed("processes (2 workers, pool start in)", lambda: sweep(
        scenario, vary, "both", reps, options=Options("processes", workers=2)))
    t_dask, dask = dask_timing(scenario, vary, reps, profile=True)
    t_quiet, quiet = dask_timing(scenario, vary, reps, profile=False)
    same = all(serial.points.equals(other.points) for other in (proc, dask, quiet))
    print(f"  identical summaries on all three backends: {same}; load average now "
          f"{os.getloadavg()[0]:.1f}")
    print(f"  processes vs serial: {t_serial / t_proc:.2f}x faster (budget >= 1.7x)")
    for label, t in (("dask vs processes:  ", t_dask), ("dask, profiler off: ", t_quiet)):
        print(f"  {label} {t / t_proc:.2f}x the time "
              f"({(t / t_proc - 1) * 100:+.0f} %, budget within +25 %)")


def dask_timing(scenario: Any, vary: dict, reps: int, profile: bool) -> tuple[float, Any]:
    """The sweep on a fresh ``LocalCluster`` (2 worker processes, 1 thread each), warmed up
    first. ``profile=False`` turns off the workers' statistical profiler
    (``distributed.worker.profile.enabled``), which samples the running task's stack every
    10 ms: for pure-Python simulation tasks that costs a fifth of the time."""
    import dask
    from distributed import LocalCluster

    from sim.experiment import Options, sweep

    label = "dask LocalCluster (2 x 1 thread)" if profile else "dask, worker profiler off"
    with dask.config.set({"distributed.worker.profile.enabled": profile}):
        start = time.perf_counter()
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster:
            print(f"  (LocalCluster start: {time.perf_counter() - start:.2f} s, not counted)")
            opts = Options("dask", scheduler=cluster.scheduler_address)
            timed("(dask warm-up: 2 runs, not counted)", lambda: sweep(
                scenario, {"arrivals.rate": [5]}, "async", 2, options=opts))
            return timed(label, lambda: sweep(scenario, vary, "both", reps, options=opts))


def large(runs: int) -> dict[str, float]:
    """One sweep of ``runs`` runs on the processes backend (in this fresh process)."""
    from sim import load_scenario
    from sim.experiment import Options, sweep
    from sim.experiment.spec import spaced

    reps = 10
    rates = spaced(5, 40, runs // (2 * reps))
    scenario = load_scenario("email_signup", {"duration": 30})
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if done == total or now - last[0] > 5:
            last[0] = now
            print(f"    {done}/{total} runs, parent peak RSS {peak_rss_mb():.0f} MB",
                  file=sys.stderr, flush=True)

    base = peak_rss_mb()
    start = time.perf_counter()
    result = sweep(scenario, {"arrivals.rate": rates}, "both", reps,
                   options=Options("processes", progress=progress))
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"runs": len(result.points), "seconds": time.perf_counter() - start,
            "rss_before_mb": base, "peak_rss_mb": peak_rss_mb(),
            "largest_worker_mb": children,
            "points_mb": result.points.memory_usage(deep=True).sum() / 2**20,
            "summary_mb": result.summary.memory_usage(deep=True).sum() / 2**20}


def large_in_subprocess(runs: int) -> None:
    out = subprocess.run([sys.executable, __file__, "--large", str(runs)], text=True,
                         stdout=subprocess.PIPE, check=True)
    f = json.loads(out.stdout)
    print(f"  {f['runs']:>5} runs: {f['seconds']:6.1f} s; parent peak RSS "
          f"{f['peak_rss_mb']:.0f} MB (after imports {f['rss_before_mb']:.0f} MB); largest "
          f"worker {f['largest_worker_mb']:.0f} MB; frames: points {f['points_mb']:.1f} MB, "
          f"summary {f['summary_mb']:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run")
    parser.add_argument("--large", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--skip-backends", action="store_true", help="only the large sweeps")
    parser.add_argument("--skip-large", action="store_true", help="only the backends")
    args = parser.parse_args()
    if args.large:
        print(json.dumps(large(args.large)))
        return
    if not args.skip_backends:
        backends(3, 2) if args.quick else backends(12, 10)
    if args.skip_large:
        return
    print("2. large sweeps (processes backend, fresh process each; progress on stderr)")
    for runs in ((200,) if args.quick else (200, 1000)):
        large_in_subprocess(runs)


if __name__ == "__main__":
    main()
