"""The vendored plotly.js basic bundle (ui/plotly_chart.py) matches the Python plotly package's
plotly.js version, is served by Streamlit, and can draw every chart the app builds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import plotly.graph_objects as go
import pytest
from plotly.offline import get_plotlyjs_version

from sim.charts import build_figure, figure_names
from sim.charts.animation import build_animation
from sim.runner import run
from sim.scenario import load_scenario
from ui.plotly_chart import BUNDLE_PATH, TRACE_TYPES, UnsupportedTrace, plotly_chart

ROOT = Path(__file__).resolve().parents[2]


def test_the_bundle_is_plotly_basic_of_the_python_packages_version() -> None:
    head = BUNDLE_PATH.read_text(encoding="utf-8")[:200]
    found = re.search(r"plotly\.js \(basic - minified\) v(\S+)", head)
    assert found, head
    assert found.group(1) == get_plotlyjs_version()  # a plotly upgrade needs a new bundle
    assert (BUNDLE_PATH.parent / "plotly-LICENSE.txt").exists()


def test_streamlit_serves_the_static_folder() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["enableStaticServing"] is True
    assert BUNDLE_PATH.parent == ROOT / "static"  # next to app.py, where Streamlit looks


def test_the_code_builds_only_traces_the_bundle_draws() -> None:
    """Every trace class the app's chart code names is one the basic bundle has."""
    names = set()
    for path in [*ROOT.glob("sim/**/*.py"), *ROOT.glob("ui/**/*.py")]:
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"\bgo\.([A-Z][A-Za-z]+)\(", text))
        assert not re.search(r"\bpx\.[a-z_]+\(", text), f"{path}: plotly express picks types"
    traces = {name.lower() for name in names} - {"figure"}
    assert traces and traces <= TRACE_TYPES, traces


@pytest.mark.parametrize("scenario", ["email_signup", "kafka_partitions_hot_key",
                                      "signup_fanout", "broker_outage"])
def test_every_chart_of_a_run_fits_the_bundle(scenario: str) -> None:
    base = load_scenario(scenario)
    results = {mode: run(base, mode) for mode in ("sync", "async")}
    figures = {name: build_figure(name, results) for name in figure_names(results)}
    figures["animation"] = build_animation(results, max_frames=50)
    drawn = {name: fig for name, fig in figures.items() if fig is not None}
    assert len(drawn) >= 5
    for name, fig in drawn.items():
        assert {t.type for t in fig.data} <= TRACE_TYPES, name


def test_a_trace_the_bundle_cannot_draw_is_refused_by_name() -> None:
    fig = go.Figure(go.Heatmap(z=[[1, 2], [3, 4]]))
    with pytest.raises(UnsupportedTrace, match=r"trace type heatmap is not in plotly\.js's basic"):
        plotly_chart(fig, "heat", "a heatmap")
