"""Charts out of a run: PNG/SVG images (kaleido + Chromium), standalone HTML, and a report.

``write_charts(results, out_dir, formats)`` writes every figure of :func:`sim.charts.figures_for`
(the very charts the app shows) plus ``report.html``, a self-contained comparison report with the
KPIs, all charts, the scenario YAML, seed and version, so the run can be reproduced from the file.
PNG/SVG need a Chrome or Chromium (kaleido drives it); without one HTML is still written and a
one-line message says what to install.
"""

from __future__ import annotations

import html
import threading
import tomllib
import warnings
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from sim.charts import fault_windows, figures_for
from sim.export import effective_yaml
from sim.ladder import table as ladder_table
from sim.runner import Result
from sim.scenario import SCENARIO_DIR, ScenarioError

IMAGE_FORMATS = ("png", "svg")
FORMATS = (*IMAGE_FORMATS, "html", "animation")
NO_BROWSER = ("PNG/SVG export needs Chrome or Chromium, and none was found: install one "
              "(Debian: apt-get install -y chromium) or set BROWSER_PATH; HTML export still works")
EXPORT_SIZE = {"width": 1100, "scale": 2}
_server_lock = threading.Lock()
_server_started = False


class ExportUnavailable(RuntimeError):
    """Static image export is impossible here (no browser for kaleido)."""


# --- KPIs (shared by the app and the report) -------------------------------------------------

Kpi = tuple[str, Callable[[dict[str, Any]], Any], str, bool, str]
KPIS: tuple[Kpi, ...] = (
    ("p95 user wait", lambda s: s["user_wait_s"]["p95"], "s", True,
     "Every user who arrived counts: 95 % had their answer, or had given up, within this "
     "time. A user who timed out counts until the timeout, one still waiting at the end until "
     "the end (so this is a lower bound when many gave up); one refused at once by load "
     "shedding counts with a wait of 0, among those who gave up or were refused."),
    ("throughput", lambda s: s["throughput_rps"], "req/s", False,
     "Responses completed per second while requests were arriving."),
    ("p95 task latency", lambda s: s["task_latency_s"]["p95"], "s", True,
     "Succeeded tasks only: from the request's arrival until its background job finished "
     "(after any retries). A task may finish after its user gave up."),
    ("retries", lambda s: s["tasks"]["retries"], "", True,
     "Attempts that had to be repeated because the job failed."),
    ("tasks failed or lost", lambda s: s["tasks"]["failed"] + s["tasks"]["dead_lettered"]
     + s["tasks"]["lost"] + s["tasks"].get("expired", 0) + s["tasks"].get("dropped", 0), "",
     True, "Jobs that never succeeded: failed after all retries, dead-lettered, dropped by the "
     "broker, lost, or skipped after their deadline (expired)."),
)
# shown only when some run on the page has a non-zero value
OPTIONAL_KPIS: tuple[Kpi, ...] = (
    ("p95 response time (answered only)",
     lambda s: s["response_time_s"]["p95"], "s", True,
     "Answered requests only (success or error): it leaves out everyone who gave up, so it "
     "looks better than what users felt. Compare with the p95 user wait."),
    ("requests failed", lambda s: s["requests"]["failed"] + s["requests"]["timed_out"], "",
     True, "Users who got an error, or who gave up waiting (timed out: see 'Users give up "
     "after')."),
    ("users resending", lambda s: s["requests"]["retried"], "", True,
     "Requests sent again by users who gave up waiting: the same work arrives twice."),
    ("tasks run twice", lambda s: s["tasks"]["duplicates"], "", True,
     "Extra runs of a task that another copy also ran (e.g. after a visibility timeout)."),
    ("peak Kafka lag", lambda s: s["lag"]["max"], "", True,
     "The most messages any one partition was behind (Kafka consumer lag)."),
    ("requests shed", lambda s: s["requests"]["shed"], "", True,
     "Requests refused at once by load shedding (too many already waiting for a thread): an "
     "immediate error, counted among the users who gave up or were refused."),
    ("tasks expired", lambda s: s["tasks"]["expired"], "", True,
     "Jobs skipped because their deadline or Celery expires had passed: their work was not "
     "done (nobody was waiting for it any more)."),
    ("breaker opened", lambda s: s["circuit_breaker"]["opened"], "", True,
     "Times the circuit breaker opened: calls then failed at once without reaching the "
     "downstream service."),
)


def gave_up_share(summary: dict[str, Any]) -> float:
    """The share of users (after the warm-up) who got no successful answer: 1 - answered."""
    share = (summary.get("requests") or {}).get("answered_share")
    return 0.0 if share is None else max(0.0, 1.0 - share)


def gave_up_text(summary: dict[str, Any]) -> str:
    """'88 % gave up' (or '< 1 % gave up'), or '' when everyone got an answer."""
    share = gave_up_share(summary)
    if share <= 0:
        return ""
    what = "gave up or were refused" if (summary.get("requests") or {}).get("shed") else "gave up"
    return f"< 1 % {what}" if share < 0.005 else f"{share:.0%} {what}".replace("%", " %")


