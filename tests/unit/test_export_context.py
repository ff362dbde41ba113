"""Exported charts say where they came from (a caption line), an empty chart says why it is
empty, and the CLI says where it wrote its files."""

from __future__ import annotations

import pytest

from sim.charts import build_figure
from sim.charts.captions import caption_text, changed_settings, with_caption
from sim.charts.export import figure_html, write_charts
from sim.charts.titles import full_title
from sim.cli import main
from sim.runner import compare
from sim.scenario import apply_overrides, load_scenario


@pytest.fixture(scope="module")
def runs() -> dict:
    scenario = apply_overrides(load_scenario("email_signup"),
                               {"duration": 15, "workers.count": 3, "task.failure_rate": 0})
    return compare(scenario)


def test_the_caption_names_scenario_runs_seed_and_what_changed(runs: dict) -> None:
    text = caption_text(runs, "9.9")
    assert text.startswith("Send a welcome email after sign-up (email_signup) · sync and async")
    assert "seed 42" in text and "Async Lab 9.9" in text
    assert "workers.count=3" in text and "duration=15" in text
    assert changed_settings(load_scenario("email_signup")) == []
    fig = with_caption(build_figure("throughput", runs), runs)
    assert "workers.count=3" in full_title(fig)
    assert fig.layout.title.xref == "paper"  # lined up with the plot, not the image's edge
    assert "workers.count=3" not in full_title(build_figure("throughput", runs))  # a copy


def test_a_b_captions_say_what_each_run_changed(runs: dict) -> None:
    ab = {"A: 3 workers": runs["async"],
          "B: 4 workers": compare(apply_overrides(runs["async"].scenario,
                                                  {"workers.count": 4}))["async"]}
    text = caption_text(ab)
    assert "A: duration=15" in text and "B: duration=15" in text and "workers.count=4" in text


def test_every_file_the_cli_writes_carries_the_caption(runs: dict, tmp_path) -> None:
    written = write_charts(runs, tmp_path, ["html"])
    pages = [p for p in written if p.suffix == ".html" and p.parent.name == "charts"]
    assert pages and all("workers.count=3" in p.read_text(encoding="utf-8") for p in pages)


def test_an_empty_retries_chart_says_there_were_none(runs: dict) -> None:
    fig = build_figure("retries", runs)
    notes = [a.text for a in fig.layout.annotations]
    assert "No retries and no users resending in this run" in notes
    assert list(fig.layout.yaxis.tickvals) == [0]  # no made-up 0.2 … 1.0 ticks
    assert "No retries" in figure_html(fig)


def test_the_cli_says_where_it_wrote(tmp_path, capsys) -> None:
    assert main(["run", "email_signup", "--mode", "async", "--set", "duration=5",
                 "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert f"to {(tmp_path / 'out').resolve()}" in err and "summary.json" in err


def test_experiment_charts_are_exported_with_their_caption(runs: dict) -> None:
    """Replications, sweeps and the planner: scenario, configurations, seeds, what varied."""
    from sim.charts.captions import experiment_caption
    from sim.charts.experiment import kpi_bars_figure
    from ui.views import exported_figure

    scenario = runs["async"].scenario
    one = experiment_caption({"async": (scenario, "async")}, 42, 5, "workers.count searched "
                             "from 1 to 32")
    assert one.startswith("Send a welcome email after sign-up (email_signup) · async · "
                          "seeds 42–46 (5 replications) · workers.count searched from 1 to 32")
    assert "workers.count=3" in one
    other = apply_overrides(scenario, {"workers.count": 4})
    ab = experiment_caption({"A: 3 workers": (scenario, "async"),
                             "B: 4 workers": (other, "async")}, 7, 1)
    assert "seed 7 ·" in ab and ab.endswith("workers.count=4")
    assert "A: duration=15.0, task.failure_rate=0.0, workers.count=3 · B: " in ab
    import pandas as pd

    fig = kpi_bars_figure(pd.DataFrame([{"label": "async", "kpi": "p95", "mean": 1.0,
                                         "half_width": 0.1}]))
    assert one in full_title(exported_figure(fig, note=one))
    assert one not in full_title(fig)
