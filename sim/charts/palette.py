"""The one colour language of Async Lab: every chart, the animation and every export take their
colours from here.

* **Runs.** Sync is always vermillion, async always blue (Okabe-Ito), on every page, chart and
  export. A second or third run of the same design in one figure (Compare's "prefetch 1 vs 10",
  a lesson's three configurations) gets a darker, then a lighter shade of the same hue, so
  colour still says "sync" or "async". These two hues mean nothing else anywhere.
* **States** (what a request or job is doing: the animation's dots and the journey chart's
  bars) have their own colours, none of them vermillion or blue. Each state also has a marker
  shape (dots) or fill pattern (bars): two states that share a shape or pattern stay apart under
  deuteranopia, protanopia and tritanopia (see :func:`min_separation`; tested).
* **Kafka partitions** are told apart by neutral colours and line dashes, so they never look
  like a run or a state.

Colour-vision deficiency is simulated with the Machado, Oliveira and Fernandes (2009) matrices
at full severity, applied in linear RGB; distances are CIEDE2000 in CIELAB (D65). Two colours
are "distinguishable" here when they stay at least :data:`MIN_DELTA_E` apart under normal
vision and under each of the three simulations.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

# --- Okabe-Ito, and a few shades ---------------------------------------------------------------
BLACK, ORANGE, SKY, GREEN = "#000000", "#E69F00", "#56B4E9", "#009E73"
YELLOW, BLUE, VERMILLION, PINK, GREY = "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#8C8C8C"
PURPLE = PINK  # the old name of Okabe-Ito's reddish purple
DARK_GREEN, VIOLET, BROWN, DARK_GREY = "#006B4F", "#6A3D9A", "#8C510A", "#5A5A5A"
INK, MUTED = "#262730", "#595F6B"  # text; MUTED is 6.4:1 on white (WCAG AA for small text)

# --- runs --------------------------------------------------------------------------------------
MODE_SHADES = {  # the first, second, third run of a design in one figure
    "sync": (VERMILLION, "#7A2E00", "#EFA57A"),
    "async": (BLUE, "#7FB8E0", "#00304F"),
}
SYNC, ASYNC = MODE_SHADES["sync"][0], MODE_SHADES["async"][0]
OTHER_RUNS = (DARK_GREY, BROWN, BLACK)  # a run whose design is unknown (never in the app)
RUN_COLORS = tuple(c for shades in MODE_SHADES.values() for c in shades)

# --- states: (words, colour, marker symbol, bar pattern) --------------------------------------
# marker symbols are plotly's numbers: 0 circle, 1 square, 2 diamond, 4 x, 25 hourglass,
# 100 circle-open. The index of a state is the animation's state code (S_WAITING, ...).
STATES: tuple[tuple[str, str, int], ...] = (
    ("waiting for a web thread", ORANGE, 0),
    ("in the web handler", SKY, 0),
    ("queued", YELLOW, 1),
    ("running the job", VIOLET, 0),
    ("backing off before a retry", PINK, 25),
    ("done", DARK_GREEN, 0),
    ("failed", BLACK, 4),
    ("dead-lettered", BLACK, 1),
    ("lost", BLACK, 100),
    ("duplicate copy running", VIOLET, 2),
    ("duplicate copy queued", YELLOW, 2),
)
STATE_COLORS = {words: color for words, color, _ in STATES}

# journey chart segments: (colour, fill pattern "" = solid), the same colours as the states
SEGMENT_STYLES: dict[str, tuple[str, str]] = {
    "waiting for a web thread": (ORANGE, ""),
    "handler (web work)": (SKY, ""),
    "handler + publish (web work)": (SKY, ""),
    "publishing the job": (SKY, "x"),
    "waiting in the queue": (YELLOW, "."),
    "attempt succeeded": (DARK_GREEN, ""),
    "attempt failed": (BLACK, ""),
    "attempt killed": (GREY, "-"),
    "back-off before retry": (PINK, "/"),
}

# --- Kafka partitions: neutral colours, told apart by dash ---------------------------------
PARTITION_STYLES: tuple[tuple[str, str], ...] = (
    (BLACK, "solid"), (BROWN, "solid"), (DARK_GREY, "dash"), (BLACK, "dot"),
    (BROWN, "dashdot"), (DARK_GREY, "longdash"), (BLACK, "longdashdot"), (BROWN, "dot"),
)
PARTITION_REST = GREY  # "the other partitions"
NEUTRALS = frozenset({BLACK, GREY, DARK_GREY})  # no hue: they mean nothing on their own

# --- the rest ------------------------------------------------------------------------------
FAULT_FILL, FAULT_TEXT = "#8C8C8C", "#4A4A4A"
BEFORE_OPACITY = 0.35  # the faded "before" trace of the previous run


def mode_of(label: str) -> str | None:
    """The design a series label names: "sync", "async", "A: sync, ..." (else None)."""
    words = label.replace(":", " ").replace(",", " ").lower().split()
    for word in words[:3]:
        if word in MODE_SHADES:
            return word
    return None


def run_colors(modes: Mapping[str, str | None]) -> dict[str, str]:
    """Colour of every run (label -> its design): the n-th run of a design gets its n-th shade.
    """
    seen: dict[str, int] = {}
    out: dict[str, str] = {}
    others = 0
    for label, mode in modes.items():
        if mode in MODE_SHADES:
            k = seen.get(mode, 0)
            seen[mode] = k + 1
            shades = MODE_SHADES[mode]
            out[label] = shades[k % len(shades)]
        else:
            out[label] = OTHER_RUNS[others % len(OTHER_RUNS)]
            others += 1
    return out


def results_colors(results: Mapping[str, Any]) -> dict[str, str]:
    """Colour of every run of ``results`` (label -> Result, or anything with a ``mode``)."""
    return run_colors({label: getattr(r, "mode", None) or mode_of(label)
                       for label, r in results.items()})


def color_of(label: str, index: int = 0) -> str:
    """A series colour from its label alone ("sync", "async: task latency", "A: sync, ...")."""
    mode = mode_of(label)
    if mode is not None:
        return MODE_SHADES[mode][0]
    return OTHER_RUNS[index % len(OTHER_RUNS)]


# --- colour-vision simulation ------------------------------------------------------------
MACHADO = {  # Machado, Oliveira & Fernandes 2009, severity 1.0, linear RGB
    "normal": np.eye(3),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779],
                            [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}
MIN_DELTA_E = 20.0  # CIEDE2000: clearly different at a glance, even for small dots
_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                 [0.0193339, 0.1191920, 0.9503041]])
_WHITE = np.array([0.95047, 1.0, 1.08883])


def _linear(hex_color: str) -> np.ndarray:
    h = hex_color.lstrip("#")
    c = np.array([int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def simulate_lab(hex_color: str, vision: str = "normal") -> np.ndarray:
    """CIELAB (D65) of a colour as seen with ``vision`` (a key of :data:`MACHADO`)."""
    rgb = np.clip(MACHADO[vision] @ _linear(hex_color), 0, 1)
    t = (_XYZ @ rgb) / _WHITE
    f = np.where(t > 216 / 24389, np.cbrt(t), (24389 / 27 * t + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(lab1: np.ndarray, lab2: np.ndarray) -> float:
    """CIEDE2000 colour difference."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_bar ** 7 / (c_bar ** 7 + 25 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p, h2p = np.degrees(np.arctan2(b1, a1p)) % 360, np.degrees(np.arctan2(b2, a2p)) % 360
    dh = h2p - h1p
    if c1p * c2p == 0:
        dh = 0.0
    elif dh > 180:
        dh -= 360
    elif dh < -180:
        dh += 360
    d_l, d_c = l2 - l1, c2p - c1p
    d_h = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    l_bar, cp_bar = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_bar = (h1p + h2p) / 2
    else:
        h_bar = (h1p + h2p + (360 if h1p + h2p < 360 else -360)) / 2
    t = (1 - 0.17 * np.cos(np.radians(h_bar - 30)) + 0.24 * np.cos(np.radians(2 * h_bar))
         + 0.32 * np.cos(np.radians(3 * h_bar + 6)) - 0.20 * np.cos(np.radians(4 * h_bar - 63)))
    d_theta = 30 * np.exp(-(((h_bar - 275) / 25) ** 2))
    r_c = 2 * np.sqrt(cp_bar ** 7 / (cp_bar ** 7 + 25 ** 7))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / np.sqrt(20 + (l_bar - 50) ** 2)
    s_c, s_h = 1 + 0.045 * cp_bar, 1 + 0.015 * cp_bar * t
    r_t = -np.sin(np.radians(2 * d_theta)) * r_c
    return float(np.sqrt((d_l / s_l) ** 2 + (d_c / s_c) ** 2 + (d_h / s_h) ** 2
                         + r_t * (d_c / s_c) * (d_h / s_h)))


def separation(a: str, b: str) -> tuple[float, str]:
    """The smallest CIEDE2000 distance of two colours over normal vision and the three
    simulated deficiencies, and the vision where it occurs."""
    return min((delta_e(simulate_lab(a, v), simulate_lab(b, v)), v) for v in MACHADO)


def min_separation(styles: Iterable[tuple[str, str, Any]]) -> tuple[float, str, str, str]:
    """(distance, vision, name, name) of the closest pair among ``styles`` (name, colour,
    shape) that share a shape: the pair a colour-blind viewer would most likely mix up."""
    worst = (float("inf"), "", "", "")
    for (n1, c1, s1), (n2, c2, s2) in itertools.combinations(list(styles), 2):
        if s1 != s2:
            continue
        d, vision = separation(c1, c2)
        worst = min(worst, (d, vision, n1, n2))
    return worst