def _get(get: Callable[[dict[str, Any]], Any], summary: dict[str, Any]) -> Any:
    try:
        return get(summary)
    except (KeyError, TypeError):
        return None


def optional_kpis(summaries: list[dict[str, Any]]) -> list[str]:
    """Names of the optional KPIs that matter for these runs (non-zero in at least one; the
    answered-only response time when someone gave up in at least one)."""
    shown = {OPTIONAL_KPIS[0][0]: gave_up_share}
    return [name for name, get, *_rest in OPTIONAL_KPIS
            if any(shown.get(name, partial(_get, get))(s) for s in summaries)]


def fmt_value(value: Any, unit: str) -> str:
    """A KPI value for people: ms below a second, thousands separators for counts."""
    if value is None:
        return "–"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"
    if unit:
        return f"{value:.1f} {unit}"
    return f"{int(value):,}"


def kpi_rows(summary: dict[str, Any], extra: list[str] | None = None) -> list[dict[str, Any]]:
    """name, raw value, formatted value, unit, lower-is-better and help of every KPI (and of
    the ``extra`` optional ones)."""
    wanted = [*KPIS, *(k for k in OPTIONAL_KPIS if k[0] in (extra or []))]
    rows = []
    for name, get, unit, lower, help_text in wanted:
        value = _get(get, summary)
        text = fmt_value(value, unit)
        if name == KPIS[0][0] and gave_up_text(summary):  # the headline says who is missing
            text = f"{text} · {gave_up_text(summary)}"
        rows.append({"name": name, "value": value, "text": text, "unit": unit,
                     "lower_is_better": lower, "help": help_text})
    return rows


# --- single figures --------------------------------------------------------------------------


def figure_html(fig: go.Figure) -> str:
    """A standalone HTML page of one chart (plotly.js included; opens offline)."""
    return fig.to_html(include_plotlyjs=True, full_html=True, config={"displaylogo": False})


def _start_server() -> None:
    global _server_started
    if _server_started:
        return
    import kaleido

    kaleido.start_sync_server(silence_warnings=True)
    _server_started = True


def browser_path() -> str | None:
    """The Chrome/Chromium kaleido would use (BROWSER_PATH, PATH, usual places), or None.

    BROWSER_PATH and PATH are looked at first: asking choreographer costs seconds on a cold
    server, on the way to the first chart."""
    import os
    import shutil

    for found in (os.environ.get("BROWSER_PATH"),
                  *(shutil.which(name) for name in ("chromium", "chromium-browser",
                                                    "google-chrome", "chrome"))):
        if found and Path(found).exists():
            return found
    try:
        from choreographer.browsers.chromium import Chromium

        return Chromium.find_browser(skip_local=False)
    except Exception:
        return None


def figure_image(fig: go.Figure, fmt: str = "png") -> bytes:
    """PNG or SVG bytes of ``fig``; raises :class:`ExportUnavailable` without a browser."""
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"format: must be one of {', '.join(IMAGE_FORMATS)}, got {fmt!r}")
    with _server_lock:
        try:
            _start_server()
            with warnings.catch_warnings():  # "kopts ignored when using a server": expected
                warnings.simplefilter("ignore", UserWarning)
                return pio.to_image(fig, format=fmt, **EXPORT_SIZE)
        except Exception as exc:
            if _no_browser(exc):
                raise ExportUnavailable(NO_BROWSER) from None
            raise


def _no_browser(exc: BaseException) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return any(word in text for word in ("chrome", "chromium", "browser"))


# --- files -----------------------------------------------------------------------------------


def write_charts(results: Mapping[str, Result], out_dir: str | Path,
                 formats: list[str], notices: list[str] | None = None) -> list[Path]:
    """Write every chart in ``formats`` (png, svg, html, animation) under ``out_dir/charts``
    and a report.

    Without a browser the images are skipped (a one-line notice goes to ``notices``) and HTML
    is written anyway.
    """
    wanted = [f.strip().lower() for f in formats if f.strip()]
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise ScenarioError(f"--charts: unknown format {unknown[0]!r}; use {', '.join(FORMATS)}")
    folder = Path(out_dir) / "charts"
    folder.mkdir(parents=True, exist_ok=True)
    from sim.charts.captions import with_caption

    figures = {name: with_caption(fig, results, version())
               for name, fig in figures_for(results).items()}
    images = [(f, folder / f"{name}.{f}") for f in IMAGE_FORMATS if f in wanted
              for name in figures]
    written: list[Path] = []
    try:
        if images:
            names = [p.stem for _, p in images]
            pio.write_images([figures[n] for n in names], [p for _, p in images],
                             format=[f for f, _ in images], **EXPORT_SIZE)
            written += [p for _, p in images]
    except Exception as exc:
        if not _no_browser(exc):
            raise
        if notices is not None:  # the caller (the CLI) tells the user
            notices.append(NO_BROWSER)
        wanted.append("html")
    if "html" in wanted:
        for name, fig in figures.items():
            path = folder / f"{name}.html"
            fig.write_html(path, include_plotlyjs="directory", config={"displaylogo": False})
            written.append(path)
    if "animation" in wanted:  # a standalone page that plays offline (plotly.js inside)
        from sim.charts.animation import write_animation_html

        written.append(write_animation_html(results, folder / "animation.html"))
    report = Path(out_dir) / "report.html"
    report.write_text(report_html(results, figures), encoding="utf-8")
    return [*written, report]


