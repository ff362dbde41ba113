"""Pieces every page shows: the KPI row, a chart with its export buttons, warnings, downloads."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import streamlit as st

from sim.charts.before import with_before
from sim.charts.captions import experiment_caption, with_caption
from sim.charts.export import (
    ExportUnavailable,
    browser_path,
    figure_html,
    figure_image,
    fmt_value,
    kpi_rows,
    optional_kpis,
    report_html,
    version,
)
from sim.charts.palette import results_colors
from sim.charts.replicated import REPLICATED
from sim.charts.summaries import summary
from sim.charts.titles import caption, full_title
from sim.export import RECORDS, effective_yaml, records_csv, summary_json
from sim.runner import Result
from ui.animation_view import render_animation
from ui.knobs import plain_words
from ui.layout import kpi_columns
from ui.plotly_chart import plotly_chart
from ui.runs import RunKey, figure, names, results_of

PLOT_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def kpi_row(title: str, summary: dict[str, Any], baseline: dict[str, Any] | None = None,
            baseline_name: str = "", extra: list[str] | None = None, was: bool = False,
            color: str | None = None) -> None:
    """One row of st.metric: the KPIs of a run (and the ``extra`` optional ones), with the
    change against ``baseline`` (with ``was``: the same run before a knob change, "was …")."""
    rows = kpi_rows(summary, extra)
    base_rows = kpi_rows(baseline, extra) if baseline is not None else [None] * len(rows)
    for col, row, base in zip(kpi_columns(title, len(rows), color), rows, base_rows,
                              strict=False):
        delta, color, arrow = None, "inverse" if row["lower_is_better"] else "normal", "auto"
        if base is not None and row["value"] is not None and base["value"] is not None:
            diff = row["value"] - base["value"]
            if fmt_value(abs(diff), row["unit"]) in ("0", "0 ms", "0.0 req/s"):
                delta, color, arrow = f"same as {baseline_name}", "off", "off"
            elif was:  # "↑ was 1.06 s", red when it got worse
                worse = (diff > 0) == row["lower_is_better"]
                delta, color = f"was {base['text']}", "red" if worse else "green"
                arrow = "up" if diff > 0 else "down"
            else:
                sign = "+" if diff >= 0 else "-"
                delta = f"{sign}{fmt_value(abs(diff), row['unit'])} vs {baseline_name}"
        col.metric(row["name"], row["text"], delta=delta, delta_color=color, delta_arrow=arrow,
                   help=row["help"])


def kpi_rows_for(results: Mapping[str, Result], titles: Mapping[str, str] | None = None,
                 baseline: str | None = None, before: Mapping[str, Result] | None = None
                 ) -> None:
    """A KPI row per run; every row has the same optional KPIs (those that matter here), and
    rows after the first show the change against ``baseline`` (default: the first run). A run
    with a ``before`` (the same design before a knob change) shows the change since then."""
    labels = list(results)
    extra = optional_kpis([r.summary for r in results.values()])
    _metric_style(len(extra))
    base = baseline if baseline in results else labels[0]
    colors = results_colors(results)  # the square before each row's name: its chart colour
    for label in labels:
        title = (titles or {}).get(label, label)
        if before and label in before:
            kpi_row(title, results[label].summary, before[label].summary, "before", extra,
                    was=True, color=colors[label])
        elif label == base:
            kpi_row(title, results[label].summary, extra=extra, color=colors[label])
        else:
            kpi_row(title, results[label].summary, results[base].summary,
                    base.split(":")[0], extra, color=colors[label])


def _metric_style(extra: int) -> None:
    """Give every KPI label the same height, so that the numbers of a row line up (the rest of
    the KPI look, wrapping instead of "…", is in :mod:`ui.layout`)."""
    lines = "1.3em" if extra == 0 else "2.6em"
    st.html(f"""<style>
[data-testid="stMetricLabel"] {{ min-height: {lines}; align-items: flex-start; }}
</style>""")


def show_warnings(results: Mapping[str, Result]) -> None:
    """The engine's warnings (overload, drain limit, ...) as clear boxes."""
    for label, result in results.items():
        for text in result.warnings:
            st.warning(f"**{label}**: {plain_words(text)}", icon=":material/warning:")


@lru_cache(maxsize=1)
def images_possible() -> bool:
    return browser_path() is not None


NO_CHROMIUM = ("**PNG and SVG downloads are off here**: they are drawn by a headless Chrome or "
               "Chromium on the server, and none was found. Install one (Debian/Ubuntu: "
               "`apt-get install -y chromium`, or set `BROWSER_PATH`) and restart the app. "
               "**HTML downloads work without it** — an interactive chart or report that "
               "opens in any browser, offline.")


def export_notice() -> None:
    """Say once on the page why PNG/SVG downloads are off (no Chromium); nothing otherwise."""
    if not images_possible():
        st.info(NO_CHROMIUM, icon=":material/image_not_supported:")


def _image(fig: Any, fmt: str) -> bytes:
    try:
        return figure_image(fig, fmt)
    except ExportUnavailable as exc:  # shown as a text file rather than a broken image
        return f"{exc}\n".encode()


