"""The simulator panel beside a lesson: the step's presets (scenario + overrides) loaded with one
click, run through the cached runner, shown with the app's KPI rows and charts; a few knobs to
try a change of one's own; and, for instructors, "export this step" (charts and HTML report)."""

from __future__ import annotations

import copy
import io
import zipfile
from collections.abc import Mapping
from typing import Any

import streamlit as st

from sim.charts.captions import with_caption
from sim.charts.export import (
    ExportUnavailable,
    figure_html,
    figure_image,
    report_html,
    version,
)
from sim.lessons import Lesson, Step, preset_mode, preset_scenario, preset_seed, presets_of
from sim.runner import Result
from sim.scenario import ScenarioError, apply_overrides
from ui import lesson_state as state
from ui.animation_view import render_animation
from ui.knobs import BY_PATH, get_path
from ui.runs import RunKey, figure, names, results_for, run_key
from ui.views import chart, export_notice, kpi_rows_for, show_warnings

ALL = "all"
CHANGED = " (your change)"


def step_keys(lesson: Lesson, ids: list[str], change: Mapping[str, Any] | None = None,
              target: str = ALL, seed: int | None = None) -> list[RunKey]:
    """Run keys of presets, with the student's ``change`` applied to ``target`` (or all)."""
    keys = []
    for pid in ids:
        preset = lesson.meta.presets[pid]
        scenario, label = preset_scenario(lesson, pid), preset.label
        if change and target in (ALL, pid):
            scenario, label = apply_overrides(scenario, dict(change)), label + CHANGED
        keys.append(run_key(label, scenario, preset_mode(lesson, pid),
                            preset_seed(lesson, pid) if seed is None else seed))
    return keys


def claim_results(lesson: Lesson, item: Step) -> dict[str, Result] | None:
    """Runs of every preset the step shows or its claims need, by preset id (cached)."""
    claims = lesson.claims(item.expect + item.predict.expect)
    ids = list(dict.fromkeys([*item.presets, *presets_of(claims)]))
    results = results_for(step_keys(lesson, ids))
    if results is None:
        return None
    by_label = {lesson.meta.presets[pid].label: pid for pid in ids}
    return {by_label[label]: result for label, result in results.items()}


def chart_names(item: Step, keys: list[RunKey]) -> list[str]:
    """The step's charts; ``journey`` stands for the journey chart of every configuration."""
    available = names(keys)
    wanted: list[str] = []
    for name in item.charts:
        wanted += [n for n in available if n.startswith("journey_")] if name == "journey" \
            else [name] if name in available else []
    return wanted


def presenter_figure(fig: Any) -> Any:
    """A copy of a cached figure, taller and with larger type for a projector."""
    big = copy.deepcopy(fig)
    big.update_layout(height=max(620, (fig.layout.height or 400) + 160), font={"size": 17},
                      title={"font": {"size": 22}, "subtitle": {"font": {"size": 16}}},
                      legend={"font": {"size": 16}})
    return big


def panel(lesson: Lesson, item: Step, instructor: bool) -> None:
    lid, sid = lesson.id, item.id
    st.subheader("Simulator", anchor=False)
    if not state.loaded(lid, sid):
        st.info("Press **Load into simulator** to set up this step's configurations here.",
                icon=":material/input:")
        return
    st.caption("Loaded: " + " · ".join(lesson.meta.presets[p].label for p in item.presets)
               + ". Same seed for all, so they see the same traffic.")
    if not state.ran(lid, sid):
        st.info("Make your prediction, then press **Run the simulation**."
                if not instructor else "Let the room predict, then press **Run**.",
                icon=":material/psychology:")
        return
    change, target, seed = tweaks(lesson, item)
    try:
        keys = step_keys(lesson, item.presets, change, target, seed)
    except ScenarioError as exc:
        st.error(f"That change is not valid: {exc}")
        keys = step_keys(lesson, item.presets)
    results = results_for(keys)
    if results is None:
        return
    kpi_rows_for(results)
    show_warnings(results)
    shown = chart_names(item, keys)
    if shown:
        export_notice()
    for name in shown:
        fig = figure(name, keys)
        if fig is not None:
            chart(presenter_figure(fig) if instructor else fig, name, f"ls_{lid}_{sid}_{name}",
                  results)
    if st.toggle("Watch it run (animation)", key=f"ls_anim_{lid}_{sid}",
                 help="Requests and tasks as moving dots, every design on the same timeline."):
        render_animation(dict(results), key=f"ls_{lid}_{sid}")
    if instructor:
        export_step(lesson, item, results, {n: figure(n, keys) for n in shown})


