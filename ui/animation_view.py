"""The animated system view on a page: the animation, a window picker for long runs, and an
"inspect this moment" panel that lists who is where.

``render_animation(results, key)`` is called by the Playground, Compare and Lessons pages with the
runs they show (label → Result). The figure is built once per set of runs and window (cached as
a resource: never mutated after it is built); the animation plays in the browser, so moving its
slider costs the server nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from sim.charts.animation import build_animation
from sim.charts.animation_query import describe, mean_task_time, nice_step
from sim.charts.animation_segments import Segments, build_segments, run_end
from sim.runner import Result
from ui import animation_keys
from ui.plotly_chart import plotly_chart

MAX_FRAMES = 1200
CONFIG = {"displaylogo": False, "displayModeBar": False, "scrollZoom": False}
Token = tuple[tuple[str, str, str, int], ...]


def _token(results: Mapping[str, Result]) -> Token:
    """What identifies a set of runs: label, scenario, mode and seed of each."""
    return tuple((label, r.scenario.model_dump_json(), r.mode, int(r.seed))
                 for label, r in results.items())


@st.cache_resource(max_entries=24, show_spinner=False)
def _figure(token: Token, window: tuple[float, float] | None, _results: Mapping[str, Result]
            ) -> Any:
    return build_animation(_results, max_frames=MAX_FRAMES, window=window)


@st.cache_resource(max_entries=48, show_spinner=False)
def _segments(token: Token, label: str, _result: Result) -> Segments:
    return build_segments(_result)


def _timing(results: Mapping[str, Result]) -> tuple[float, float, float]:
    """(run end, frame step, longest window the animation can show)."""
    end = max(run_end(r) for r in results.values())
    step = nice_step(min(mean_task_time(r) for r in results.values()) / 4)
    return end, step, step * (MAX_FRAMES - 1)


def _first_fault(results: Mapping[str, Result]) -> float | None:
    starts = [f["start"] for r in results.values() for f in (r.extra or {}).get("faults") or []]
    return min(starts, default=None)


def render_animation(results: Mapping[str, Result], key: str) -> None:
    """The animation of ``results`` (one panel per run, one shared timeline) and the inspector.

    ``key`` makes the widget keys unique on the page (e.g. "pg", "cmp", "lesson3")."""
    if not results:
        st.info("Nothing to animate: run a scenario first.")
        return
    token = _token(results)
    end, step, span = _timing(results)
    window = None
    if span < end:
        fault = _first_fault(results)
        latest = float(max(0.0, end - span))
        first = 0.0 if fault is None else min(max(0.0, fault - span / 4), latest)
        start = st.slider(
            "Animate from (simulated seconds)", 0.0, latest, float(round(first)),
            step=1.0 if latest >= 10 else step, key=f"{key}_anim_from",
            help=f"The run lasts {end:.0f} s; one animation shows {span:.0f} s of it "
                 f"(frames every {step:g} s). Pick which part.")
        window = (float(start), float(start) + span)
    with st.spinner("Preparing the animation…"):
        fig = _figure(token, window, results)
    animation_keys.install()
    with st.container(key=f"{key}_animbox"):  # names the animation for the keyboard script
        plotly_chart(fig, f"{key}_anim", config=CONFIG, corner="right",  # Play is top left
                     alt=f"Animation of {' and '.join(results)}: requests and jobs move "
                     "as dots through the waiting line, web threads, broker queue and "
                     "workers. Its numbers at any moment are in 'Inspect one moment' below.")
    st.caption("Press **▶ Play** (or a speed) to watch requests and jobs move; drag the time "
               "slider to scrub. Keyboard: Tab to a button and press Enter; on the time slider "
               "the arrow keys, Page Up/Down, Home and End move in time. Each dot is one "
               "request or its job, coloured (and shaped) by what it is doing; the numbers "
               "under each stage count all of them (at most 40 dots are drawn per stage). "
               "Change a knob while it plays: it carries on from the same moment.")
    _inspector(results, token, key, end, step, window)


def _inspector(results: Mapping[str, Result], token: Token, key: str, end: float, step: float,
               window: tuple[float, float] | None) -> None:
    with st.expander("Inspect one moment: who is where", icon=":material/search:"):
        low, high = window if window is not None else (0.0, end)
        high = min(high, end)
        start = _first_fault(results)
        default = start + step if start is not None and low <= start <= high else (low + high) / 2
        t = st.slider("Moment (simulated seconds)", float(low), float(high),
                      float(round(default / step) * step), step=float(step),
                      key=f"{key}_anim_t", help="The queues, threads and workers at this "
                      "moment, for every run shown (same traffic in each).")
        for col, (label, result) in zip(st.columns(len(results)), results.items(), strict=True):
            with col:
                _moment(label, describe(_segments(token, label, result), t))


def _moment(label: str, snap: dict[str, Any]) -> None:
    c = snap["counts"]
    st.markdown(f"**{label}** at t = {snap['time']:g} s")
    parts = [f"{c['waiting']:,} waiting for a thread",
             f"{c['thread']:,} of {snap['threads_total']} threads busy"]
    if snap["mode"] == "async":
        parts += [f"{c['queue']:,} in the queue", f"{c['backoff']:,} backing off",
                  f"{c['running']:,} of {snap['worker_slots_total']} worker slots busy"]
    parts += [f"{c['done']:,} done", f"{c['failed']:,} failed"]
    parts += [f"{c[k]:,} {k.replace('_', '-')}" for k in ("dead_lettered", "lost") if c[k]]
    st.markdown(" · ".join(parts))
    if snap["down_workers"]:
        st.warning(f"Down: worker {', '.join(f'w{w}' for w in snap['down_workers'])}",
                   icon=":material/power_off:")
    if snap["faults"]:
        st.markdown("Faults now: " + ", ".join(snap["faults"]))
    _table("Web threads", snap["threads"], c["thread"], ["thread", "request", "doing", "for_s"])
    if snap["mode"] == "async":
        _table("Worker slots", snap["workers"], c["worker"],
               ["worker", "slot", "request", "task", "doing", "for_s"])
        _table("Queue, oldest first", snap["queue"], c["queue"],
               ["request", "task", "lane", "doing", "for_s"])
        _table("Backing off", snap["backing_off"], c["backoff"], ["request", "task", "for_s"])
    _table("Waiting for a web thread, oldest first", snap["waiting"], c["waiting"],
           ["request", "for_s"])


def _table(title: str, rows: list[dict[str, Any]], total: int, columns: list[str]) -> None:
    if not rows:
        st.caption(f"{title}: none")
        return
    frame = pd.DataFrame(rows)
    frame = frame[[c for c in columns if c in frame]].rename(columns={"for_s": "for (s)"})
    shown = f"{len(rows)} of {total:,}" if total > len(rows) else f"{total:,}"
    st.markdown(f"*{title}* ({shown})")
    st.dataframe(frame, hide_index=True, width="stretch", height=min(36 * (len(frame) + 1), 250))
