"""Where the runs of an experiment execute: in this process, in a pool of local processes, or on
a Dask cluster. Chosen by one argument; the results do not depend on it.

A job is small (the scenario as JSON, a mode, a seed) and so is what comes back (the run's
summary and, when asked for, a few quantile curves): the record DataFrames never leave the
process that ran the simulation, so a sweep of thousands of runs needs little memory. Every
run is deterministic given its scenario and seed, so the summaries are identical, bit for bit,
whichever backend ran them. Progress is reported as ``progress(done, total)``.

An experiment can be stopped from outside: ``should_stop()`` (the caller's: a session that
changed or left, a time budget) is asked between runs, a few times a second while runs are out,
and inside a run done here. When it gives a reason, nothing more is started, the runs under way
are ended (local worker processes are terminated, Dask futures cancelled) and
:class:`ExperimentStopped` carries the reason and every result that had finished.

- ``serial``: one run after the other, here.
- ``processes``: :class:`concurrent.futures.ProcessPoolExecutor` over the machine's cores (the
  default). Workers are forked (or come from a fork server in a threaded program such as the
  web app); when the program is not started from the repository, ``sim`` must be on
  ``PYTHONPATH`` for the fork server.
- ``dask``: a ``dask.distributed`` cluster at a scheduler address (``tcp://host:8786``); the
  workers must be able to import ``sim`` (start them from the repository, or with it on
  ``PYTHONPATH``).
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import threading
from collections.abc import Callable, MutableMapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import numpy as np

Progress = Callable[[int, int], None]
StopCheck = Callable[[], "str | None"]
POLL_S = 0.2  # how often a stop check is asked while runs are out in other processes
QUANTILES = np.linspace(0.0, 1.0, 101)  # the curve of a distribution: its percentiles 0..100
CONNECT_TIMEOUT_S = 5  # an unreachable scheduler is reported after this long


class BackendError(ValueError):
    """A backend that cannot run (unknown name, unreachable scheduler); one line."""


class ExperimentStopped(RuntimeError):
    """An experiment stopped by its caller's ``should_stop``: the reason, and the results of the
    jobs that had finished (None for the others, in the order of the jobs)."""

    def __init__(self, reason: str, results: Sequence[dict[str, Any] | None] = (),
                 partial: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.results = list(results)
        self.partial = partial  # what the experiment made of the finished runs, if anything

    def with_partial(self, partial: Any) -> ExperimentStopped:
        return ExperimentStopped(self.reason, self.results, partial)


@dataclass(frozen=True)
class Job:
    """One run: the scenario (validated JSON), the mode, the seed, and the curves to return."""

    scenario_json: str
    mode: str
    seed: int
    curves: tuple[str, ...] = ()


def _response_times(result: Any) -> np.ndarray:
    from sim.metrics import response_times

    return response_times(result.requests, result.scenario.warmup)


def _user_waits(result: Any) -> np.ndarray:
    from sim.metrics import user_waits

    scenario = result.scenario
    return user_waits(result.requests, result.summary["run"]["end_time_s"],
                      scenario.web.timeout, scenario.warmup)


CURVES: dict[str, Callable[[Any], np.ndarray]] = {"response_time_s": _response_times,
                                                  "user_wait_s": _user_waits}


def settle_worker() -> None:
    """Once per worker process, before its first run: move everything alive now (the imported
    modules: numpy, pandas, SimPy, Dask's worker) out of the cyclic garbage collector's view
    (:func:`gc.freeze`). A run allocates many short-lived objects, so full collections are
    frequent, and each one walks every tracked object: with a worker's large heap of modules
    that walk costs 10-20 % of a run. Objects frozen here are still freed by reference
    counting; only cycles among them would stay. Never called in the caller's own process."""
    global _settled
    if not _settled:
        _settled = True
        gc.collect()
        gc.freeze()


_settled = False


def run_on_worker(job: Job) -> dict[str, Any]:
    """:func:`run_job` in a worker process (pool or Dask) that settles its heap first."""
    settle_worker()
    return run_job(job)


def run_job(job: Job, should_stop: StopCheck | None = None) -> dict[str, Any]:
    """Run one job (in whatever process): its summary and the requested quantile curves."""
    from sim.experiment.curves import SHAPES
    from sim.runner import run
    from sim.scenario import from_dict

    result = run(from_dict(json.loads(job.scenario_json)), job.mode, job.seed, should_stop)
    out: dict[str, Any] = {"summary": result.summary}
    if job.curves:
        out["curves"] = {}
        for name in job.curves:
            if name in SHAPES:  # fixed-shape reductions for the charts across replications
                out["curves"][name] = SHAPES[name](result)
                continue
            values = CURVES[name](result)
            values = values[~np.isnan(values)]
            out["curves"][name] = (np.quantile(values, QUANTILES).tolist() if values.size
                                   else None)
    return out


def _cost(job: Job) -> float:
    """A rough relative cost of a job: its expected arrivals (rate × duration)."""
    try:
        data = json.loads(job.scenario_json)
        return float(data["arrivals"]["rate"]) * float(data["duration"])
    except (KeyError, TypeError, ValueError):
        return 0.0


def longest_first(jobs: Sequence[Job]) -> list[int]:
    """Indices of ``jobs``, the most expensive first (ties keep their order): handed out in
    this order, the last jobs to finish are short ones, so no worker idles long at the end of
    a sweep whose heaviest points come last. Results are still stored by index."""
    costs = [_cost(job) for job in jobs]
    return sorted(range(len(jobs)), key=lambda i: -costs[i])


class _Stop(Exception):
    """Raised inside a backend when the caller's stop check gave a reason."""


def _check(should_stop: StopCheck | None) -> None:
    reason = should_stop() if should_stop is not None else None
    if reason:
        raise _Stop(reason)


def _serial(jobs: Sequence[Job], done: Callable[[int, dict], None],
            should_stop: StopCheck | None = None, **_: Any) -> None:
    from sim.runner import RunStopped

    for i, job in enumerate(jobs):
        _check(should_stop)
        try:
            result = run_job(job, should_stop)
        except RunStopped as exc:
            raise _Stop(str(exc)) from None
        done(i, result)


def _processes(jobs: Sequence[Job], done: Callable[[int, dict], None],
               workers: int | None = None, should_stop: StopCheck | None = None,
               **_: Any) -> None:
    count = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    pool = ProcessPoolExecutor(max_workers=count, mp_context=_context())
    finished = False
    try:
        futures = {pool.submit(run_on_worker, jobs[i]): i for i in longest_first(jobs)}
        pending = set(futures)
        while pending:
            ready, pending = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
            for future in ready:
                done(futures[future], future.result())
            _check(should_stop)
        finished = True
    finally:  # stopped, failed or interrupted: end the runs under way, start no more
        pool.shutdown(wait=True) if finished else _end(pool)


def _end(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and terminate the worker processes (their runs with them)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    for proc in procs:
        proc.join(timeout=5)


def _context() -> multiprocessing.context.BaseContext:
    """Fork (workers start at once, with everything imported) from a single-threaded program;
    from a threaded one (the web app, a Dask client) a fork server, as forking a process that
    runs other threads can leave a lock held forever in the child."""
    if threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["sim.experiment.backends", "sim.runner"])
    return context


def _dask(jobs: Sequence[Job], done: Callable[[int, dict], None],
          scheduler: Any = None, should_stop: StopCheck | None = None, **_: Any) -> None:
    from dask.distributed import Client
    from dask.distributed import as_completed as dask_completed

    if scheduler is None:
        raise BackendError("--scheduler: the dask backend needs a scheduler address, "
                           "e.g. tcp://127.0.0.1:8786")
    own = isinstance(scheduler, str)
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False) \
            if own else scheduler
    except (OSError, ValueError) as exc:
        raise BackendError(f"--scheduler {scheduler}: no Dask scheduler answered "
                           f"({type(exc).__name__}: {str(exc).splitlines()[0][:120]})") from None
    try:
        order = longest_first(jobs)
        futures = client.map(run_on_worker, [jobs[i] for i in order], pure=False)
        index = {future.key: i for future, i in zip(futures, order, strict=True)}
        try:
            for future, result in dask_completed(futures, with_results=True, loop=client.loop):
                done(index[future.key], result)
                future.release()
                _check(should_stop)
        except BaseException:
            client.cancel(futures)  # runs already on a worker finish there, unseen
            raise
    finally:
        if own:
            client.close()


