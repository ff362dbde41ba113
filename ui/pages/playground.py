"""Playground: one scenario, knobs in the sidebar, sync and async side by side."""

from __future__ import annotations

import streamlit as st

from sim.safe_yaml import quote
from sim.scenario import Scenario, ScenarioError, apply_overrides, load_scenario
from sim.schema import RabbitMQBroker
from ui import controls, experiments, state
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
from ui.sweep import sweep_tab
from ui.views import MODE_TITLES, chart_tabs, kpi_rows_for, show_warnings

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
    problems = list(view.get("errors", []))
    if sid and sid not in ids:
        problems.append(f"scenario: no bundled scenario {quote(sid)} (bundled: "
                        f"{', '.join(ids)}); showing the default")
    sid = sid if sid in ids else _default_id(ids)
    base = load_scenario(sid)
    try:
        effective = apply_overrides(base, view["overrides"])
    except ScenarioError as exc:
        problems.append(str(exc))
        effective = base
    if problems:
        st.session_state[P + "error"] = "Link ignored: " + "; ".join(problems)
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
        st.number_input("Random seed", min_value=0, max_value=state.MAX_SEED, step=1,
                        key=P + "seed",
                        help="The same seed gives exactly the same traffic and the same "
                        "job sizes, so runs can be compared and reproduced.")
        experiments.reps_control(P + "reps")
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
    reps = int(st.session_state.get(P + "reps", 1))
    if reps == 1 or not experiments.show({m: (scenario, m) for m in modes}, reps, seed, "pg",
                                         MODE_TITLES):
        kpi_rows_for(results, MODE_TITLES)
    show_warnings(results)
    chart_tabs(keys, "pg", results, sweep=lambda: sweep_tab(scenario, seed, P),
               ladder=lambda: ladder_section("pg", scenario, modes, seed),
               ladders=lambda: stored("pg", scenario, modes, seed))


render()