# --- the report ------------------------------------------------------------------------------


def version() -> str:
    """The Async Lab version (from pyproject.toml next to the scenarios)."""
    try:
        with open(SCENARIO_DIR.parent / "pyproject.toml", "rb") as fh:
            return str(tomllib.load(fh)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def _kpi_table(results: Mapping[str, Result]) -> str:
    head = "".join(f"<th>{html.escape(label)}</th>" for label in results)
    extra = optional_kpis([r.summary for r in results.values()])
    rows = {label: kpi_rows(r.summary, extra) for label, r in results.items()}
    body = ""
    for i, row in enumerate(next(iter(rows.values()), [])):
        cells = "".join(f"<td>{html.escape(rows[label][i]['text'])}</td>" for label in results)
        body += f"<tr><th>{html.escape(row['name'])}</th>{cells}</tr>"
    return f"<table><tr><th></th>{head}</tr>{body}</table>"


def _scenarios(results: Mapping[str, Result]) -> str:
    seen: dict[str, list[str]] = {}
    for label, result in results.items():
        seen.setdefault(effective_yaml(result), []).append(label)
    parts = []
    for text, labels in seen.items():
        modes = {results[label].mode for label in labels}
        mode = "both" if len(modes) > 1 else modes.pop()
        parts.append(f"<h3>Scenario for {html.escape(', '.join(labels))}</h3>"
                     f"<pre>{html.escape(text)}</pre><p>Reproduce: save the YAML above as "
                     f"<code>scenario.yaml</code>, then run <code>python -m sim run scenario.yaml "
                     f"--mode {mode}</code> (the seed is in the file).</p>")
    return "".join(parts)


def _ladder_tables(ladders: Mapping[str, list[Any]] | None) -> str:
    """The defence ladder, one table per mode (``sim.ladder`` rows)."""
    if not ladders:
        return ""
    parts = ["<h2>Defence ladder</h2><p>The same traffic with no defences, then one more "
             "defence per rung; each rung says what it bounds.</p>"]
    for mode, rows in ladders.items():
        cells = ladder_table(rows)
        head = "".join(f"<th>{html.escape(h)}</th>" for h in cells[0]) if cells else ""
        body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row.values())
                       + "</tr>" for row in cells)
        parts.append(f"<h3>{html.escape(mode)}</h3><table><tr>{head}</tr>{body}</table>")
    return "".join(parts)


def report_html(results: Mapping[str, Result], figures: dict[str, go.Figure] | None = None,
                title: str | None = None, ladders: Mapping[str, list[Any]] | None = None
                ) -> str:
    """One self-contained HTML page: KPIs, every chart, the defence ladder (when given: mode
    -> ``sim.ladder`` rows), scenario YAML, seed and version."""
    figures = figures if figures is not None else figures_for(results)
    first = next(iter(results.values()))
    title = title or f"Async Lab report: {first.scenario.title}"
    charts = "".join(
        fig.to_html(full_html=False, include_plotlyjs=(i == 0), config={"displaylogo": False})
        for i, fig in enumerate(figures.values()))
    warnings = "".join(f"<li>{html.escape(label)}: {html.escape(w)}</li>"
                       for label, r in results.items() for w in r.warnings)
    seeds = ", ".join(f"{html.escape(label)}: {r.seed}" for label, r in results.items())
    faults = "; ".join(f"{w['label']} from {w['start']:g} s to {w['end']:g} s "
                       f"({', '.join(w['runs'])})" for w in fault_windows(results))
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)}</title><style>
body{{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;color:#262730}}
table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:.35em .8em;text-align:right}}
pre{{background:#f4f5f7;padding:1em;overflow-x:auto}}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{html.escape(first.scenario.description)}</p>
<p>Seed {seeds} · Async Lab {html.escape(version())}</p>
{f"<p>Faults injected (shaded grey on the time charts): {html.escape(faults)}</p>" if faults
 else ""}
<h2>Key figures</h2>{_kpi_table(results)}
{f"<h2>Warnings</h2><ul>{warnings}</ul>" if warnings else ""}
<h2>Charts</h2>{charts}
{_ladder_tables(ladders)}
<h2>How to reproduce</h2>{_scenarios(results)}
</body></html>"""
