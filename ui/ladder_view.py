"""The defence ladder on a page: a button, a progress bar while the rungs run, and the table.

The rungs and their figures come from ``sim.ladder`` (the same traffic for every rung); this
module only lays them out. Results are kept in the session per configuration, so the table (and
the HTML report) show them until a knob changes.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sim.ladder import Row, defence_ladder, table
from sim.scenario import Scenario
from ui.runs import cached_run

INTRO = ("**Defence ladder** — the same traffic (same seed) with no defences, then one more "
         "defence per rung: back-off + jitter, a retry budget, a circuit breaker, deadlines, "
         "load shedding. Each rung says what it bounds. Six runs per mode.")


def _token(scenario: Scenario, modes: list[str], seed: int) -> tuple[str, tuple[str, ...], int]:
    return scenario.model_dump_json(), tuple(modes), seed


def stored(key: str, scenario: Scenario, modes: list[str], seed: int
           ) -> dict[str, list[Row]] | None:
    """The ladder of this very configuration, if it was run in this session."""
    found = st.session_state.get(f"{key}_ladder")
    if found is not None and found[0] == _token(scenario, modes, seed):
        return found[1]
    return None


def ladder_section(key: str, scenario: Scenario, modes: list[str], seed: int) -> None:
    """The button, the progress bar and, once run, one table per mode."""
    st.markdown(INTRO)
    if st.button("Run the defence ladder", key=f"{key}_run_ladder", type="primary"):
        bar = st.progress(0.0, text="Running the defence ladder…")
        total = 6 * len(modes)
        ladders: dict[str, list[Row]] = {}
        for m, mode in enumerate(modes):
            def progress(done: int, _n: int, rung: str, m: int = m, mode: str = mode) -> None:
                text = f"{mode}: {rung}…" if rung else f"{mode}: done"
                bar.progress(min(1.0, (6 * m + done) / total), text=text)

            ladders[mode] = defence_ladder(scenario, mode, seed, progress, cached_run)
        bar.empty()
        st.session_state[f"{key}_ladder"] = (_token(scenario, modes, seed), ladders)
    ladders = stored(key, scenario, modes, seed)
    if ladders is None:
        if st.session_state.get(f"{key}_ladder") is not None:
            st.info("The knobs changed since the last ladder: run it again to update it.")
        return
    for mode, rows in ladders.items():
        show_table(mode, rows)


def markdown_table(frame: pd.DataFrame) -> str:
    """``frame`` as a Markdown table: its cells wrap ("not before the end") where a data grid
    would cut them to "…" at 1280×720, and "+ retry budget" stays text, not a list item."""
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(cell(c) for c in frame.columns) + " |",
             "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |"
              for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def show_table(mode: str, rows: list[Row]) -> None:
    st.markdown(f"**{mode}**")
    st.markdown(markdown_table(pd.DataFrame(table(rows))))
    st.caption("Peak calls: the busiest 5 s at the downstream, as a multiple of the arrival "
               "rate. Retries: task retries and users' resends per original request. Recovery: "
               "seconds from the end of the last fault until goodput is back to 90 % of the "
               "arrival rate (— without a fault). p99 user wait counts everyone, also those "
               "who gave up or were refused.")


__all__ = ["ladder_section", "show_table", "stored"]