def tweaks(lesson: Lesson, item: Step) -> tuple[dict[str, Any], str, int | None]:
    """"Try your own change": the step's knobs and the seed, applied to one or all presets."""
    lid, sid = lesson.id, item.id
    first = preset_scenario(lesson, item.presets[0]).to_dict()
    base_seed = preset_seed(lesson, item.presets[0])
    change: dict[str, Any] = {}
    with st.expander("Try your own change", icon=":material/tune:"):
        st.caption("Change a setting and see what happens. The lesson's claims are checked on "
                   "the presets as loaded, not on your change.")
        labels = {ALL: "every configuration",
                  **{p: lesson.meta.presets[p].label for p in item.presets}}
        target = st.selectbox("Apply to", list(labels), format_func=labels.get,
                              key=state.key("tw", lid, sid, "target"))
        for path in item.knobs:
            value = knob(path, get_path(first, path), state.key("tw", lid, sid, path))
            if value != get_path(first, path):
                change[path] = value
        seed = st.number_input("Random seed", min_value=0, step=1, value=base_seed,
                               key=state.key("tw", lid, sid, "seed"),
                               help="Other seed = other random traffic: is the lesson's "
                               "claim still true?")
        st.button("Back to the lesson's presets", key=state.key("tw", lid, sid, "reset"),
                  on_click=_reset, args=(lid, sid, item), icon=":material/undo:")
    return change, target, None if seed == base_seed else int(seed)


def knob(path: str, value: Any, key: str) -> Any:
    """One widget for a dotted scenario key (label and help from the app's knobs if known)."""
    known = BY_PATH.get(path)
    label = known.label if known else f"{path}"
    tip = (known.help + f" (scenario key `{path}`)") if known else f"Scenario key `{path}`."
    if isinstance(value, bool):
        return st.toggle(label, value=value, key=key, help=tip)
    if isinstance(value, int):
        return int(st.number_input(label, value=value, step=1, key=key, help=tip))
    return float(st.number_input(label, value=float(value), key=key, help=tip, format="%g"))


def _reset(lid: str, sid: str, item: Step) -> None:
    for name in [*item.knobs, "seed", "target"]:
        st.session_state.pop(state.key("tw", lid, sid, name), None)


def charts_zip(figures: Mapping[str, Any], results: Mapping[str, Result] | None = None) -> bytes:
    """A zip of every figure as HTML, PNG and SVG (a README says why if images cannot be made),
    each with the caption line of ``results``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, fig in figures.items():
            fig = with_caption(fig, results, version()) if results else fig
            zf.writestr(f"{name}.html", figure_html(fig))
            for fmt in ("png", "svg"):
                try:
                    zf.writestr(f"{name}.{fmt}", figure_image(fig, fmt))
                except ExportUnavailable as exc:
                    zf.writestr("README.txt", f"{exc}\n")
    return buffer.getvalue()


def export_step(lesson: Lesson, item: Step, results: Mapping[str, Result],
                figures: Mapping[str, Any]) -> None:
    """Instructor mode: this step's charts (PNG, SVG and HTML in a zip) and an HTML report."""
    figures = {name: fig for name, fig in figures.items() if fig is not None}
    stem = f"{lesson.id}_{item.id}"
    title = f"Lesson {lesson.meta.order} · {lesson.meta.title} — {item.title}"
    with st.container(border=True):
        st.markdown("**Export this step** — for slides and handouts")
        cols = [st.container(horizontal=True, gap="small")] * 2  # keep their width, then wrap
        cols[0].download_button(
            "Charts (zip)", data=lambda: charts_zip(figures, results),
            file_name=f"{stem}_charts.zip", mime="application/zip",
            key=state.key("export_zip", lesson.id, item.id), on_click="ignore",
            icon=":material/download:", help="Every chart of this step as shown, as PNG, SVG "
            "and HTML (PNG and SVG need Chromium on the server).")
        cols[1].download_button(
            "Report (HTML)", data=lambda: report_html(results, dict(figures), title=title),
            file_name=f"{stem}_report.html", mime="text/html", type="primary",
            key=state.key("export_report", lesson.id, item.id), on_click="ignore",
            icon=":material/download:", help="One self-contained page: key figures, this "
            "step's charts, the scenarios and seeds to reproduce them.")
