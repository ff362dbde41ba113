"""The load sweep tab: pick the setting on the x-axis, the figure to plot and the replications;
the runs come from :func:`sim.experiment.load_sweep` (shorter runs, overload flagged by the
engine) through the shared job cache, with a progress bar, as an experiment of the session
(:mod:`ui.experiment_guard`: bounded before it starts; stopped on a rerun, a closed tab or the
time budget, keeping the points that finished). Shows the metric with 95 % bands and the
queueing-theory mean wait beside the simulated one."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sim.charts.captions import experiment_caption
from sim.experiment import Options, Sweep, load_sweep
from sim.experiment.load import POINTS, default_values
from sim.scenario import Scenario, ScenarioError
from ui.experiment_guard import run_experiment, show_stopped
from ui.knobs import BY_PATH
from ui.state import decode_whole

METRICS = {"user_wait_s.p95": "p95 user wait (s)",
           "response_time_s.p95": "p95 response time, answered only (s)",
           "response_time_s.mean": "mean response time (s)",
           "task_latency_s.p95": "p95 task latency (s)",
           "queue_wait_s.mean": "mean queue wait (s)",
           "throughput_rps": "throughput (responses/s)"}
X_KEYS = ("arrivals.rate", "workers.count", "workers.concurrency", "web.workers",
          "task.service.mean", "task.failure_rate", "workers.prefetch_multiplier")
SETTINGS = ("x", "metric", "points", "reps")  # the tab's widgets: pg_sweep_x, ... and the link
DEFAULTS = {"metric": next(iter(METRICS)), "points": POINTS, "reps": 1}
POINTS_RANGE, REPS_RANGE = (4, 16), (1, 10)


def from_link(prefix: str, params: dict[str, str], scenario: Scenario) -> list[str]:
    """Read ``sweep``, ``sweep_metric``, ``sweep_points``, ``sweep_reps`` of a link into the
    tab's settings; one "field: allowed values, got ..." line per value that cannot be used."""
    from sim.safe_yaml import quote

    view, errors = {}, []
    for field, allowed in (("x", x_keys(scenario)), ("metric", list(METRICS))):
        name = "sweep" if field == "x" else f"sweep_{field}"
        if name in params and params[name] in allowed:
            view[field] = params[name]
        elif name in params:
            errors.append(f"{name}: must be one of {', '.join(allowed)}, "
                          f"got {quote(params[name])}")
    for field, (low, high) in (("points", POINTS_RANGE), ("reps", REPS_RANGE)):
        value, why = decode_whole(params.get(f"sweep_{field}"), f"sweep_{field}", low, high)
        view |= {field: value} if value is not None else {}
        errors += [why] if why else []
    st.session_state[prefix + "sweep_view"] = view
    return errors


def link_params(prefix: str) -> dict[str, str]:
    """The tab's settings that differ from the defaults, for the link (a widget's value
    just changed comes first: the link is written before the tab is drawn)."""
    view = st.session_state.get(prefix + "sweep_view") or {}
    now = {k: st.session_state.get(f"{prefix}sweep_{k}", view.get(k)) for k in SETTINGS}
    return {("sweep" if k == "x" else f"sweep_{k}"): str(v) for k, v in now.items()
            if v is not None and v != DEFAULTS.get(k)}


def _settings(prefix: str, scenario: Scenario) -> None:
    """The tab's widgets start from this session's (or the link's) last settings."""
    view = st.session_state.get(prefix + "sweep_view") or {}
    for field in SETTINGS:
        default = view.get(field, DEFAULTS.get(field, x_keys(scenario)[0]))
        if field == "x" and default not in x_keys(scenario):
            default = x_keys(scenario)[0]
        st.session_state.setdefault(f"{prefix}sweep_{field}", default)


def x_keys(scenario: Scenario) -> list[str]:
    """The settings this scenario can be swept over: the usual ones first, then every other
    numeric knob it has."""
    keys = []
    others = [k.path for k in BY_PATH.values() if k.kind in ("int", "float")
              and k.path != "duration"]  # each point's duration is capped (quick runs)
    for key in dict.fromkeys([*X_KEYS, *others]):
        try:
            default_values(scenario, key, 3)
        except ScenarioError:
            continue
        keys.append(key)
    return keys


