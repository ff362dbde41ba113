"""The capacity planner's settings <-> the link, so a shared planner page opens with the same
scenario, design, setting to size, range, replications and objectives.

``?scenario=email_signup&mode=async&knob=workers.count&range=1:32&reps=5&slo=user_wait_s.p95=2``
(and ``slo2=...`` for a second objective). Values are read with the whole-number reader of
:mod:`ui.state`; a value that cannot be used is left at its default and named in one
"Link ignored: field: allowed values, got ..." message, never an exception. A link without
any of ``slo``, ``slo2``, ``knob`` or ``range`` is not a planner link (the Playground's
``mode=both`` or ``reps=20`` may still be in the address after a page switch) and is left
alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import streamlit as st

from sim.safe_yaml import quote
from ui.catalogue import ordered_ids
from ui.planner import DEFAULT_TARGETS, KNOBS, OBJECTIVES
from ui.state import decode_whole, link_length

RANGE = (1, 64)  # what the "Range to search" slider offers
REPS = (2, 30)
MAX_TARGET = 1e6
OWN = ("slo", "slo2", "knob", "range")  # parameters only a planner link has
DEFAULTS: dict[str, Any] = {"scenario": "email_signup", "mode": "async",
                            "knob": "workers.count", "range": (1, 32), "reps": 5,
                            "slo": ("user_wait_s.p95", 2.0), "slo2": None}


def _first(value: Any) -> str:
    return value[0] if isinstance(value, list) and value else str(value)


def _slo(text: str, field: str, errors: list[str]) -> tuple[str, float] | None:
    key, _, raw = text.partition("=")
    try:
        target = float(raw)
    except ValueError:
        target = math.nan
    if key not in OBJECTIVES or not (0.001 <= target <= MAX_TARGET):
        errors.append(f"{field}: must be OBJECTIVE=LIMIT with an objective among "
                      f"{', '.join(OBJECTIVES)} and a limit from 0.001 to {MAX_TARGET:g} s, "
                      f"got {quote(text)}")
        return None
    return key, target


def _range(text: str, errors: list[str]) -> tuple[int, int] | None:
    parts = text.split(":")
    low, high = (decode_whole(p, "range", *RANGE)[0] for p in parts) if len(parts) == 2 \
        else (None, None)
    if low is None or high is None or not low < high:
        errors.append(f"range: must be LOW:HIGH, whole numbers from {RANGE[0]} to {RANGE[1]} "
                      f"with LOW below HIGH, got {quote(text)}")
        return None
    return low, high


def decode(params: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The planner settings in ``params`` (defaults where absent or unusable) and the errors."""
    flat = {k: _first(v) for k, v in params.items()}
    out, errors = dict(DEFAULTS), []
    if link_length(params) > 8 * 1024:
        return out, ["the link is longer than 8 KB"]
    choices = {"scenario": ordered_ids(), "mode": ["async", "sync"], "knob": list(KNOBS)}
    for field, allowed in choices.items():
        if field in flat:
            if flat[field] in allowed:
                out[field] = flat[field]
            else:
                errors.append(f"{field}: must be one of {', '.join(allowed)}, "
                              f"got {quote(flat[field])}")
    reps, why = decode_whole(flat.get("reps"), "reps", *REPS)
    out["reps"] = reps or out["reps"]
    errors += [why] if why else []
    if "range" in flat:
        out["range"] = _range(flat["range"], errors) or out["range"]
    for field in ("slo", "slo2"):
        if field in flat:
            out[field] = _slo(flat[field], field, errors) or out[field]
    return out, errors


def encode(settings: Mapping[str, Any]) -> dict[str, str]:
    low, high = settings["range"]
    params = {"scenario": settings["scenario"], "mode": settings["mode"],
              "knob": settings["knob"], "range": f"{low}:{high}", "reps": str(settings["reps"])}
    for field in ("slo", "slo2"):
        if settings.get(field):
            key, target = settings[field]
            params[field] = f"{key}={target:g}"
    return params


def restore(prefix: str) -> None:
    """First visit of the page in this session: fill its widgets from the link (or from the
    last view in this session), else from the defaults."""
    if prefix + "scenario" in st.session_state:
        return
    params = st.session_state.get(prefix + "view") or st.query_params.to_dict()
    mine = any(k in params for k in OWN)
    settings, errors = decode(params) if mine else (dict(DEFAULTS), [])
    state = st.session_state
    for field in ("scenario", "mode", "knob", "range", "reps"):
        state[prefix + field] = settings[field]
    second = settings["slo2"] or ("task_latency_s.p95", DEFAULT_TARGETS["task_latency_s.p95"])
    for i, (key, target) in enumerate((settings["slo"], second), start=1):
        state[f"{prefix}slo{i}"], state[f"{prefix}target{i}"] = key, float(target)
    state[prefix + "second"] = settings["slo2"] is not None
    if errors:
        state[prefix + "error"] = "Link ignored: " + "; ".join(errors)


def save(prefix: str, slo: Mapping[str, float]) -> None:
    """The page's settings into the link (and this session's view of the page)."""
    state = st.session_state
    objectives = list(slo.items())
    settings = {field: state[prefix + field] for field in ("scenario", "mode", "knob",
                                                           "range", "reps")}
    settings |= {"slo": objectives[0], "slo2": objectives[1] if len(objectives) > 1 else None}
    params = encode(settings)
    state[prefix + "view"] = params
    st.query_params.from_dict(params)


def target_default(prefix: str, index: int) -> None:
    """Callback of an objective's figure: its limit goes to that figure's usual target."""
    key = st.session_state[f"{prefix}slo{index}"]
    st.session_state[f"{prefix}target{index}"] = DEFAULT_TARGETS[key]


__all__ = ["DEFAULTS", "decode", "encode", "restore", "save", "target_default"]
