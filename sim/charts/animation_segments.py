"""Where every request and task is at any moment of a run: the data behind the animated view.

The records say when each request arrived, got a web thread and left, and when each task attempt
entered the queue, started and ended. From them this module derives *segments*, one row per
"entity in a stage": request 17 waits for a web thread from 3.20 to 3.41 s; task 17 (attempt 2)
backs off from 5.0 to 6.3 s, waits in the queue until 6.9 s, then runs on worker 1, slot 3.

- Sync: the request waits for a thread, then the thread holds it for the handler, every attempt
  of the task (``worker == -1``) and the back-off waits between them, until the response.
- Async: the request waits, runs the handler in a thread and is answered; its task waits in the
  queue, runs on a worker slot, backs off between attempts (``end`` of a failed attempt → the
  next delivery's ``enqueued``), and ends done / failed / dead-lettered / lost. A killed attempt
  (worker crash) goes back to the queue if the task is delivered again. A copy of a task that
  runs while another copy runs, or after the task was settled, is a duplicate.
- Kafka with in-place retries: the back-off keeps the consumer slot (the partition is blocked).

Threads and worker slots are identical servers, so the records do not say which one a request
or attempt used: each busy interval gets the lowest free slot of its pool (interval colouring),
the same answer whatever window is drawn. Kafka lanes are partitions when the tasks carry a
``partition`` column, otherwise one lane per consumer (the consumer that read the message).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.charts.animation_services import (
    fanout,
    global_workers,
    pool_sizes,
    task_services,
    worker_labels,
)
from sim.charts.animation_stages import (
    BACKOFF,
    DEAD,
    DONE,
    FAILED,
    LOST,
    MAX_LANES,
    NOT_READ,
    OUTCOME_STAGE,
    OUTCOME_STATE,
    QUEUE,
    S_BACKOFF,
    S_DEAD,
    S_DONE,
    S_DUP_QUEUED,
    S_DUPLICATE,
    S_FAILED,
    S_HANDLER,
    S_LOST,
    S_QUEUED,
    S_RUNNING,
    S_WAITING,
    STAGES,
    STATE_LABELS,
    THREAD,
    WAITING,
    WORKER,
    Parts,
    Segments,
    colour_intervals,
    crash_windows,
    queue_lanes,
    run_end,
)
from sim.resilience import breaker_windows
from sim.runner import Result

FAILED_ATTEMPT = ("failure", "short_circuited")  # a retry (and its back-off) may follow

__all__ = [  # the vocabulary is re-exported: callers import it from here
    "BACKOFF",
    "DEAD",
    "DONE",
    "FAILED",
    "LOST",
    "MAX_LANES",
    "NOT_READ",
    "OUTCOME_STAGE",
    "OUTCOME_STATE",
    "QUEUE",
    "STAGES",
    "STATE_LABELS",
    "S_BACKOFF",
    "S_DEAD",
    "S_DONE",
    "S_DUPLICATE",
    "S_DUP_QUEUED",
    "S_FAILED",
    "S_HANDLER",
    "S_LOST",
    "S_QUEUED",
    "S_RUNNING",
    "S_WAITING",
    "THREAD",
    "WAITING",
    "WORKER",
    "Segments",
    "build_segments",
    "crash_windows",
    "queue_lanes",
    "run_end",
]


@dataclass
class _Tasks:
    """Task columns, indexed by the task's row."""

    id: np.ndarray
    request: np.ndarray
    published: np.ndarray
    finished: np.ndarray
    state: np.ndarray
    settled: np.ndarray
    thread: np.ndarray  # the thread of the task's request (sync)
    partition: np.ndarray | None
    service: np.ndarray | None = None  # index in the scenario's services


