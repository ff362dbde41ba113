"""A tiny page for the animation tests (AppTest and the browser): ``render_animation`` on a short
run of a bundled scenario, as the Playground, Compare and Lessons pages call it.

Query parameters: ``scenario`` (default email_signup), ``duration`` (default 20 s), ``mode``
(both | sync | async, default both). A seed box stands for a knob: changing it builds a new run
and a new figure.

``tests/ui/static`` links to the app's ``static/`` folder: Streamlit serves the static folder
next to the page it runs, and the charts load plotly.js from there (ui/plotly_chart.py).
"""

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from anywhere

from sim.runner import compare
from sim.scenario import apply_overrides, load_scenario
from ui.animation_view import render_animation


@st.cache_resource(show_spinner=False)
def runs(scenario_id: str, duration: float, seed: int = 42) -> dict:
    return compare(apply_overrides(load_scenario(scenario_id), {"duration": duration,
                                                                "seed": seed}))


st.set_page_config(page_title="Animation test page", layout="wide")
st.title("Animation test page")
params = st.query_params
seed = st.number_input("Seed (a knob: a new run, a new figure)", value=42, step=1, key="seed")
results = runs(params.get("scenario", "email_signup"), float(params.get("duration", "20")),
               int(seed))
mode = params.get("mode", "both")
render_animation({m: r for m, r in results.items() if mode in ("both", m)}, key="t")
