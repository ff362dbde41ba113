"""The reference page of the timing test: a bare Streamlit page with one KPI and the
Playground's main chart (the same figure of the same runs), nothing else, drawn by Streamlit's
own ``st.plotly_chart`` (which loads the whole of plotly.js). Its first-chart time is what
Streamlit and its Plotly element alone cost on this machine; the Playground (which draws with
plotly.js's basic bundle, ``ui/plotly_chart.py``) is read against it."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import streamlit as st

from sim.scenario import load_scenario
from ui.runs import figure, run_key

scenario = load_scenario("email_signup")
keys = [run_key(mode, scenario, mode, scenario.seed) for mode in ("sync", "async")]
st.title("Reference: one chart")
st.metric("runs", len(keys))
st.plotly_chart(figure("response_time_ecdf", keys), width="stretch", theme=None)
