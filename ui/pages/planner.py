"""Capacity planner: the smallest number of workers (or threads) that meets the objectives."""

from __future__ import annotations

import streamlit as st

from sim.charts.captions import experiment_caption
from sim.scenario import load_scenario
from ui import planner_link
from ui.catalogue import option_label, ordered_ids
from ui.planner import KNOBS, objective, run_plan, show_plan

P = "plan_"
planner_link.restore(P)

st.title("Capacity planner")
st.caption("How many workers do we need so that 95 % of users get an answer within 2 s? The "
           "planner runs each setting several times on the same traffic and keeps the smallest "
           "one whose objectives hold even at the upper end of the 95 % confidence interval. "
           "It bisects the range, so it runs only a few settings.")
if P + "error" in st.session_state:
    st.error(st.session_state.pop(P + "error"))
ids = ordered_ids()
c1, c2 = st.columns([3, 1])
sid = c1.selectbox("Scenario", ids, key=P + "scenario", format_func=option_label,
                   help="The scenario to size; every other setting stays as it is.")
mode = c2.radio("Design", ["async", "sync"], key=P + "mode", horizontal=True,
                help="async: the job goes to workers; sync: it runs in the web thread.")
scenario = load_scenario(sid)
c1, c2, c3 = st.columns([2, 2, 1])
knob = c1.selectbox("Setting to size", list(KNOBS), format_func=KNOBS.get, key=P + "knob",
                    help="The setting the planner searches over; more of it never hurts.")
low, high = c2.slider("Range to search", 1, 64, key=P + "range",
                      help="The smallest and largest values to consider.")
reps = c3.slider("Replications", 2, 30, key=P + "reps",
                 help="Runs per setting (seeds seed, seed+1, ...); more give tighter intervals.")
slo = dict([objective(1, P)])
if st.toggle("Add a second objective", key=P + "second",
             help="Both objectives must hold at the chosen setting."):
    slo.update([objective(2, P)])
planner_link.save(P, slo)
token = (sid, mode, knob, low, high, reps, tuple(slo.items()))
if st.button("Find the smallest setting", key=P + "run", type="primary",
             help="Runs the search (runs done before are reused)."):
    outcome = run_plan(scenario, slo, knob, low, high, reps, mode)
    if outcome.result is not None or outcome.stopped:
        st.session_state[P + "result"] = (token, outcome)
stored = st.session_state.get(P + "result")
if stored is not None:
    if stored[0] != token:
        st.info("The settings changed since this search: run it again to update it.")
    note = experiment_caption({mode: (scenario, mode)}, scenario.seed, reps,
                              f"{knob} searched from {low} to {high}")
    show_plan(stored[1].result, P + "chart", stored[1].stopped, note)