def _label(key: str) -> str:
    knob = BY_PATH.get(key)
    return f"{knob.label} — {key}" if knob else key


def sweep_tab(scenario: Scenario, seed: int, prefix: str) -> None:
    """The tab's widgets, the run button and the charts of the last sweep."""
    from sim.charts.experiment import sweep_figure, theory_sweep_figure
    from ui.views import chart

    st.markdown("**Load sweep** — how the figures change as one setting moves, for both "
                "designs. Each point is a separate, shorter run (up to 60 s of arrivals); "
                "crosses mark overloaded points (a tier offered more than it can do).")
    _settings(prefix, scenario)
    c1, c2, c3, c4 = st.columns([3, 3, 2, 2])
    key = c1.selectbox("Setting on the x-axis", x_keys(scenario), key=prefix + "sweep_x",
                       format_func=_label, help="The scenario key the sweep varies; every "
                       "other setting stays as in the knobs.")
    metric = c2.selectbox("Figure on the y-axis", list(METRICS), format_func=METRICS.get,
                          key=prefix + "sweep_metric", help="The summary figure to plot "
                          "(mean over the replications, with its 95 % band).")
    points = c3.slider("Points", *POINTS_RANGE, key=prefix + "sweep_points",
                       help="How many values of the setting to run.")
    reps = c4.slider("Replications per point", *REPS_RANGE, key=prefix + "sweep_reps",
                     help="Runs per point on seeds seed, seed+1, ...; with 2 or more the "
                     "chart shows a 95 % confidence band.")
    st.session_state[prefix + "sweep_view"] = {"x": key, "metric": metric, "points": points,
                                               "reps": reps}
    token = (scenario.model_dump_json(), seed, key, points, reps)
    stored = st.session_state.get(prefix + "sweep")
    if st.button("Run the load sweep", key=prefix + "run_sweep", type="primary",
                 help="Runs every point (runs done before are reused)."):
        ran = _run(scenario, seed, key, points, reps)
        if ran is not None:
            stored = st.session_state[prefix + "sweep"] = (token, *ran)
    if stored is None:
        return
    if stored[0] != token:
        st.info("The settings changed since the last sweep: run it again to update it "
                "(runs already done are reused).")
        return
    _token, summary, stopped = stored
    show_stopped(stopped)
    if summary is not None:
        log = metric != "throughput_rps"
        title = f"Load sweep: {METRICS[metric]} as {key} grows"
        note = experiment_caption({m: (scenario, m) for m in ("sync", "async")}, seed, reps,
                                  f"{key} swept over {points} points")
        chart(sweep_figure(summary, key, metric, title, log_y=log), "load_sweep",
              f"{prefix}sweep", note=note)
        chart(theory_sweep_figure(summary, key), "load_sweep_theory", f"{prefix}sweep_theory",
              note=note)


def _run(scenario: Scenario, seed: int, key: str, points: int, reps: int
         ) -> tuple[pd.DataFrame | None, str | None] | None:
    """Run the sweep: (its summary, None), or (the finished points' summary or None, the
    message) when it was stopped; None when it could not run (the page says why)."""
    values: list = []

    def start(opts: Options) -> Sweep:
        values.extend(default_values(scenario, key, points))
        return load_sweep(scenario, key, values, reps, seed, "both", opts)

    def kept(done: Sweep | None) -> str:
        if done is None:
            return "No point had finished."
        return f"Shown: the {done.summary[key].nunique()} of {len(values)} points that finished."

    outcome = run_experiment("load sweep", "Load sweep", start, kept)
    if outcome.result is None and not outcome.stopped:
        return None
    summary = None if outcome.result is None else outcome.result.summary
    return summary, outcome.stopped


__all__ = ["METRICS", "from_link", "link_params", "sweep_tab", "x_keys"]