def exported_figure(fig: Any, results: Mapping[str, Result] | None = None, note: str = ""
                    ) -> Any:
    """What a download holds: ``fig`` with its caption line (of ``results``, or ``note`` for an
    experiment's chart: replications, a sweep, the planner)."""
    if note:
        return caption(fig, f"{note} · Async Lab {version()}")
    return with_caption(fig, results, version()) if results else fig


def chart(fig: Any, name: str, key: str, results: Mapping[str, Result] | None = None,
          note: str = "") -> None:
    """A chart and, under it, a "Download" menu with PNG / SVG / HTML files of the very same
    figure (with a caption line naming the scenario, runs, seed and changed settings of
    ``results``, or ``note`` for an experiment's chart). The chart's key numbers, in words,
    are its text alternative and sit behind an "In numbers" button.

    The menu's buttons are built only when it is opened: every widget on a page costs a new
    visitor's browser time before the first chart is drawn."""
    words = summary(name, results or {}, fig)
    alt = f"Chart: {full_title(fig)}. {words}"
    plotly_chart(fig, f"chart_{key}", alt, PLOT_CONFIG)
    with st.container(horizontal=True, gap="small"):  # buttons keep their width, then wrap
        menu = st.popover("Download", icon=":material/download:", key=download_key(key),
                          on_change="rerun", help="This chart as PNG or SVG (for slides) or "
                          "as an interactive HTML page, with a caption line saying where it "
                          "came from.")
        if menu.open:
            with menu:
                _download_buttons(lambda: exported_figure(fig, results, note), name, key)
        with st.popover("In numbers", icon=":material/table_chart:",
                        help="The key numbers of this chart, in words."):
            st.markdown(f"**{full_title(fig)}**\n\n{words}")


def download_key(key: str) -> str:
    """The session key of a chart's "Download" menu (True while it is open)."""
    return f"dl_{key}"


def _download_buttons(exported: Callable[[], Any], name: str, key: str) -> None:
    """PNG, SVG and HTML of ``exported()`` (built only when a button is clicked)."""
    can_image = images_possible()
    why = None if can_image else "No Chrome/Chromium found here, so PNG/SVG export is off: " \
        "install chromium (apt-get install -y chromium). HTML export works."
    for fmt, mime, what in (("png", "image/png", "a picture for slides"),
                            ("svg", "image/svg+xml", "a vector picture that scales")):
        st.download_button(
            fmt.upper(), data=lambda t=fmt: _image(exported(), t), file_name=f"{name}.{fmt}",
            mime=mime, key=f"dl_{fmt}_{key}", icon=":material/image:", on_click="ignore",
            disabled=not can_image, width="stretch", help=why or f"{fmt.upper()}: {what}, "
            "rendered by headless Chromium, with a caption saying where it came from.")
    st.download_button(
        "HTML", data=lambda: figure_html(exported()), file_name=f"{name}.html",
        mime="text/html", key=f"dl_html_{key}", on_click="ignore", icon=":material/code:",
        width="stretch", help="An interactive chart that opens in any browser, offline.")


TABS = ("Response time", "Over time & queues", "Tasks & retries", "Defences & recovery",
        "Request journeys", "Theory & load sweep", "Downloads", "Watch it run")
# the first tab holds one chart: a second figure there costs a new visitor about 0.3 s before
# the first chart is drawn (both are drawn in the same task)
TAB_CHARTS = (("response_time_ecdf",),
              ("response_time_over_time", "throughput", "queues", "service_queues", "consumer_lag",
               "busy", "worker_share"),
              ("service_latency", "task_fates", "retries"), ("goodput", "amplification", "breaker"),
              ("journey_",), ("theory",))


MODE_TITLES = {"sync": "Sync — the job runs inside the request",
               "async": "Async — the job goes to a broker and workers"}


def chart_tabs(keys: list[RunKey], key: str, results: Mapping[str, Result],
               sweep: Callable[[], None] | None = None,
               before: list[RunKey] | None = None,
               ladder: Callable[[], None] | None = None,
               ladders: Callable[[], Mapping[str, Any] | None] | None = None,
               replicated: Mapping[str, Any] | None = None) -> None:
    """The charts in tabs by topic, drawing only the open tab: the chart groups, then the
    extras: the defence ladder (``ladder``), the load sweep (``sweep``; elsewhere a pointer
    to the Playground), downloads (with the ladder's tables from ``ladders``) and the
    animation. The runs of ``before`` (a reference) are drawn faded on the response-time
    charts. With ``replicated`` (label -> :class:`sim.experiment.Replications` of the same
    labels), the charts of :data:`sim.charts.replicated.REPLICATED` show the mean and 95 %
    band or error bars over the replications; the others say they show the first one."""
    tabs = _chart_groups(keys, key, None if replicated else before, replicated)
    first = first_only(replicated)
    extras = {
        "Defences & recovery": ladder or (lambda: st.caption(
            "The defence ladder (every defence, rung by rung, on the same traffic) is on the "
            "Playground page.")),
        "Theory & load sweep": sweep or (lambda: st.caption(
            "The load sweep is on the Playground page.")),
        "Downloads": lambda: _first_then(first, lambda: downloads(
            results, key, ladders() if ladders else None)),
        "Watch it run": lambda: _first_then(first, lambda: render_animation(dict(results),
                                                                             key=key)),
    }
    for name, tab in zip(TABS, tabs, strict=True):
        if name in extras and tab.open is not False:
            with tab:
                extras[name]()