def build_segments(result: Result) -> Segments:
    """All segments of one run (see the module docstring)."""
    sc, mode, end = result.scenario, result.mode, run_end(result)
    parts = Parts()
    req = result.requests
    rid = req["request_id"].to_numpy(np.int64)
    arrival = req["arrival"].to_numpy(float)
    r_start = req["start"].to_numpy(float)
    r_end_raw = req["end"].to_numpy(float)
    r_end = np.where(np.isnan(r_end_raw), end, r_end_raw)
    started = ~np.isnan(r_start)
    # a request that never got a thread waits until it started, was refused (shed) or the end
    parts.add(arrival, np.where(started, r_start, r_end), WAITING, S_WAITING, rid)
    thread = np.full(rid.size, -1, dtype=np.int64)  # each request holds a thread [start, end)
    thread[started] = colour_intervals(np.zeros(int(started.sum()), np.int64),
                                       r_start[started], r_end[started])
    row_of = np.full(int(rid.max()) + 1 if rid.size else 0, -1, dtype=np.int64)
    row_of[rid] = np.arange(rid.size)

    tk = _task_columns(result, thread, row_of)
    handler_end = r_end.copy()
    if mode == "sync":  # the handler's own part ends when the task is created
        handler_end[row_of[tk.request]] = tk.published
    parts.add(r_start, handler_end, THREAD, S_HANDLER, rid, slot=thread, where=started)

    lanes, lane_by = queue_lanes(result)
    att = result.attempts.sort_values(["task_id", "start", "attempt"], kind="stable")
    workers, concurrency, slots = (sc.workers.count, sc.workers.concurrency, 0)
    if fanout(result):  # every service's workers in one column, one after the other
        att = att.assign(worker=global_workers(result, att))
        workers, concurrency, slots = pool_sizes(sc)
    _attempts(result, parts, att, tk, lanes, lane_by, end)
    for name, stage in OUTCOME_STAGE.items():  # a settled task stays in its pile
        done = (tk.state == name) & ~np.isnan(tk.finished)
        parts.add(tk.finished, np.inf, stage, OUTCOME_STATE[stage], tk.request, task=tk.id,
                  where=done)

    cols = parts.arrays()
    _worker_cells(cols, concurrency)
    outcome = req["outcome"].astype(str)
    bad = outcome.isin(["failed", "timed_out", "shed"]).to_numpy()
    answered = ~np.isnan(r_end_raw)
    return Segments(
        t0=cols["t0"], t1=cols["t1"], stage=cols["stage"], lane=cols["lane"], slot=cols["slot"],
        state=cols["state"], request=cols["request"], task=cols["task"], attempt=cols["attempt"],
        mode=mode, threads=sc.web.workers, workers=workers if mode == "async" else 0,
        concurrency=concurrency, lanes=lanes, end=end,
        answered=np.sort(r_end_raw[answered]), answered_bad=np.sort(r_end_raw[answered & bad]),
        shed=np.sort(r_end_raw[(outcome == "shed").to_numpy()]),
        faults=[*((result.extra or {}).get("faults") or []),
                *breaker_windows((result.extra or {}).get("breaker_moves") or [], end)],
        down=crash_windows(result),
        lane_by=lane_by, slots_total=slots,
        worker_labels=worker_labels(sc) if lane_by == "service" else [], broker=sc.broker.kind)


def _task_columns(result: Result, thread: np.ndarray, row_of: np.ndarray) -> _Tasks:
    tasks = result.tasks
    state = tasks["state"].astype(str).to_numpy()
    request = tasks["request_id"].to_numpy(np.int64)
    return _Tasks(
        id=tasks["task_id"].to_numpy(np.int64), request=request,
        published=tasks["published"].to_numpy(float), finished=tasks["finished"].to_numpy(float),
        state=state, settled=np.isin(state, list(OUTCOME_STAGE)),
        thread=thread[row_of[request]] if request.size else np.zeros(0, np.int64),
        partition=tasks["partition"].to_numpy(np.int64) if "partition" in tasks else None,
        service=task_services(result) if "service" in tasks else None)


