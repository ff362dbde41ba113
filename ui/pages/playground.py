"""Playground: one scenario, knobs in the sidebar, sync and async side by side."""

from __future__ import annotations

from typing import Any

import streamlit as st

from sim.scenario import ScenarioError, apply_overrides, bundled_ids, load_scenario
from ui import controls, state
from ui.runs import results_for, run_key
from ui.sweep import run_sweep
from ui.views import chart, chart_tabs, downloads, kpi_row, show_warnings

P = "pg_"
MODE_LABELS = {"both": "Both, side by side", "sync": "Sync only (job inline)",
               "async": "Async only (job in background)"}
MODE_HELP = ("Sync: the web thread runs the slow job itself and the user waits for it. "
             "Async: the web thread puts a message on a broker, answers at once, and "
             "background workers run the job.")


def scenario_title(scenario_id: str) -> str:
    try:
        return f"{load_scenario(scenario_id).title}  ({scenario_id})"
    except ScenarioError:
        return scenario_id


def _default_id(ids: list[str]) -> str:
    return "email_signup" if "email_signup" in ids else ids[0]


def _restore() -> None:
    """Fill the widgets: from this session's last view, else from the URL, else defaults."""
    if P + "scenario" in st.session_state:
        return
    ids = bundled_ids()
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


def sidebar() -> None:
    with st.sidebar:
        st.radio("Mode", list(MODE_LABELS), key=P + "mode", format_func=MODE_LABELS.get,
                 help=MODE_HELP)
        st.number_input("Random seed", min_value=0, step=1, key=P + "seed",
                        help="The same seed gives exactly the same traffic and the same "
                        "job sizes, so runs can be compared and reproduced.")
        controls.knob_panel(P)
        controls.broker_panel(P)
        st.button("Reset to the scenario's values", on_click=_reset, key=P + "reset",
                  help="Undo every change made with the knobs.")


def render() -> None:
    _restore()
    st.title("Playground")
    ids = bundled_ids()
    sid = st.selectbox("Scenario", ids, key=P + "scenario", format_func=scenario_title,
                       on_change=_scenario_changed,
                       help="A prepared situation to explore; change it with the knobs.")
    base = load_scenario(sid)
    st.caption(base.description)
    if P + "error" in st.session_state:
        st.error(st.session_state.pop(P + "error"))
    sidebar()
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
    _kpis(results)
    show_warnings(results)
    _charts(results, keys, scenario, seed)


def _kpis(results: dict[str, Any]) -> None:
    names = {"sync": "Sync — the job runs inside the request",
             "async": "Async — the job goes to a broker and workers"}
    previous = None
    for label, result in results.items():
        kpi_row(names.get(label, label), result.summary,
                previous.summary if previous is not None else None, "sync")
        previous = result


def _charts(results: dict[str, Any], keys: list, scenario: Any, seed: int) -> None:
    tabs = chart_tabs(keys, "pg")
    if tabs[4].open is not False:
        with tabs[4]:
            _sweep(scenario, seed)
    if tabs[5].open is not False:
        with tabs[5]:
            downloads(results, "pg")


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