def _first_then(first: str | None, show: Callable[[], None]) -> None:
    """``show()`` under the note that it is about the first replication only (if any)."""
    if first:
        st.caption(first)
    show()


BEFORE_CHARTS = ("response_time_ecdf", "response_time_over_time")


def first_only(replicated: Mapping[str, Any] | None) -> str | None:
    """The caption of a chart that shows only the first of several replications."""
    if not replicated:
        return None
    seeds = next(iter(replicated.values())).seeds
    return (f":material/filter_1: This shows the **first replication only** (seed {seeds[0]}) "
            f"of {len(seeds)}; the key figures above and the charts with a band or error bars "
            f"are means over all {len(seeds)} replications with 95 % confidence intervals.")


def replicated_chart(name: str, key: str, results: Mapping[str, Result],
                     replicated: Mapping[str, Any]) -> bool:
    """The chart across replications that stands in for ``name``; False when there is none."""
    fig = REPLICATED[name](replicated, results_colors(results), results)
    if fig is None:
        return False
    seeds = next(iter(replicated.values())).seeds
    note = experiment_caption({label: (r.scenario, r.mode) for label, r in replicated.items()},
                              seeds[0], len(seeds), "means with 95 % confidence intervals")
    chart(fig, f"{name}_reps", f"{key}_{name}_reps", results, note=note)
    span = (f"{seeds[0]}–{seeds[-1]}" if seeds[-1] - seeds[0] == len(seeds) - 1
            else ", ".join(map(str, seeds)))  # a stopped experiment keeps the seeds it finished
    st.caption(f"Mean over {len(seeds)} replications (seeds {span}) with the "
               "95 % confidence interval of the mean (Student t) as a translucent band or "
               "error bars" + (": at each response time, the interval of the replications' "
                               "shares (a pointwise band of their ECDFs)."
                               if name == "response_time_ecdf" else "."))
    return True


def _chart_groups(keys: list[RunKey], key: str, before: list[RunKey] | None = None,
                  replicated: Mapping[str, Any] | None = None) -> list[Any]:
    export_notice()
    tabs = st.tabs(list(TABS), key=f"{key}_tab", on_change="rerun")
    available = names(keys)
    for tab, group in zip(tabs, TAB_CHARTS, strict=False):
        if tab.open is False:
            continue
        with tab:
            wanted = [n for n in group if n in available] + [
                n for n in available if n.startswith("journey_") and "journey_" in group]
            if replicated and any(n not in REPLICATED for n in wanted):
                st.caption(first_only(replicated))
            for name in wanted:
                if replicated and name in REPLICATED and replicated_chart(
                        name, key, results_of(keys), replicated):
                    continue
                fig = figure(name, keys)
                if fig is not None and before and name in BEFORE_CHARTS:
                    fig = with_before(fig, figure(name, before))
                if fig is not None:
                    chart(fig, name, f"{key}_{name}", results_of(keys))
    return tabs


def _records_zip(results: Mapping[str, Result]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("summary.json", summary_json(dict(results)))
        for label, result in results.items():
            folder = "".join(c if c.isalnum() else "_" for c in label)
            zf.writestr(f"{folder}/scenario.yaml", effective_yaml(result))
            for part in RECORDS:
                zf.writestr(f"{folder}/{part}.csv", records_csv(result, part))
    return buffer.getvalue()


def downloads(results: Mapping[str, Result], key: str,
              ladders: Mapping[str, Any] | None = None) -> None:
    """Report (with the defence ladder when it was run), summary, raw records and scenario
    for the runs on the page."""
    first = next(iter(results.values()))
    box = st.container(horizontal=True, gap="small")  # buttons keep their width, then wrap
    box.download_button(
        "Report (HTML)", data=lambda: report_html(results, ladders=ladders),
        file_name=f"{first.scenario.id}_report.html", mime="text/html", key=f"rep_{key}",
        on_click="ignore", type="primary", icon=":material/download:",
        help="One self-contained page: key figures, all charts, the scenario YAML and seed.")
    box.download_button(
        "Summary (JSON)", data=lambda: summary_json(dict(results)),
        file_name=f"{first.scenario.id}_summary.json", mime="application/json",
        key=f"json_{key}", on_click="ignore", help="The summary numbers of every run.")
    box.download_button(
        "Records (CSV, zip)", data=lambda: _records_zip(results),
        file_name=f"{first.scenario.id}_records.zip", mime="application/zip", key=f"csv_{key}",
        on_click="ignore", help="Every request, task, attempt and the time series, as CSV.")
    box.download_button(
        "Scenario (YAML)", data=effective_yaml(first), file_name=f"{first.scenario.id}.yaml",
        mime="text/yaml", key=f"yaml_{key}", on_click="ignore",
        help="The scenario as run, with its seed: load it in the Scenario lab or the CLI.")
