"""Scenario lab: paste or upload a scenario YAML, see validation errors, run it, download it."""

from __future__ import annotations

from typing import Any

import streamlit as st

from sim.safe_yaml import MAX_BYTES
from sim.scenario import SCENARIO_DIR, ScenarioError, from_dict, parse_yaml
from ui.catalogue import fault_lines, option_label, ordered_ids, profile_text
from ui.runs import results_for, run_key
from ui.views import MODE_TITLES, chart_tabs, kpi_rows_for, show_warnings

P = "lab_"
EDITOR_CSS = """<style>
.st-key-lab_yaml textarea { font-family: "Source Code Pro", "DejaVu Sans Mono", monospace;
  font-size: 0.9rem; line-height: 1.45; tab-size: 2; }
.st-key-lab_stale { border-left: 6px solid #B45309; padding-left: 0.9rem; }
.st-key-lab_stale .js-plotly-plot { filter: grayscale(1); }
</style>"""


def _load_template() -> None:
    path = SCENARIO_DIR / f"{st.session_state[P + 'template']}.yaml"
    st.session_state[P + "yaml"] = path.read_text(encoding="utf-8")
    st.session_state.pop(P + "valid", None)


def _uploaded() -> None:
    """Put an uploaded file in the editor, unless it is too big or not text (then say so)."""
    upload = st.session_state.get(P + "upload")
    if upload is None:
        return
    st.session_state.pop(P + "valid", None)
    if upload.size > MAX_BYTES:
        st.session_state[P + "error"] = (f"{upload.size / 1024:,.0f} KB is too large; a "
                                         f"scenario may be at most {MAX_BYTES // 1024} KB")
        return
    try:
        st.session_state[P + "yaml"] = upload.getvalue().decode("utf-8")
    except UnicodeDecodeError:
        st.session_state[P + "error"] = "not a scenario: the file is not UTF-8 text"


def editor() -> None:
    ids = ordered_ids()
    if P + "yaml" not in st.session_state:
        st.session_state[P + "template"] = "email_signup" if "email_signup" in ids else ids[0]
        _load_template()
    c1, c2 = st.columns(2)
    c1.selectbox("Start from a bundled scenario", ids, key=P + "template", format_func=option_label,
                 on_change=_load_template, help="Copies that scenario's YAML into the editor.")
    c2.file_uploader("…or upload a YAML file", type=["yaml", "yml"], key=P + "upload",
                     on_change=_uploaded, help="A scenario file, e.g. one downloaded here.")
    if P + "error" in st.session_state:
        st.error(f"Upload refused: {st.session_state.pop(P + 'error')}", icon=":material/block:")
    st.html(EDITOR_CSS)
    st.text_area("Scenario YAML", key=P + "yaml", height=380, max_chars=MAX_BYTES,
                 help="Times in seconds, rates per second. Unknown keys are rejected, and the "
                 "message names the field.")


def render() -> None:
    st.query_params.clear()
    st.title("Scenario lab")
    st.caption("Write your own scenario (or change a bundled one), check it, and run it in both "
               "designs. Keys you leave out take their default; an unknown key is refused with "
               "the list of allowed ones.")
    editor()
    if st.button("Validate and run", key=P + "run", type="primary"):
        try:
            scenario = from_dict(parse_yaml(st.session_state[P + "yaml"], "scenario"))
        except ScenarioError as exc:
            st.session_state.pop(P + "valid", None)
            st.error(f"Not a valid scenario — {exc}", icon=":material/block:")
            return
        st.session_state[P + "valid"] = scenario
        st.session_state[P + "ran_yaml"] = st.session_state[P + "yaml"]
    scenario = st.session_state.get(P + "valid")
    if scenario is None:
        return
    stale = st.session_state.get(P + "ran_yaml") != st.session_state[P + "yaml"]
    if stale:
        st.warning("**These results are out of date**: the YAML has changed since it was run. "
                   "Press **Validate and run** to see what your change does.",
                   icon=":material/history:")
    with st.container(key=P + ("stale" if stale else "fresh")):
        results_view(scenario)


def results_view(scenario: Any) -> None:
    """What the last valid YAML gives: its summary line, download, KPIs, warnings, charts."""
    st.success(f"Valid scenario: **{scenario.title}** ({scenario.id}), seed {scenario.seed}.")
    for line in [profile_text(scenario), *fault_lines(scenario)]:
        if line:
            st.caption(f":material/info: {line}")
    st.download_button("Effective scenario (YAML, all defaults filled in)",
                       data=scenario.to_yaml(), file_name=f"{scenario.id}.yaml",
                       mime="text/yaml", key=P + "dl_yaml", on_click="ignore",
                       icon=":material/download:")
    keys = [run_key(mode, scenario, mode) for mode in ("sync", "async")]
    results = results_for(keys)
    if results is None:
        return
    kpi_rows_for(results, MODE_TITLES)
    show_warnings(results)
    chart_tabs(keys, "lab", results)


render()
