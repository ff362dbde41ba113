"""Compare: two configurations A and B of one scenario, on the same seed (identical traffic)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from sim.safe_yaml import quote
from sim.scenario import ScenarioError, apply_overrides, load_scenario
from ui import controls, experiments, state
from ui.catalogue import fault_lines, option_label, ordered_ids, profile_text
from ui.compare_labels import labels, shared
from ui.knobs import BY_KEY, BY_PATH, KNOBS, TASK_CV, TASK_MEAN, get_path, knob_value
from ui.runs import results_for, run_key
from ui.views import chart_tabs, kpi_rows_for, show_warnings

P = "cmp_"
SIDES = ("A", "B")
PRESETS: dict[str, dict[str, tuple[str | None, dict[str, Any]]]] = {  # mode None: scenario's
    "Sync vs async (same settings)": {"A": ("sync", {}), "B": ("async", {})},
    "Prefetch 1 vs 10 (async)": {"A": ("async", {"prefetch": 1}),
                                 "B": ("async", {"prefetch": 10})},
    "2 vs 4 worker processes (async)": {"A": ("async", {"workers": 2}),
                                        "B": ("async", {"workers": 4})},
    "Fixed back-off vs exponential with full jitter": {
        "A": ("async", {"backoff": "fixed", "jitter": "none", "failure_rate": 0.2}),
        "B": ("async", {"backoff": "exponential", "jitter": "full", "failure_rate": 0.2})},
    "Early vs late acknowledgement": {"A": ("async", {"acks_late": False}),
                                      "B": ("async", {"acks_late": True})},
    "Immediate retries vs exponential back-off with jitter": {
        "A": (None, {"backoff": "none", "jitter": "none"}),
        "B": (None, {"backoff": "exponential", "jitter": "full"})},
}


def _side(side: str) -> str:
    return f"{P}{side}_"


def _apply(side: str, mode: str | None, values: dict[str, Any], base: Any) -> None:
    prefix = _side(side)
    controls.clear(prefix)
    controls.fill(prefix, base, force=True)
    st.session_state[prefix + "mode"] = mode or base.mode
    st.session_state[prefix + "changed"] = list(values)
    for key, value in values.items():
        st.session_state[prefix + key] = value


def _preset_changed() -> None:
    base = load_scenario(st.session_state[P + "scenario"])
    preset = PRESETS.get(st.session_state[P + "preset"])
    if preset is None:
        return
    for side in SIDES:
        mode, values = preset[side]
        _apply(side, mode, values, base)


def _scenario_changed() -> None:
    base = load_scenario(st.session_state[P + "scenario"])
    st.session_state[P + "seed"] = base.seed
    _preset_changed()


def _restore() -> None:
    """First visit: the URL (scenario, seed, A.*, B.*), else sync vs async."""
    if P + "scenario" in st.session_state:
        return
    ids = ordered_ids()
    saved = st.session_state.get(P + "view")
    params = saved or st.query_params.to_dict()
    top = state.decode(params)
    problems = list(top["errors"])
    if top["scenario"] and top["scenario"] not in ids:
        problems.append(f"scenario: no bundled scenario {quote(top['scenario'])}")
    sid = top["scenario"] if top["scenario"] in ids else (
        "email_signup" if "email_signup" in ids else ids[0])
    base = load_scenario(sid)
    st.session_state[P + "scenario"] = sid
    st.session_state[P + "seed"] = top["seed"] if top["seed"] is not None else base.seed
    st.session_state[P + "preset"] = next(iter(PRESETS))
    st.session_state[P + "reps"] = top["reps"] or 1
    for side, default in zip(SIDES, ("sync", "async"), strict=True):
        view = state.decode(params, prefix=f"{side}.")
        problems += [f"{side}.{e}" for e in view["errors"]
                     if not e.startswith(("seed:", "reps:"))]
        values = _knob_values(side, base, view["overrides"], problems)
        mode = view["mode"] if view["mode"] in ("sync", "async") else default
        _apply(side, mode, values, base)
    if problems:
        st.session_state[P + "error"] = "Link ignored: " + "; ".join(dict.fromkeys(problems))


def _knob_values(side: str, base: Any, overrides: dict[str, Any],
                 problems: list[str]) -> dict[str, Any]:
    """The knob values a side's link asks for, read through the schema (so "10/s" is a rate
    of 10 and "abc" a message, never a widget error); invalid ones are left out."""
    changes = {p: v for p, v in overrides.items() if p in BY_PATH or p == "task.service"}
    try:
        scenario = apply_overrides(base, changes)
    except ScenarioError as exc:
        problems.append(f"{side}.{exc}")
        return {}
    values = {BY_PATH[p].key: knob_value(scenario, BY_PATH[p]) for p in changes if p in BY_PATH}
    service = changes.get("task.service")
    if isinstance(service, dict):  # a task time changed away from the scenario's kind
        values |= {k: knob_value(scenario, BY_KEY[k]) for k, f in
                   ((TASK_MEAN, "mean"), (TASK_CV, "cv")) if f in service}
    return values


def side_panel(side: str, base: Any) -> None:
    prefix = _side(side)
    st.radio("Mode", ["sync", "async"], key=prefix + "mode", horizontal=True,
             help="sync: the job runs inside the request; async: it goes to the workers.")
    chosen = st.multiselect(
        "Settings to change", [k.key for k in KNOBS], key=prefix + "changed",
        format_func=lambda k: BY_KEY[k].label,
        help="Pick the knobs that differ from the scenario for this configuration.")
    controls.fill(prefix, base)
    for key in chosen:
        controls.knob_widget(BY_KEY[key], prefix, scenario=base, kind=base.broker.kind,
                             mode=st.session_state[prefix + "mode"])


def settings_panel() -> tuple[str, Any, dict[str, tuple[str, dict[str, Any]]]]:
    """The sidebar: scenario, preset and seed, then configurations A and B (the main area keeps
    the KPIs and the charts on the first screen)."""
    with st.sidebar:
        sid = st.selectbox("Scenario", ordered_ids(), key=P + "scenario",
                           format_func=option_label, on_change=_scenario_changed,
                           help="The scenario both configurations start from.")
        st.selectbox("Start from a preset", list(PRESETS), key=P + "preset",
                     on_change=_preset_changed, help="A classic comparison; adjust it below.")
        st.number_input("Seed", min_value=0, max_value=state.MAX_SEED, step=1, key=P + "seed",
                        help="Same seed = same traffic for A and B.")
        experiments.reps_control(P + "reps")
        base = load_scenario(sid)
        configs: dict[str, tuple[str, dict[str, Any]]] = {}
        for side in SIDES:
            with st.expander(f"Configuration {side}", expanded=True):
                side_panel(side, base)
            prefix = _side(side)
            chosen = st.session_state.get(prefix + "changed", [])
            configs[side] = (st.session_state[prefix + "mode"],
                             controls.overrides(prefix, base, only=chosen, with_broker=False))
    return sid, base, configs


def render() -> None:
    _restore()
    sid, base, configs = settings_panel()
    seed = int(st.session_state[P + "seed"])
    reps = int(st.session_state.get(P + "reps", 1))  # the sidebar's Replications control
    _save(sid, seed, configs, reps)
    st.title("Compare two configurations", anchor=False)
    if P + "error" in st.session_state:
        st.error(st.session_state.pop(P + "error"))
    plain = base.to_dict()
    scenario_values = {path: get_path(plain, path)
                       for _m, changes in configs.values() for path in changes}
    names = labels(configs, scenario_values)
    common = shared(configs, scenario_values)
    lines = [f"**{base.title}**, seed {seed}" + (f"; both: {common}" if common else "")
             + ". A and B see exactly the same users and job sizes, so every difference comes "
             "from the configuration (set them in the sidebar)."]
    lines += [f":material/info: {line}" for line in [profile_text(base), *fault_lines(base)]
              if line]
    st.caption("  \n".join(lines))
    try:
        scenarios = {side: apply_overrides(base, ch) for side, (_m, ch) in configs.items()}
    except ScenarioError as exc:
        st.error(f"This configuration is not valid: {exc}")
        return
    keys = [run_key(names[side], scenarios[side], mode, seed)
            for side, (mode, _ch) in configs.items()]
    results = results_for(keys)
    if results is None:
        return
    configs_run = {label: (scenarios[side], mode) for (label, _js, mode, _s), side
                   in zip(keys, SIDES, strict=True)}
    spread = experiments.show(configs_run, reps, seed, compare=True) if reps > 1 \
        else None
    if spread is None:
        kpi_rows_for(results)
    show_warnings(results)
    chart_tabs(keys, "cmp", results, replicated=spread)


def _save(sid: str, seed: int, configs: dict[str, tuple[str, dict[str, Any]]],
          reps: int = 1) -> None:
    params = {"scenario": sid, "seed": str(seed)} | ({"reps": str(reps)} if reps > 1 else {})
    for side, (mode, changes) in configs.items():
        params.update(state.encode(sid, seed, mode, changes, prefix=f"{side}."))
    st.session_state[P + "view"] = params
    st.query_params.from_dict(params)


render()
