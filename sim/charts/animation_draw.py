"""What the animated system view draws once: boxes, labels, arrows, the colour key, and the
Play/Pause/speed buttons and time slider.

Everything fixed is drawn as a handful of plain traces rather than layout shapes, annotations
and a plotly legend: plotly re-processes the whole layout on every animation frame, and ~100
shapes and annotations tripled the cost of a frame in headless Chromium.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from sim.charts.animation_layout import FRAME, INK, MUTED, PANEL_H, WIDTH, Panel
from sim.charts.animation_segments import STATE_LABELS
from sim.charts.palette import ASYNC as BLUE
from sim.charts.palette import STATES
from sim.charts.palette import SYNC as VERMILLION

# per state: colour and plotly marker symbol, from the one palette (sim.charts.palette): states
# that share a shape stay apart under simulated colour-vision deficiencies
STYLE = tuple((color, symbol) for _words, color, symbol in STATES)
__all__ = ["BLUE", "STYLE", "VERMILLION"]
OUTLINE = "#333333"
FRAME_MS = 100  # one frame lasts this long at 1× speed
SPEEDS = (0.5, 1.0, 2.0, 4.0)
MAX_SLIDER_STEPS = 120
KEY_COLUMNS = 3  # the key's longest words fit a third of a ~560-px lesson panel
KEY_WORDS = {"backing off before a retry": "backing off (retry)",
             "duplicate copy running": "duplicate running",
             "duplicate copy queued": "duplicate queued"}
KEY_ROW = 5.5  # height of a row of the colour key
PX_PER_UNIT = 3.1
STILL = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate",
         "transition": {"duration": 0}}


def key_rows(states: set[int]) -> int:
    return -(-len(states) // KEY_COLUMNS)


def top_of(panels: int, states: set[int]) -> float:
    """The highest y drawn: panels, the clock, then the colour key."""
    return panels * PANEL_H + 9 + KEY_ROW * key_rows(states)


def _box_traces(panels: list[Panel]) -> list[go.Scatter]:
    groups: dict[tuple[str, str], list[tuple]] = {}
    for p in panels:
        for x0, y0, x1, y1, fill, style in p.boxes:
            groups.setdefault((fill, style), []).append((x0, y0, x1, y1))
    traces = []
    for (fill, style), rects in groups.items():
        xs: list[float | None] = []
        ys: list[float | None] = []
        for a, b, c, d in rects:
            xs += [a, c, c, a, a, None]
            ys += [b, b, d, d, b, None]
        filled = {"fill": "toself", "fillcolor": fill} if fill != "white" else {}
        traces.append(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                                 line={"color": FRAME, "width": 1, "dash": style}, **filled))
    return traces


def _arrow_trace(panels: list[Panel]) -> go.Scatter:
    xs: list[float | None] = []
    ys: list[float | None] = []
    sizes: list[int] = []
    for p in panels:
        for x0, y0, x1, y1 in p.arrows:
            xs += [x0, x1, None]
            ys += [y0, y1, None]
            sizes += [0, 12, 0]
    return go.Scatter(x=xs, y=ys, mode="lines+markers", hoverinfo="skip", showlegend=False,
                      line={"color": "#9AA1AC", "width": 1.5},
                      marker={"symbol": "arrow", "angleref": "previous", "size": sizes,
                              "color": "#9AA1AC"})


def _label_trace(panels: list[Panel], extra: list[tuple]) -> go.Scatter:
    labels = [lab for p in panels for lab in p.labels] + extra
    return go.Scatter(x=[lab[0] for lab in labels], y=[lab[1] for lab in labels],
                      text=[lab[2] for lab in labels], mode="text", hoverinfo="skip",
                      name="labels",
                      showlegend=False, textposition=[lab[5] for lab in labels],
                      textfont={"size": [lab[3] for lab in labels],
                                "color": [lab[4] for lab in labels]})


def _key_trace(panels: int, states: set[int]) -> go.Scatter:
    """The colour key: one marker and its words per state shown, in rows above the panels."""
    shown = sorted(states)
    top = top_of(panels, states)
    col = [k % KEY_COLUMNS for k in range(len(shown))]
    row = [k // KEY_COLUMNS for k in range(len(shown))]
    return go.Scatter(
        x=[2 + c * WIDTH / KEY_COLUMNS for c in col], y=[top - 3 - KEY_ROW * r for r in row],
        mode="markers+text",
        text=[" " + KEY_WORDS.get(STATE_LABELS[s], STATE_LABELS[s]) for s in shown],
        textposition="middle right",
        textfont={"size": 12, "color": INK}, hoverinfo="skip", showlegend=False, name="key",
        marker={"color": [STYLE[s][0] for s in shown], "symbol": [STYLE[s][1] for s in shown],
                "size": 11, "line": {"color": OUTLINE, "width": 1}})


def static_traces(panels: list[Panel], states: set[int], note: str) -> list[go.Scatter]:
    """Boxes, arrows, labels and the colour key, in drawing order (under the dots)."""
    bottom_note = [(0, -2, note, 12, MUTED, "middle right")]
    return [*_box_traces(panels), _arrow_trace(panels), _label_trace(panels, bottom_note),
            _key_trace(len(panels), states)]


def dynamic_traces(first: list[dict], texts: dict[str, tuple], faults: bool,
                   fault_colours: tuple[str, str]) -> list[go.Scatter]:
    """The traces the frames update: fault fills (if any), the dots, the words."""
    traces = []
    if faults:
        traces += [go.Scatter(first[k], mode="lines", fill="toself", fillcolor=colour,
                              line={"width": 0}, hoverinfo="skip", showlegend=False,
                              name=name)
                   for k, (colour, name) in enumerate(zip(fault_colours, ("down", "fault"),
                                                          strict=True))]
    dots, words = first[-2], first[-1]
    scale = [[i / (len(STYLE) - 1), c] for i, (c, _) in enumerate(STYLE)]
    spec = list(texts.values())
    traces += [
        go.Scatter(dots | {"marker": dots["marker"] | {
            "size": 9, "cmin": 0, "cmax": len(STYLE) - 1, "colorscale": scale,
            "line": {"color": OUTLINE, "width": 1}}},
            mode="markers", showlegend=False, name="dots",
            hovertemplate="request #%{customdata}<extra></extra>"),
        go.Scatter(x=[s[0] for s in spec], y=[s[1] for s in spec], text=words["text"],
                   mode="text", textposition=[s[4] for s in spec], showlegend=False,
                   name="words", meta=list(texts), hoverinfo="skip",
                   textfont={"size": [s[2] for s in spec], "color": [s[3] for s in spec]}),
    ]
    return traces


def play(duration_ms: float) -> dict[str, Any]:
    return {"frame": {"duration": duration_ms, "redraw": False}, "fromcurrent": True,
            "transition": {"duration": 0}, "mode": "immediate"}


def layout(panels: int, states: set[int], times: np.ndarray, digits: int, speed: float
           ) -> dict[str, Any]:
    """Fixed axes (no zoom), the buttons and the slider; the figure's ``meta`` keeps the frame
    times and the number of panels."""
    top = top_of(panels, states)
    step = float(times[1] - times[0]) if times.size > 1 else 0.0
    every = max(1, -(-times.size // MAX_SLIDER_STEPS))
    picks = list(range(0, times.size, every))
    if picks[-1] != times.size - 1:
        picks.append(times.size - 1)
    marks = axis_marks([float(times[i]) for i in picks])
    steps = [{"method": "animate", "label": "", "args": [[str(i)], STILL]} for i in picks]
    buttons = [{"label": "▶ Play", "method": "animate",
                "args": [None, play(FRAME_MS / max(speed, 0.01))]},
               {"label": "❚❚ Pause", "method": "animate", "args": [[None], STILL]},
               {"label": "↺ Start", "method": "animate", "args": [["0"], STILL]}]
    buttons += [{"label": f"speed {s:g}×" if k == 0 else f"{s:g}×", "method": "animate",
                 "args": [None, play(FRAME_MS / s)]} for k, s in enumerate(SPEEDS)]
    plot = (top + 5) * PX_PER_UNIT  # the plot area's height in pixels
    # the controls sit above the key and the clock: pressing Play keeps them all in view
    return {
        "height": int(plot) + CONTROLS + 40,
        "margin": {"l": 10, "r": 10, "t": CONTROLS, "b": 40},
        "paper_bgcolor": "white", "plot_bgcolor": "white", "font": {"color": INK, "size": 12},
        "xaxis": {"range": [-3, WIDTH + 3], "visible": False, "fixedrange": True},
        "yaxis": {"range": [-5, top], "visible": False, "fixedrange": True},
        "meta": {"times": [float(t) for t in times], "panels": panels, "step": step},
        "dragmode": False, "hovermode": "closest", "showlegend": False,
        "updatemenus": [{"type": "buttons", "direction": "left", "showactive": False, "x": 0,
                         "y": 1 + (CONTROLS - 4) / plot, "xanchor": "left", "yanchor": "top",
                         "pad": {"t": 0, "r": 6}, "buttons": buttons,
                         "font": {"size": 13}}],
        "sliders": [{"active": 0, "x": 0, "len": 1.0, "y": 1 + (CONTROLS - 44) / plot,
                     "yanchor": "top", "pad": {"t": 0, "b": 0, "l": 0, "r": 0},
                     "ticklen": 4, "minorticklen": 0, "tickcolor": MUTED,
                     "font": {"color": MUTED, "size": 12},
                     "currentvalue": {"visible": False},  # the clocks say the time
                     "transition": {"duration": 0}, "steps": steps}],
        "annotations": _axis_labels(marks, len(picks), plot),
    }


def _axis_labels(marks: dict[int, str], count: int, plot: float) -> list[dict[str, Any]]:
    """The time axis under the slider, as notes in the figure's margin: plotly labels only
    every n-th slider step (n set by the width), so round times would mostly be hidden. A step
    sits ``STEP_INSET`` px in from each end of the rail, hence the shift."""
    y = 1 + (CONTROLS - 74) / plot
    out = []
    for k, text in marks.items():
        f = k / max(1, count - 1)
        out.append({"text": text, "x": f, "xref": "paper", "xshift": STEP_INSET * (1 - 2 * f),
                    "y": y, "yref": "paper", "yanchor": "top", "xanchor": "center",
                    "showarrow": False, "font": {"size": 12, "color": MUTED}})
    return out


STEP_INSET = 10  # px: plotly's slider steps start this far inside the rail


CONTROLS = 104  # px above the drawing: the buttons, then the time axis and its labels


def axis_marks(times: list[float], most: int = 8) -> dict[int, str]:
    """Labels of the time slider: "0 s", "30 s", ... at about ``most`` round times (the step
    nearest to each), so the scrubber reads as a time axis."""
    if len(times) < 2:
        return {0: f"{times[0]:g} s"} if times else {}
    span = times[-1] - times[0]
    raw = span / most
    scale = 10 ** np.floor(np.log10(raw)) if raw > 0 else 1.0
    gap = next(m * scale for m in (1, 2, 2.5, 5, 10) if m * scale >= raw)
    marks: dict[int, str] = {}
    t = np.ceil(times[0] / gap) * gap
    arr = np.asarray(times)
    while t <= times[-1] + 1e-9:
        k = int(np.argmin(np.abs(arr - t)))
        marks.setdefault(k, f"{t:g} s")
        t += gap
    return marks