BACKENDS: dict[str, Callable[..., None]] = {"serial": _serial, "processes": _processes,
                                            "dask": _dask}


def execute(jobs: Sequence[Job], backend: str = "processes", *, workers: int | None = None,
            scheduler: Any = None, progress: Progress | None = None,
            cache: MutableMapping[Job, dict] | None = None,
            should_stop: StopCheck | None = None) -> list[dict[str, Any]]:
    """Run every job on ``backend``; results in the order of ``jobs``.

    ``cache`` (any mapping) is read before running and filled after: a job already in it is
    not run again. ``progress(done, total)`` is called after each job (cached ones count as
    done at once). When ``should_stop()`` gives a reason, raises :class:`ExperimentStopped`
    with the results that had finished (they are in ``cache`` too)."""
    if backend not in BACKENDS:
        raise BackendError(f"--backend: must be one of {', '.join(BACKENDS)}, got {backend!r}")
    total = len(jobs)
    results: list[dict[str, Any] | None] = [None] * total
    todo: list[int] = []
    for i, job in enumerate(jobs):
        hit = cache.get(job) if cache is not None else None
        if hit is None:
            todo.append(i)
        results[i] = hit
    finished = total - len(todo)
    if progress is not None:
        progress(finished, total)

    def done(k: int, result: dict[str, Any]) -> None:
        nonlocal finished
        results[todo[k]] = result
        if cache is not None:
            cache[jobs[todo[k]]] = result
        finished += 1
        if progress is not None:
            progress(finished, total)

    if todo:
        run_on = _serial if len(todo) == 1 and backend == "processes" else BACKENDS[backend]
        try:
            run_on([jobs[i] for i in todo], done, workers=workers, scheduler=scheduler,
                   should_stop=should_stop)
        except _Stop as exc:
            raise ExperimentStopped(str(exc), results) from None
    return [r for r in results if r is not None]


__all__ = ["BACKENDS", "CURVES", "QUANTILES", "BackendError", "ExperimentStopped", "Job",
           "Progress", "StopCheck", "execute", "run_job"]
