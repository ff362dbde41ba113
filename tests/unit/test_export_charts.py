"""Chart files and the HTML report (images only where a browser is available)."""

from __future__ import annotations

from pathlib import Path

import plotly.io as pio
import pytest

from sim import load_scenario, run
from sim.charts.export import (
    browser_path,
    figure_image,
    fmt_value,
    kpi_rows,
    report_html,
    write_charts,
)
from sim.scenario import ScenarioError


@pytest.fixture(scope="module")
def results() -> dict:
    scenario = load_scenario("email_signup", {"duration": 15})
    return {m: run(scenario, m, 3) for m in ("sync", "async")}


def test_kpis_read_for_people() -> None:
    assert fmt_value(0.0641, "s") == "64 ms" and fmt_value(1.06, "s") == "1.06 s"
    assert fmt_value(None, "s") == "–" and fmt_value(12345, "") == "12,345"


def test_kpi_rows_follow_the_summary(results: dict) -> None:
    rows = {r["name"]: r for r in kpi_rows(results["async"].summary)}
    assert rows["p95 user wait"]["value"] == results["async"].summary["user_wait_s"]["p95"]
    assert rows["retries"]["value"] == results["async"].summary["tasks"]["retries"]


def test_report_is_self_contained_and_reproducible(results: dict) -> None:
    page = report_html(results)
    assert page.count("plotly.js v") == 1  # plotly.js inlined once, no CDN needed
    assert '<script src="http' not in page
    assert "arrivals:" in page and "seed: 3" in page  # the effective YAML, with the seed
    assert "p95 user wait" in page and "python -m sim run scenario.yaml" in page


def test_write_charts_html_only(tmp_path: Path, results: dict) -> None:
    written = write_charts(results, tmp_path, ["html"])
    names = {p.name for p in written}
    assert {"response_time_ecdf.html", "journey_sync.html", "report.html"} <= names
    assert all(p.stat().st_size > 0 for p in written)


def test_write_charts_rejects_unknown_format(tmp_path: Path, results: dict) -> None:
    with pytest.raises(ScenarioError, match="jpeg"):
        write_charts(results, tmp_path, ["jpeg"])


def test_no_browser_still_writes_html(tmp_path: Path, results: dict, monkeypatch) -> None:
    def no_chrome(*_a, **_k):
        raise RuntimeError("Kaleido requires Google Chrome to be installed.")

    monkeypatch.setattr(pio, "write_images", no_chrome)
    notices: list[str] = []
    written = write_charts(results, tmp_path, ["png"], notices)
    assert (tmp_path / "charts" / "throughput.html") in written
    assert not list((tmp_path / "charts").glob("*.png"))
    assert len(notices) == 1 and "\n" not in notices[0] and "chromium" in notices[0].lower()


@pytest.mark.skipif(browser_path() is None, reason="no Chrome/Chromium for kaleido")
def test_png_and_svg_are_real_images(results: dict) -> None:
    from sim.charts import fates_figure

    fig = fates_figure(results)
    assert figure_image(fig, "png").startswith(b"\x89PNG\r\n\x1a\n")
    assert b"<svg" in figure_image(fig, "svg")[:400]