def _lane(tk: _Tasks, row: np.ndarray, worker: np.ndarray, retried: np.ndarray,
          lanes: list[str], lane_by: str | None) -> np.ndarray:
    """The queue lane of each queued stay (worker < 0: nobody has read it yet)."""
    if lane_by == "service" and tk.service is not None:
        return tk.service[row]
    if lane_by == "partition" and tk.partition is not None:
        retry_lane = len(lanes) - 1 if lanes[-1] == "retry topic" else -1
        part = tk.partition[row]
        return np.where(retried & (retry_lane >= 0), retry_lane, part)
    if lane_by == "worker":
        return np.where(worker >= 0, np.minimum(worker, len(lanes) - 2), len(lanes) - 1)
    return np.zeros(row.size, np.int64)


def _attempts(result: Result, parts: Parts, att: pd.DataFrame, tk: _Tasks, lanes: list[str],
              lane_by: str | None, end: float) -> None:
    """Running, queued and backing-off stays of every task, from its attempts."""
    sc, sync = result.scenario, result.mode == "sync"
    task_row = np.full(int(tk.id.max()) + 1 if tk.id.size else 0, -1, dtype=np.int64)
    task_row[tk.id] = np.arange(tk.id.size)
    a_task = att["task_id"].to_numpy(np.int64)
    row = task_row[a_task]
    n = a_task.size
    req, num = tk.request[row], att["attempt"].to_numpy(np.int16)
    a0 = att["start"].to_numpy(float)
    a1 = np.where(np.isnan(att["end"].to_numpy(float)), end, att["end"].to_numpy(float))
    out = att["outcome"].astype(str).to_numpy()
    enq, worker = att["enqueued"].to_numpy(float), att["worker"].to_numpy(np.int64)
    same = np.r_[False, a_task[1:] == a_task[:-1]] if n else np.zeros(0, bool)
    p0, p1 = np.r_[np.nan, a0[:-1]][:n], np.r_[np.nan, a1[:-1]][:n]
    p_out, p_worker = np.r_[[""], out[:-1]][:n], np.r_[-2, worker[:-1]][:n]
    overlap = same & (p1 > a0)
    late = same & ~overlap & (p_out == "success") & tk.settled[row] & (tk.finished[row] <= a0)
    dup = overlap | late
    after_failure = same & np.isin(p_out, FAILED_ATTEMPT) & ~overlap
    inplace = not sync and sc.broker.kind == "kafka" and not sc.broker.retry_topic
    idx = np.arange(n)
    group = np.maximum.accumulate(np.where(after_failure & (worker == p_worker) & inplace,
                                           0, idx)) if n else idx
    if sync:  # everything happens inside the request's thread
        slot = tk.thread[row]
        parts.add(a0, a1, THREAD, S_RUNNING, req, task=a_task, attempt=num, slot=slot)
        parts.add(p1, a0, THREAD, S_BACKOFF, req, task=a_task, attempt=num - 1, slot=slot,
                  where=after_failure)
    else:
        parts.add(a0, a1, WORKER, np.where(dup, S_DUPLICATE, S_RUNNING), req, task=a_task,
                  attempt=num, slot=worker, group=group)
        q_from = np.where(same, p1, tk.published[row])
        if inplace:  # the consumer keeps the partition while it waits to retry
            parts.add(p1, a0, WORKER, S_BACKOFF, req, task=a_task, attempt=num - 1,
                      slot=worker, group=group, where=after_failure)
            q_from = np.where(after_failure, a0, q_from)
        else:
            back_to = np.clip(enq, p1, a0)
            parts.add(p1, back_to, BACKOFF, S_BACKOFF, req, task=a_task, attempt=num - 1,
                      where=after_failure)
            q_from = np.where(after_failure, back_to, q_from)
        q_from = np.where(late, np.maximum(p1, _last_crash_before(result, a0)), q_from)
        if sc.broker.kind == "redis":  # a twin becomes visible a visibility timeout after
            twin = same & ~after_failure & (p_out != "killed")  # the copy before was handed
            seen = np.minimum(np.maximum(enq, p0 + sc.broker.visibility_timeout), a0)
            q_from = np.where(twin, seen, q_from)
        lane = _lane(tk, row, worker, after_failure, lanes, lane_by)
        parts.add(q_from, a0, QUEUE, np.where(dup, S_DUP_QUEUED, S_QUEUED), req, task=a_task,
                  attempt=num, lane=lane)
    _tails(result, parts, tk, task_row, a_task, a1, out, worker, num, group, lanes, lane_by,
           end, inplace)


