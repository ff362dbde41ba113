"""Playground: one scenario, knobs in the sidebar, sync and async side by side."""

from __future__ import annotations

from typing import Any

import streamlit as st

from sim.scenario import Scenario, ScenarioError, apply_overrides, load_scenario
from sim.schema import RabbitMQBroker
from ui import controls, state
from ui.catalogue import (
    catalogue,
    fault_lines,
    first_sentence,
    option_label,
    ordered_ids,
    profile_text,
    topic_name,
)
from ui.knobs import open_groups
from ui.ladder_view import ladder_section, stored
from ui.runs import results_for, run_key
from ui.sweep import run_sweep
from ui.views import MODE_TITLES, chart, chart_tabs, kpi_rows_for, show_warnings

P = "pg_"
MODE_LABELS = {"both": "Both, side by side", "sync": "Sync only (job inline)",
               "async": "Async only (job in background)"}
MODE_HELP = ("Sync: the web thread runs the slow job itself and the user waits for it. "
             "Async: the web thread puts a message on a broker, answers at once, and "
             "background workers run the job.")


def _default_id(ids: list[str]) -> str:
    return "email_signup" if "email_signup" in ids else ids[0]


def _restore() -> None:
    """Fill the widgets: from this session's last view, else from the URL, else defaults."""
    if P + "scenario" in st.session_state:
        return
    ids = ordered_ids()
    view = st.session_state.get(P + "view") or state.decode(st.query_params.to_dict())
    sid = view["scenario"]
    if sid and sid not in ids:
        st.session_state[P + "error"] = f"scenario: no bundled scenario {sid!r} " \
                                        f"(bundled: {', '.join(ids)}); showing the default"
    sid = sid if sid in ids else _default_id(ids)
    base = load_scenario(sid)
    try:
        effective = apply_overrides(base, view["overrides"])
    except ScenarioError as exc:
        st.session_state[P + "error"] = f"Link ignored: {exc}"
        effective = base
    st.session_state[P + "scenario"] = sid
    st.session_state[P + "seed"] = view["seed"] if view["seed"] is not None else base.seed
    st.session_state[P + "mode"] = view["mode"] if view["mode"] in state.MODES else "both"
    controls.clear(P)
    controls.fill(P, effective, force=True)


def _scenario_changed() -> None:
    controls.clear(P)
    st.session_state.pop(P + "sweep", None)
    base = load_scenario(st.session_state[P + "scenario"])
    st.session_state[P + "seed"] = base.seed
    controls.fill(P, base, force=True)


def _reset() -> None:
    _scenario_changed()


def sidebar(base: Scenario) -> None:
    with st.sidebar:
        st.radio("Mode", list(MODE_LABELS), key=P + "mode", format_func=MODE_LABELS.get,
                 help=MODE_HELP)
        st.number_input("Random seed", min_value=0, step=1, key=P + "seed",
                        help="The same seed gives exactly the same traffic and the same "
                        "job sizes, so runs can be compared and reproduced.")
        controls.knob_panel(P, expanded=open_groups(base), scenario=base)
        controls.broker_panel(P, expanded=base.broker != RabbitMQBroker()
                              or base.topic in ("delivery", "kafka"))
        st.button("Reset to the scenario's values", on_click=_reset, key=P + "reset",
                  help="Undo every change made with the knobs.")


def scenario_picker() -> Scenario:
    """The scenario select box (grouped by topic), its description, and what has no knob."""
    sid = st.selectbox("Scenario", ordered_ids(), key=P + "scenario", format_func=option_label,
                       on_change=_scenario_changed,
                       help="A prepared situation to explore, grouped by topic; change it "
                       "with the knobs in the sidebar.")
    base = load_scenario(sid)
    st.caption(base.description)
    fixed = [line for line in [profile_text(base)] if line]
    faults = fault_lines(base)
    if faults:
        fixed.append("Faults in this scenario: " + "; ".join(faults) + ". They are shaded "
                     "grey on the time charts.")
    for line in fixed:
        st.caption(f":material/info: {line}")
    with st.expander("All scenarios, by topic", icon=":material/list:"):
        st.markdown(catalogue_markdown())
    return base


def catalogue_markdown() -> str:
    lines, topic = [], None
    for _sid, row_topic, title, desc in catalogue():
        if row_topic != topic:
            topic = row_topic
            lines.append(f"\n**{topic_name(topic)}**\n")
        lines.append(f"- *{title}* — {first_sentence(desc)}")
    return "\n".join(lines)


def render() -> None:
    _restore()
    st.title("Playground")
    base = scenario_picker()
    sid = st.session_state[P + "scenario"]
    if P + "error" in st.session_state:
        st.error(st.session_state.pop(P + "error"))
    sidebar(base)
    changes = controls.overrides(P, base)
    try:
        scenario = apply_overrides(base, changes)
    except ScenarioError as exc:
        st.error(f"This combination is not valid: {exc}")
        return
    mode, seed = st.session_state[P + "mode"], int(st.session_state[P + "seed"])
    st.session_state[P + "view"] = {"scenario": sid, "seed": seed, "mode": mode,
                                    "overrides": changes}
    st.query_params.from_dict(state.encode(sid, seed, mode, changes))
    modes = ["sync", "async"] if mode == "both" else [mode]
    keys = [run_key(m, scenario, m, seed) for m in modes]
    results = results_for(keys)
    if results is None:
        return
    kpi_rows_for(results, MODE_TITLES)
    show_warnings(results)
    chart_tabs(keys, "pg", results, sweep=lambda: _sweep(scenario, seed),
               ladder=lambda: ladder_section("pg", scenario, modes, seed),
               ladders=lambda: stored("pg", scenario, modes, seed))


def _sweep(scenario: Any, seed: int) -> None:
    from sim.charts import load_sweep_figure

    st.markdown("**Load sweep** — how the p95 time grows as traffic rises, for both designs. "
                "Each point is a separate, shorter run (up to 60 s of arrivals).")
    token = (scenario.model_dump_json(), seed)
    stored = st.session_state.get(P + "sweep")
    if st.button("Run the load sweep", key=P + "run_sweep", type="primary"):
        stored = st.session_state[P + "sweep"] = (token, run_sweep(scenario, seed))
    if stored is not None and stored[0] == token:
        chart(load_sweep_figure(stored[1]), "load_sweep", "pg_sweep")
    elif stored is not None:
        st.info("The knobs changed since the last sweep: run it again to update it.")


render()
