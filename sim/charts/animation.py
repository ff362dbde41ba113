"""The animated system view: requests and tasks as dots moving through the stages of a run.

``build_animation(results)`` draws one panel per run (sync above async, on identical traffic),
all on one timeline: one Play/Pause, speed buttons (0.5×–4×) and one time slider drive every
panel. Dots are coloured by what the entity is doing (Okabe-Ito colours, plus shapes for the
final states, so colour-blind viewers can tell them apart), each stage shows its live count,
crashed workers are greyed out and faults are shaded while they last. Frames hold only what
moves (dot places, states and requests as typed arrays, and the count labels), at most 40 dots
per stage.

``write_animation_html`` writes a standalone page that plays offline; ``snapshot`` (from
:mod:`sim.charts.animation_query`) lists who is where at one moment; ``frame_dots``,
``frame_words`` and ``frame_times`` read a built figure back (for tests and tools).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sim.charts.animation_draw import BLUE, STYLE, VERMILLION, dynamic_traces, layout, static_traces
from sim.charts.animation_frames import build_frames
from sim.charts.animation_layout import (
    INK,
    PANEL_H,
    WIDTH,
    Panel,
    build_panel,
    locate,
)
from sim.charts.animation_query import (
    mean_task_time,
    segments,
    snapshot,
    timeline,
)
from sim.charts.animation_segments import (
    S_DONE,
    S_HANDLER,
    S_RUNNING,
    S_WAITING,
    STATE_LABELS,
    Segments,
)
from sim.runner import Result

MODE_COLORS = {"sync": VERMILLION, "async": BLUE}
TITLES = {"sync": "the web thread runs the job; its user waits",
          "async": "the job goes to a broker and background workers"}
FAULT_COLOURS = ("rgba(80, 80, 80, 0.75)", "rgba(140, 140, 140, 0.22)")  # crashed, fault active

__all__ = ["STYLE", "build_animation", "frame_dots", "frame_times", "frame_words", "snapshot",
           "write_animation_html"]


def _decimals(step: float) -> int:
    for d in range(4):
        if abs(round(step, d) - step) < 1e-9:
            return d
    return 3


def _title(label: str, segs: Segments) -> str:
    name = label.upper() if label in MODE_COLORS else label
    return f"<b>{name} — {TITLES.get(segs.mode, '')}</b>"


def _text_places(panels: list[Panel]) -> dict[str, tuple]:
    """Every live text place: the clock, then each panel's counts and fault labels."""
    places = {"clock": (WIDTH // 2, len(panels) * PANEL_H + 4, 17, INK, "middle center")}
    for k, panel in enumerate(panels):
        places |= {f"{k}:{name}": spec for name, spec in panel.texts.items()}
    return places


def _pace_note(times: np.ndarray, end: float) -> str:
    step = float(times[1] - times[0]) if times.size > 1 else 0.0
    shown = (f"showing {times[0]:g}–{times[-1]:g} s of a {end:.0f} s run · "
             if times[-1] < end - step or times[0] > 0 else "")
    pace = step * 1000 / 100
    return (f"{shown}at 1×, one second of watching shows {pace:.3g} s of simulated time "
            f"(a frame every {step:g} s) · same arrivals and job sizes in every panel")


def build_animation(results: Mapping[str, Result], *, max_frames: int = 1200,
                    window: tuple[float, float] | None = None, speed: float = 1.0) -> go.Figure:
    """One animated figure of ``results`` (label → run), all panels on one timeline.

    The frame step is a round number of at most a quarter of the mean task time (at least
    0.01 s); at most ``max_frames`` frames. A run too long for that shows ``window`` (start, end
    in simulated seconds), by default a window around the first fault, else from t = 0.
    ``speed`` sets what the Play button does (1× = one frame every 100 ms).
    """
    if not results:
        raise ValueError("results: at least one run is needed")
    segs = [segments(r) for r in results.values()]
    end = max(s.end for s in segs)
    focus = min((f["start"] for s in segs for f in s.faults), default=None)
    times = timeline(end, min(mean_task_time(r) for r in results.values()), max_frames, window,
                     focus)
    n = len(segs)
    panels = [build_panel(s, i, n, _title(label, s), MODE_COLORS.get(s.mode, INK))
              for i, (label, s) in enumerate(zip(results, segs, strict=True))]
    faults = any(s.faults or s.down for s in segs)
    step = float(times[1] - times[0]) if times.size > 1 else 0.0
    digits = _decimals(step) if step else 2
    texts = _text_places(panels)
    frames, used = build_frames(panels, times, texts, faults, digits)
    shown = used | {S_WAITING, S_HANDLER, S_RUNNING, S_DONE}
    static = static_traces(panels, shown, _pace_note(times, end))
    first = len(static)
    for frame in frames:
        frame["traces"] = list(range(first, first + len(frame["data"])))
    fig = go.Figure(data=static + dynamic_traces(frames[0]["data"], texts, faults,
                                                 FAULT_COLOURS),
                    layout=layout(n, shown, times, digits, speed))
    fig.frames = frames
    return fig


def _decode(spec: Any) -> np.ndarray:
    if isinstance(spec, dict) and "bdata" in spec:
        return np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.dtype(spec["dtype"]))
    return np.asarray(spec)


def _frame_trace(fig: go.Figure, index: int, name: str) -> Any:
    frame = fig.frames[index]
    position = [t.name for t in fig.data].index(name)
    return frame.data[list(frame.traces).index(position)]


def frame_dots(fig: go.Figure, index: int) -> pd.DataFrame:
    """The dots of frame ``index``: place (x, y), panel, stage, state (words) and request."""
    dots = _frame_trace(fig, index, "dots")
    x, y = _decode(dots.x), _decode(dots.y)
    panels = int(fig.layout.meta["panels"])
    where = [locate(a, b, panels) for a, b in zip(x.tolist(), y.tolist(), strict=True)]
    return pd.DataFrame({
        "x": x, "y": y, "panel": [w[0] for w in where], "stage": [w[1] for w in where],
        "state": np.asarray(STATE_LABELS)[_decode(dots.marker.color).astype(int)],
        "request": _decode(dots.customdata).astype(np.int64)})


def frame_words(fig: go.Figure, index: int) -> dict[str, str]:
    """The clock and every count label of frame ``index``, by place name ("1:queue", ...)."""
    names = next(t for t in fig.data if t.name == "words").meta
    text = _frame_trace(fig, index, "words").text
    return {name: words.strip() for name, words in zip(names, text, strict=True)}


def frame_times(fig: go.Figure) -> np.ndarray:
    """The simulated time of every frame."""
    return np.asarray(fig.layout.meta["times"], dtype=float)


def write_animation_html(results: Mapping[str, Result], path: str | Path, **kwargs: Any
                         ) -> Path:
    """A standalone HTML page of the animation (plotly.js inside: it plays offline)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = build_animation(results, **kwargs)
    fig.write_html(path, include_plotlyjs=True, full_html=True, auto_play=False,
                   config={"displaylogo": False, "responsive": True, "displayModeBar": False})
    return path