def _last_crash_before(result: Result, times: np.ndarray) -> np.ndarray:
    """The latest worker-crash time at or before each time (Kafka reads its log again then)."""
    starts = np.sort([w[0] for w in crash_windows(result)])
    if not starts.size:
        return np.full(times.size, -np.inf)
    pos = np.searchsorted(starts, times, side="right") - 1
    return np.where(pos >= 0, starts[np.maximum(pos, 0)], -np.inf)


def _tails(result: Result, parts: Parts, tk: _Tasks, task_row: np.ndarray, a_task: np.ndarray,
           a1: np.ndarray, out: np.ndarray, worker: np.ndarray, num: np.ndarray,
           group: np.ndarray, lanes: list[str], lane_by: str | None, end: float,
           inplace: bool) -> None:
    """After a task's last attempt (or with none): still backing off, queued again after a
    crash, or waiting in the queue until dropped or until the run stopped."""
    rows = np.arange(tk.id.size)
    last = np.full(rows.size, -1, dtype=np.int64)
    if a_task.size:
        is_last = np.r_[a_task[1:] != a_task[:-1], True]
        last[task_row[a_task[is_last]]] = np.flatnonzero(is_last)
    has, li = last >= 0, np.maximum(last, 0)
    if not a_task.size:  # no attempt at all: pad so that indexing by li works
        a1, out, worker, num, group = (np.zeros(1), np.array([""]), np.array([-1]),
                                       np.zeros(1, np.int16), np.zeros(1, np.int64))
    until = np.where(tk.settled, tk.finished, end)
    l_end = np.where(has, a1[li], tk.published)
    l_out = np.where(has, out[li], "")
    back = has & np.isin(l_out, FAILED_ATTEMPT)
    if result.mode == "sync":
        parts.add(l_end, until, THREAD, S_BACKOFF, tk.request, task=tk.id, attempt=num[li],
                  slot=tk.thread, where=back)
        return
    if inplace:
        parts.add(l_end, until, WORKER, S_BACKOFF, tk.request, task=tk.id, attempt=num[li],
                  slot=worker[li], group=group[li], where=back)
    else:
        parts.add(l_end, until, BACKOFF, S_BACKOFF, tk.request, task=tk.id, attempt=num[li],
                  where=back)
    queued = ~has | (l_out == "killed")  # never read, or back in the queue after a crash
    lane = _lane(tk, rows, np.full(rows.size, -1), np.zeros(rows.size, bool), lanes, lane_by)
    parts.add(l_end, until, QUEUE, S_QUEUED, tk.request, task=tk.id, attempt=num[li],
              lane=lane, where=queued)


def _worker_cells(cols: dict[str, np.ndarray], concurrency: int) -> None:
    """Give every worker stay a cell (worker * concurrency + slot); a back-off that keeps its
    slot (Kafka in place) shares the cell of its attempt (same group)."""
    on = np.flatnonzero((cols["stage"] == WORKER) & (cols["slot"] >= 0))
    if not on.size:
        return
    group = cols["group"][on]
    key, first = np.unique(group, return_index=True)
    inv = np.searchsorted(key, group)
    g0, g1 = np.full(key.size, np.inf), np.full(key.size, -np.inf)
    np.minimum.at(g0, inv, cols["t0"][on])
    np.maximum.at(g1, inv, cols["t1"][on])
    pool = cols["slot"][on][first]
    slot = np.minimum(colour_intervals(pool, g0, g1), concurrency - 1)
    cols["slot"][on] = pool[inv] * concurrency + slot[inv]
