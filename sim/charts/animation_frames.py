"""Frame by frame, what moves in the animated system view: which dot place each entity takes,
its state and request, the live counts and fault labels, and the fault rectangles.

Frames carry dot places, states and request numbers as typed arrays (base64, one or two bytes a
value), so a 1,200-frame animation of two busy runs stays around 1–2 MB.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from sim.charts.animation_draw import STYLE
from sim.charts.animation_layout import PILE_DOTS, Panel, place_arrays, rect_path
from sim.charts.animation_query import active_faults, down_workers
from sim.charts.animation_segments import (
    DONE,
    OUTCOME_STATE,
    S_BACKOFF,
    STAGES,
    THREAD,
    WORKER,
)


def _typed(values: np.ndarray) -> dict[str, str]:
    """A numpy array as plotly.js's typed-array spec (base64): ~1 byte per small integer."""
    return {"dtype": values.dtype.str.lstrip("<|="),
            "bdata": base64.b64encode(np.ascontiguousarray(values).tobytes()).decode()}


def _small(values: np.ndarray) -> np.ndarray:
    top = int(values.max()) if values.size else 0
    return values.astype(np.uint8 if top < 256 else np.uint16 if top < 65536 else np.uint32)


_SYMBOLS = np.array([s for _, s in STYLE], dtype=np.uint8)


