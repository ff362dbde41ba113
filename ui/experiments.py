"""Replications in the app: the "Replications" control, KPIs as mean ± 95 % half-width, the
data of the charts across replications (:mod:`sim.charts.replicated`, drawn by
:func:`ui.views.chart_tabs`), and, on Compare, whether A and B differ significantly.

The replications run as an experiment of the session (:mod:`ui.experiment_guard`): bounded in
work before they start, stopped on a rerun, a closed tab or the time budget (the replications
every configuration finished are shown), through the job cache the app's sessions share.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from sim.charts.export import KPIS, OPTIONAL_KPIS, fmt_value, optional_kpis
from sim.charts.palette import mode_of, run_colors
from sim.experiment import Replications, paired, replicate_many
from sim.experiment.curves import CHART_CURVES
from sim.scenario import Scenario
from ui import state
from ui.experiment_guard import run_experiment, show_stopped
from ui.layout import kpi_columns

MAX_REPS = state.MAX_REPS
REPS_HELP = ("How many times to run each configuration, each time with new random traffic "
             "(seeds seed, seed+1, ...). With more than one, the key figures show the mean ± "
             "the half-width of its 95 % confidence interval, the response-time, over-time, "
             "task-fate and retry charts show the mean with a 95 % band or error bars, and "
             "Compare says which differences are larger than the noise. Charts where a band "
             "makes no sense (queues, journeys, the animation) show the first replication "
             "and say so.")


def reps_control(key: str, container: Any = st) -> int:
    return int(container.slider("Replications", 1, MAX_REPS, key=key, help=REPS_HELP))


def replicated(configs: Mapping[str, tuple[Scenario, str]], reps: int, seed: int
               ) -> dict[str, Replications] | None:
    """Replications of each labelled configuration on the same seeds (None and a message on
    the page when they cannot run; those every configuration finished, and a message, when
    they were stopped: None when fewer than two)."""
    outcome = run_experiment(
        "set of replications", f"Running {reps} replications",
        lambda opts: replicate_many(dict(configs), reps, seed, curves=CHART_CURVES,
                                    options=opts),
        lambda done: (f"Shown: the {_count(done)} of {reps} replications that finished."
                      if _count(done) >= 2 else "Shown: the first run only."))
    show_stopped(outcome.stopped)
    return outcome.result if _count(outcome.result) >= 2 else None


def _count(reps: Mapping[str, Replications] | None) -> int:
    return len(next(iter(reps.values())).seeds) if reps else 0


def _kpi_values(reps: Replications, get: Any) -> list[float | None]:
    out = []
    for summary in reps.summaries:
        try:
            value = get(summary)
        except (KeyError, TypeError):
            value = None
        out.append(None if value is None else float(value))
    return out


def kpi_table(all_reps: Mapping[str, Replications]) -> pd.DataFrame:
    """label, kpi, unit, lower_is_better, help, per-replication values, mean and half-width."""
    from sim.experiment import interval

    extra = optional_kpis([s for r in all_reps.values() for s in r.summaries])
    wanted = [*KPIS, *(k for k in OPTIONAL_KPIS if k[0] in extra)]
    rows = []
    for label, reps in all_reps.items():
        for name, get, unit, lower, help_text in wanted:
            values = _kpi_values(reps, get)
            ci = interval(values)
            rows.append({"label": label, "kpi": name, "unit": unit, "lower": lower,
                         "help": help_text, "values": values, "mean": ci.mean,
                         "half_width": ci.half_width})
    return pd.DataFrame(rows)


def ci_text(mean: float | None, half: float | None, unit: str) -> str:
    if mean is None:
        return "–"
    if half is None:
        return fmt_value(mean, unit)
    if unit == "s":
        return f"{fmt_value(mean, unit)} ± {fmt_value(half, unit)}"
    return f"{mean:,.1f} ± {half:,.1f}" + (f" {unit}" if unit else "")


def kpi_rows(table: pd.DataFrame, titles: Mapping[str, str] | None = None,
             baseline: str | None = None, modes: Mapping[str, str] | None = None) -> None:
    """A row of metrics per label (after a square in the colour of its design, ``modes``):
    mean ± half-width, and against the baseline the paired difference, greyed out when it is
    within the noise."""
    labels = list(dict.fromkeys(table["label"]))
    base = baseline if baseline in labels else labels[0]
    colors = run_colors({label: (modes or {}).get(label) or mode_of(label) for label in labels})
    reps = len(table["values"].iloc[0])
    for label in labels:
        head, _, rest = (titles or {}).get(label, label).partition(" — ")
        title = f"{head} — mean ± 95 % CI over {reps} replications" + (f"; {rest}" if rest
                                                                         else "")
        part = table[table["label"] == label]
        cols = kpi_columns(title, len(part), colors[label])  # wraps, never "…" (ui.layout)
        for col, (_, row) in zip(cols, part.iterrows(), strict=True):
            delta, color = None, "off"
            if label != base:
                ref = table[(table["label"] == base) & (table["kpi"] == row["kpi"])].iloc[0]
                diff = paired(row["kpi"], ref["values"], row["values"])
                if diff.diff.mean is not None:
                    sign = "+" if diff.diff.mean >= 0 else "-"
                    word = "" if diff.significant else " (within noise)"
                    delta = (f"{sign}{fmt_value(abs(diff.diff.mean), row['unit'])} vs "
                             f"{base.split(':')[0]}{word}")
                    color = ("inverse" if row["lower"] else "normal") if diff.significant \
                        else "off"
            col.metric(row["kpi"], ci_text(row["mean"], row["half_width"], row["unit"]),
                       delta=delta, delta_color=color, help=row["help"])


def significance(table: pd.DataFrame, a: str, b: str) -> list[str]:
    """One sentence per KPI: does B differ from A by more than the noise (paired t, 95 %)?"""
    lines = []
    for kpi in dict.fromkeys(table["kpi"]):
        ra = table[(table["label"] == a) & (table["kpi"] == kpi)].iloc[0]
        rb = table[(table["label"] == b) & (table["kpi"] == kpi)].iloc[0]
        diff = paired(kpi, ra["values"], rb["values"])
        unit = ra["unit"]
        both = (f"{ci_text(rb['mean'], rb['half_width'], unit)} vs "
                f"{ci_text(ra['mean'], ra['half_width'], unit)}")
        short_a, short_b = a.split(":")[0], b.split(":")[0]
        if diff.diff.mean is None or diff.diff.half_width is None:
            lines.append(f"{kpi}: cannot tell (too few values)")
        elif not diff.significant:
            lines.append(f"{kpi}: **no significant difference** between {short_b} and "
                         f"{short_a} ({both})")
        else:
            word = "lower" if diff.diff.mean < 0 else "higher"
            lines.append(f"{short_b} {kpi} is **{word}**: {both}")
    return lines


def show(configs: Mapping[str, tuple[Scenario, str]], reps: int, seed: int,
         titles: Mapping[str, str] | None = None, compare: bool = False
         ) -> dict[str, Replications] | None:
    """KPIs over replications (and, with ``compare``, the significance of B − A); the
    replications for the charts, or None when they could not run."""
    all_reps = replicated(configs, reps, seed)
    if all_reps is None:
        return None
    reps = _count(all_reps)  # fewer than asked for when they were stopped
    table = kpi_table(all_reps)
    kpi_rows(table, titles, modes={label: mode for label, (_sc, mode) in configs.items()})
    labels = list(all_reps)
    if compare and len(labels) == 2:
        with st.container(border=True):
            st.markdown(f"**Is the difference real?** Paired comparison over {reps} "
                        "replications on the same traffic (95 % confidence):")
            st.markdown("\n".join(f"- {line}" for line in significance(table, *labels)))
    for label, result in all_reps.items():
        stopped = sum(bool(s["run"].get("overloaded")) for s in result.summaries)
        if stopped:
            st.warning(f"**{label}**: {stopped} of {reps} replications stopped at the overload "
                       "bound (limits.max_in_system); their figures describe a queue that "
                       "was still growing.", icon=":material/warning:")
    return all_reps


__all__ = [
    "MAX_REPS",
    "ci_text",
    "kpi_rows",
    "kpi_table",
    "replicated",
    "reps_control",
    "show",
    "significance",
]
