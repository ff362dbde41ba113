"""The measured overheads that ship with the project are the ones the calibration lab fitted,
and the About page states them."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from sim.calibrate.published import (
    SCENARIO_ID,
    comparison_rows,
    measured_overheads,
    published_record,
)
from sim.scenario import load_scenario

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def test_bundled_scenario_carries_the_fitted_overheads():
    record, scenario = published_record(), load_scenario(SCENARIO_ID)
    fit = record["fit"]
    assert scenario.broker.dispatch_delay.model_dump() == fit["dispatch_delay"]
    assert scenario.workers.task_overhead.model_dump() == fit["task_overhead"]
    assert scenario.workers.task_overhead_acks_late.model_dump() == fit["task_overhead_acks_late"]
    assert record["command"].startswith("python -m sim calibrate --broker redis")
    assert len(comparison_rows(record)) == 6


def test_about_page_states_the_values_and_how_they_were_obtained():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("ui/pages/about.py").run()
    assert not at.exception
    text = "\n".join(m.value for m in at.markdown)
    for key, value in measured_overheads().items():
        assert f"`{key}`: {value}" in text
    assert published_record()["command"] in text
    assert len(at.dataframe) == 1