class Mover:
    """Per frame, the place, state and request of every drawn dot of one panel."""

    def __init__(self, panel: Panel, offset: int, times: np.ndarray) -> None:
        segs = self.segs = panel.segs
        self.panel = panel
        keep = np.flatnonzero((segs.t1 > times[0]) & (segs.t0 <= times[-1]) & (segs.stage < DONE))
        key = segs.stage[keep].astype(np.int64) * 64 + segs.lane[keep]
        keep = keep[np.lexsort((segs.t0[keep], key))]
        self.t0, self.t1 = segs.t0[keep], segs.t1[keep]
        self.key = segs.stage[keep].astype(np.int64) * 64 + segs.lane[keep]
        self.state, self.request = segs.state[keep], segs.request[keep]
        stage, slot = segs.stage[keep], segs.slot[keep]
        self.slotted = (stage == THREAD) | (stage == WORKER)
        self.base = np.full(keep.size, -1, dtype=np.int64)
        self.cap = np.zeros(keep.size, dtype=np.int64)
        for (st, lane), block in panel.blocks.items():
            mine = (self.key == st * 64 + lane) & ~self.slotted
            self.base[mine], self.cap[mine] = offset + block.offset, block.size
        thread = np.flatnonzero(stage == THREAD)
        ok = slot[thread] < panel.threads_drawn
        self.base[thread[ok]] = offset + panel.blocks[(THREAD, 0)].offset + slot[thread[ok]]
        if (WORKER, 0) in panel.blocks:
            cell = np.flatnonzero(stage == WORKER)
            w, j = np.divmod(slot[cell], max(1, segs.concurrency))
            ok = (w < panel.workers_drawn) & (j < panel.cells_per_worker)
            self.base[cell[ok]] = (offset + panel.blocks[(WORKER, 0)].offset
                                   + w[ok] * panel.cells_per_worker + j[ok])
        self.piles = []
        for st, _name in panel.piles:
            mine = np.flatnonzero(segs.stage == st)
            order = mine[np.argsort(segs.t0[mine], kind="stable")]
            self.piles.append((st, segs.t0[order], segs.request[order],
                               offset + panel.blocks[(st, 0)].offset))

    def at(self, t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
        """Places, states and requests of the dots drawn at ``t``, and the stage counts."""
        on = np.flatnonzero((self.t0 <= t) & (self.t1 > t))
        key = self.key[on]
        n = on.size
        first = np.r_[True, key[1:] != key[:-1]] if n else np.zeros(0, bool)
        rank = np.arange(n) - np.maximum.accumulate(np.where(first, np.arange(n), 0))
        base = self.base[on]
        place = np.where(self.slotted[on], base, np.where(rank < self.cap[on], base + rank, -1))
        drawn = place >= 0
        state = self.state[on]
        places, states, requests = [place[drawn]], [state[drawn]], [self.request[on][drawn]]
        per_stage = np.bincount(key // 64, minlength=len(STAGES))
        tally = {name: int(per_stage[i]) for i, name in enumerate(STAGES)}
        tally["held"] = int(((key // 64 == WORKER) & (state == S_BACKOFF)).sum())
        for st, times, rid, offset in self.piles:
            done = int(np.searchsorted(times, t, side="right"))
            tally[STAGES[st]] = done
            recent = rid[max(0, done - PILE_DOTS):done][::-1]
            places.append(offset + np.arange(recent.size))
            states.append(np.full(recent.size, OUTCOME_STATE[st], dtype=np.int8))
            requests.append(recent)
        segs = self.segs
        tally["answered"] = int(np.searchsorted(segs.answered, t, side="right"))
        tally["answered_bad"] = int(np.searchsorted(segs.answered_bad, t, side="right"))
        tally["shed"] = int(np.searchsorted(segs.shed, t, side="right"))
        return np.concatenate(places), np.concatenate(states), np.concatenate(requests), tally


def labels(panel: Panel, c: dict[str, int], down: list[int], faults: list[dict[str, Any]]
            ) -> dict[str, str]:
    """The live counts and fault labels of one panel."""
    segs = panel.segs
    out = {"waiting": f"{c['waiting']:,} waiting",
           "threads": f"{c['thread']:,} of {segs.threads} busy",
           "answered": f"{c['answered']:,} answered"
           + (f" ({c['answered_bad']:,} errors or too late)" if c["answered_bad"] else ""),
           "shed": f"{c['shed']:,} refused at once (shed)" if c["shed"] else ""}
    if segs.mode == "async":
        held, gone = c["held"], len(down)
        out |= {"queue": f"{c['queue']:,} in the queue",
                "backoff": f"backing off: {c['backoff']:,}",
                "workers": f"{c['worker'] - held:,} of {segs.slots} "
                           "slots busy",
                "workers2": (f"{gone} worker{'s' if gone > 1 else ''} down" if gone
                             else f"{held} held by a back-off" if held else "")}
        out |= {f"down{w}": "DOWN" for w in down if w < panel.workers_drawn}
    for st, name in panel.piles:
        out[STAGES[st]] = f"{name} {c[STAGES[st]]:,}"
    if faults:
        out["banner"] = "⚠ " + " · ".join(str(f.get("label") or f["kind"]) for f in faults)
        if any(f["kind"] == "broker_outage" for f in faults):
            out["broker_fault"] = "broker down:<br>publishes refused"
        out["downstream_fault"] = "<br>".join(
            str(f.get("label")).replace(": ", ":<br>") for f in faults
            if f["kind"].startswith(("downstream", "breaker")))
    return out


def zones(panel: Panel, down: list[int], faults: list[dict[str, Any]]
           ) -> tuple[list[tuple], list[tuple]]:
    """Rectangles to grey out (crashed workers) and to shade (a fault in progress)."""
    grey = [panel.zones["crash"][w] for w in down if w < panel.workers_drawn]
    kinds = {f["kind"] for f in faults}
    shade = []
    if "broker_outage" in kinds and "broker" in panel.zones:
        shade += panel.zones["broker"]
    if kinds & {"downstream_outage", "downstream_slowdown", "breaker_open"}:
        shade += panel.zones["downstream"]
    return grey, shade


def build_frames(panels: list[Panel], times: np.ndarray, texts: dict[str, tuple], faults: bool,
            digits: int) -> tuple[list[dict[str, Any]], set[int]]:
    """Frame data (what moves) for every time, and the states that were shown."""
    px, py, offsets = place_arrays(panels)
    px, py = _small(px), _small(py)
    movers = [Mover(p, o, times) for p, o in zip(panels, offsets, strict=True)]
    frames, used = [], set()
    for i, t in enumerate(times):
        place, state, request = [], [], []
        words = {"clock": f"t = {t:.{digits}f} s"}
        grey: list[tuple] = []
        shade: list[tuple] = []
        for k, (panel, mover) in enumerate(zip(panels, movers, strict=True)):
            a, b, c, tally = mover.at(t)
            place.append(a)
            state.append(b)
            request.append(c)
            down = down_workers(panel.segs, t) if panel.segs.down else []
            now = active_faults(panel.segs, t) if panel.segs.faults else []
            words |= {f"{k}:{name}": text
                      for name, text in labels(panel, tally, down, now).items()}
            words[f"{k}:clock"] = words["clock"]
            if faults:
                g, sh = zones(panel, down, now)
                grey += g
                shade += sh
        where, what = np.concatenate(place), np.concatenate(state).astype(np.uint8)
        used.update(np.unique(what).tolist())
        data = []
        if faults:  # drawn first, so that dots and words stay on top
            data += [dict(zip(("x", "y"), rect_path(grey), strict=True)),
                     dict(zip(("x", "y"), rect_path(shade), strict=True))]
        data += [{"x": _typed(px[where]), "y": _typed(py[where]),
                  "marker": {"color": _typed(what), "symbol": _typed(_SYMBOLS[what])},
                  "customdata": _typed(_small(np.concatenate(request)))},
                 {"text": [words.get(name) or " " for name in texts]}]  # " ": keep the element
        frames.append({"name": str(i), "data": data})
    return frames, used
