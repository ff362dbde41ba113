"""Questions about one moment of a run, answered from its segments: how many are in each stage,
who holds each thread and worker slot (the "inspect this moment" panel), and the frame times
of the animation (step and window).
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from sim.charts.animation_segments import (
    BACKOFF,
    QUEUE,
    S_BACKOFF,
    S_DUPLICATE,
    S_HANDLER,
    S_RUNNING,
    STAGES,
    STATE_LABELS,
    THREAD,
    WAITING,
    WORKER,
    Segments,
    build_segments,
)
from sim.dists import mean_of
from sim.runner import Result

_CACHE: dict[int, tuple[weakref.ref, Segments]] = {}


def segments(result: Result) -> Segments:
    """The segments of ``result``, built once per Result object."""
    hit = _CACHE.get(id(result))
    if hit is not None and hit[0]() is result:
        return hit[1]
    built = build_segments(result)
    if len(_CACHE) >= 32:
        _CACHE.clear()
    _CACHE[id(result)] = (weakref.ref(result), built)
    return built


def active(segs: Segments, t: float) -> np.ndarray:
    """Indices of the segments where something is at time ``t`` (t0 <= t < t1)."""
    return np.flatnonzero((segs.t0 <= t) & (segs.t1 > t))


def counts(segs: Segments, t: float) -> dict[str, int]:
    """How many are in each stage at ``t`` (``worker`` includes slots kept by a back-off,
    ``running`` does not), responses sent so far, and crashed workers."""
    on = active(segs, t)
    stage, state = segs.stage[on], segs.state[on]
    per_stage = np.bincount(stage, minlength=len(STAGES))
    out = {name: int(per_stage[i]) for i, name in enumerate(STAGES)}
    out["running"] = int(((stage == WORKER) & (state != S_BACKOFF)).sum()
                         + ((stage == THREAD) & (state == S_RUNNING)).sum())
    out["backing_off"] = int((state == S_BACKOFF).sum())
    out["answered"] = int(np.searchsorted(segs.answered, t, side="right"))
    out["answered_bad"] = int(np.searchsorted(segs.answered_bad, t, side="right"))
    out["down"] = len(down_workers(segs, t))
    return out


def down_workers(segs: Segments, t: float) -> list[int]:
    """Workers that are crashed at ``t``."""
    return sorted({w for a, b, ws in segs.down if a <= t < b for w in ws})


def active_faults(segs: Segments, t: float) -> list[dict[str, Any]]:
    """The fault windows active at ``t``."""
    out = []
    for f in segs.faults:
        stop = f.get("end")
        if f["start"] <= t < (stop if stop is not None else np.inf):
            out.append(f)
    return out


def doing(segs: Segments, i: int) -> str:
    """What the entity of segment ``i`` is doing, in words."""
    state, attempt = int(segs.state[i]), int(segs.attempt[i])
    if state == S_HANDLER:
        return "in the web handler"
    if state == S_BACKOFF:
        return f"backing off before retry {attempt}" if attempt else "backing off"
    if state in (S_RUNNING, S_DUPLICATE):
        text = f"running the job (retry {attempt - 1})" if attempt > 1 else "running the job"
        return text + (", a duplicate copy" if state == S_DUPLICATE else "")
    return STATE_LABELS[state]


def snapshot(result: Result, t: float, limit: int = 20) -> dict[str, Any]:
    """Who is where at time ``t``: counts, what each busy thread and worker slot holds, and the
    first ``limit`` requests or tasks waiting, queued and backing off (oldest first)."""
    return describe(segments(result), t, limit)


def describe(segs: Segments, t: float, limit: int = 20) -> dict[str, Any]:
    """:func:`snapshot` from already built segments."""
    on = active(segs, t)

    def ordered(stage: int) -> list[int]:
        rows = on[segs.stage[on] == stage]
        key = segs.slot[rows] if stage in (THREAD, WORKER) else segs.t0[rows]
        return rows[np.argsort(key, kind="stable")].tolist()

    def since(i: int) -> float:
        return round(float(t - segs.t0[i]), 3)

    def who(i: int) -> dict[str, Any]:
        row: dict[str, Any] = {"request": int(segs.request[i])}
        if segs.task[i] >= 0:
            row["task"] = int(segs.task[i])
        if len(segs.lanes) > 1 and segs.stage[i] == QUEUE:
            row["lane"] = segs.lanes[int(segs.lane[i])]
        return row | {"doing": doing(segs, i), "for_s": since(i)}

    conc = max(1, segs.concurrency)
    return {
        "time": float(t),
        "mode": segs.mode,
        "counts": counts(segs, t),
        "threads_total": segs.threads,
        "worker_slots_total": segs.slots,
        "threads": [{"thread": int(segs.slot[i])} | who(i) for i in ordered(THREAD)],
        "workers": [{"worker": int(segs.slot[i]) // conc, "slot": int(segs.slot[i]) % conc,
                     "attempt": int(segs.attempt[i])} | who(i) for i in ordered(WORKER)],
        "waiting": [who(i) for i in ordered(WAITING)[:limit]],
        "queue": [who(i) for i in ordered(QUEUE)[:limit]],
        "backing_off": [who(i) for i in ordered(BACKOFF)[:limit]],
        "down_workers": down_workers(segs, t),
        "faults": [str(f.get("label") or f.get("kind")) for f in active_faults(segs, t)],
    }


# --- the timeline ---------------------------------------------------------------------------

NICE = (1.0, 2.0, 2.5, 5.0)
MIN_STEP = 0.01


def mean_task_time(result: Result) -> float:
    """The configured mean run time of one task attempt, in seconds."""
    return float(mean_of(result.scenario.task.service))


def nice_step(limit: float) -> float:
    """The largest 1, 2, 2.5 or 5 × 10^k not above ``limit``, at least :data:`MIN_STEP`."""
    if not limit > MIN_STEP:
        return MIN_STEP
    exp = int(np.floor(np.log10(limit)))
    for mult in reversed(NICE):
        step = round(mult * 10.0 ** exp, 12)
        if step <= limit * (1 + 1e-9):
            return step
    return round(5 * 10.0 ** (exp - 1), 12)


def timeline(end: float, mean_task: float, max_frames: int = 1200,
             window: tuple[float, float] | None = None, focus: float | None = None
             ) -> np.ndarray:
    """Frame times: a round step of at most a quarter of the mean task time (at least
    :data:`MIN_STEP`), at most ``max_frames`` frames. Without ``window`` they cover the whole
    run if they can, else a window starting a little before ``focus`` (e.g. a fault) or at 0;
    a ``window`` longer than ``max_frames`` frames is cut at its end."""
    step = nice_step(mean_task / 4)
    max_frames = max(2, int(max_frames))
    span = step * (max_frames - 1)
    if window is None:
        start = 0.0
        if focus is not None and span < end:
            start = min(max(0.0, focus - span / 4), end - span)
        start = np.floor(start / step) * step
        window = (start, min(end, start + span))
    a = float(window[0])
    b = min(max(float(window[1]), a), a + span)
    n = int(np.floor((b - a) / step + 1e-9)) + 1
    return np.round(a + step * np.arange(n), 9)
