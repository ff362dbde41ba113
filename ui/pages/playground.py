"""Playground: one scenario, knobs in the sidebar, sync and async side by side."""

from __future__ import annotations

from typing import Any

import streamlit as st

from sim.safe_yaml import quote
from sim.scenario import Scenario, ScenarioError, apply_overrides, load_scenario
from sim.schema import RabbitMQBroker
from ui import controls, experiments, previous, state
from ui.catalogue import fault_lines, option_label, ordered_ids, profile_text
from ui.knobs import open_groups
from ui.ladder_view import ladder_section, stored
from ui.runs import results_for, results_of, run_key
from ui.sweep import from_link, link_params, sweep_tab
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
    params = st.query_params.to_dict()
    view = st.session_state.get(P + "view") or state.decode(params)
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
    if P + "view" not in st.session_state:  # the load sweep's settings come with the link
        problems += from_link(P, params, effective)
    if problems:
        st.session_state[P + "error"] = "Link ignored: " + "; ".join(problems)
    st.session_state[P + "scenario"] = sid
    st.session_state[P + "seed"] = view["seed"] if view["seed"] is not None else base.seed
    st.session_state[P + "mode"] = view["mode"] if view["mode"] in state.MODES else "both"
    st.session_state[P + "reps"] = view.get("reps") or 1
    controls.clear(P)
    controls.fill(P, effective, force=True)
    # a shared link also unfolds the groups of the knobs it changed
    controls.open_only(P, _unfolded(base) | controls.groups_of(view["overrides"]))


def _unfolded(base: Scenario) -> set[str]:
    """The knob groups to unfold for a scenario: the usual ones and those it is about."""
    broker = base.broker != RabbitMQBroker() or base.topic in ("delivery", "kafka")
    return open_groups(base) | ({controls.BROKER_GROUP} if broker else set())


def _reset() -> Scenario:
    """The scenario's own values again (the open knob groups stay open); returns it."""
    controls.clear(P)
    previous.forget(P)
    st.session_state.pop(P + "sweep", None)
    base = load_scenario(st.session_state[P + "scenario"])
    st.session_state[P + "seed"] = base.seed
    controls.fill(P, base, force=True)
    return base


def _scenario_changed() -> None:
    controls.open_only(P, _unfolded(_reset()))


def _to_library() -> None:
    """Callback of "All scenarios": the Lessons page opens on its scenario library."""
    st.session_state.pop("ls_lesson", None)
    st.session_state["ls_view"] = {"lesson": "library"}
    st.session_state[P + "go_library"] = True


def sidebar(base: Scenario) -> Any:
    """Mode, seed, a place for the reference-run controls (returned), the knobs."""
    with st.sidebar:
        st.radio("Mode", list(MODE_LABELS), key=P + "mode", format_func=MODE_LABELS.get,
                 help=MODE_HELP)
        st.number_input("Random seed", min_value=0, max_value=state.MAX_SEED, step=1,
                        key=P + "seed",
                        help="The same seed gives exactly the same traffic and the same "
                        "job sizes, so runs can be compared and reproduced.")
        experiments.reps_control(P + "reps")
        slot = st.container()
        unfolded = _unfolded(base)
        controls.knob_panel(P, expanded=unfolded, scenario=base,
                            mode=st.session_state[P + "mode"])
        controls.broker_panel(P, expanded=controls.BROKER_GROUP in unfolded)
        st.button("Reset to the scenario's values", on_click=_reset, key=P + "reset",
                  help="Undo every change made with the knobs.")
    return slot


def scenario_picker() -> Scenario:
    """The page title and the scenario select box (grouped by topic) on one line, its
    description, and what has no knob (a compact top: the first screen holds the KPIs and the
    main chart at 1280×720)."""
    head, pick, browse = st.columns([1.1, 3, 1.1], vertical_alignment="center")
    head.title("Playground", anchor=False)
    sid = pick.selectbox("Scenario", ordered_ids(), key=P + "scenario", format_func=option_label,
                         on_change=_scenario_changed, label_visibility="collapsed",
                         help="A prepared situation to explore, grouped by topic; change it "
                         "with the knobs in the sidebar.")
    browse.button("All scenarios", icon=":material/grid_view:", key=P + "library",
                  on_click=_to_library, width="stretch",
                  help="The scenario library: every scenario as a card, by topic.")
    if st.session_state.pop(P + "go_library", False):
        st.switch_page("ui/pages/lessons.py")
    base = load_scenario(sid)
    fixed = [line for line in [profile_text(base)] if line]
    faults = fault_lines(base)
    if faults:
        fixed.append("Faults in this scenario: " + "; ".join(faults) + ". They are shaded "
                     "grey on the time charts.")
    st.caption("  \n".join([base.description, *(f":material/info: {line}" for line in fixed)]))
    return base


def render() -> None:
    _restore()
    base = scenario_picker()
    sid = st.session_state[P + "scenario"]
    if P + "error" in st.session_state:
        st.error(st.session_state.pop(P + "error"))
    slot = sidebar(base)
    changes = controls.overrides(P, base)
    try:
        scenario = apply_overrides(base, changes)
    except ScenarioError as exc:
        st.error(f"This combination is not valid: {exc}")
        return
    mode, seed = st.session_state[P + "mode"], int(st.session_state[P + "seed"])
    reps = int(st.session_state.get(P + "reps", 1))
    st.session_state[P + "view"] = {"scenario": sid, "seed": seed, "mode": mode,
                                    "reps": reps, "overrides": changes}
    st.query_params.from_dict(state.encode(sid, seed, mode, changes, reps=reps)
                              | link_params(P))
    modes = ["sync", "async"] if mode == "both" else [mode]
    keys = [run_key(m, scenario, m, seed) for m in modes]
    results = results_for(keys)
    if results is None:
        return
    reference = previous.track(P, keys)
    with slot:
        previous.controls(P, reference)
    before = results_of(reference) if reference else None
    spread = experiments.show({m: (scenario, m) for m in modes}, reps, seed,
                              MODE_TITLES) if reps > 1 else None
    if spread is None:
        kpi_rows_for(results, MODE_TITLES, before=before)
    show_warnings(results)
    chart_tabs(keys, "pg", results, sweep=lambda: sweep_tab(scenario, seed, P), before=reference,
               ladder=lambda: ladder_section("pg", scenario, modes, seed),
               ladders=lambda: stored("pg", scenario, modes, seed), replicated=spread)


render()
