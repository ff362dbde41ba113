"""Fit the simulator's overhead keys to measured samples.

The model (``sim.model.workers``) spends, per task, ``dispatch_delay`` between a message
reaching a worker and its start (hidden when it was prefetched while the slot was busy) and
``task_overhead`` of slot time after the body. So, from the samples of ``sim.calibrate.measure``:

* ``broker.dispatch_delay`` is the publish → start time of tasks that found a free slot;
* ``workers.task_overhead`` (early ack) is the back-to-back slot overhead (of busy runs, see
  ``sim.calibrate.session.fit``): with early ack the next task has already been prefetched
  when a slot frees;
* ``workers.task_overhead_acks_late`` is that overhead minus the mean dispatch delay: with
  ``acks_late`` and a prefetch multiplier of 1 the worker fetches the next message only after
  acknowledging the last, so its slot overhead is task overhead + dispatch delay.

Each becomes a lognormal with the samples' mean and coefficient of variation (moments; means
to 0.1 ms), the shape of these right-skewed delays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.schema import LognormalDist

MIN_SAMPLES = 10
MAX_CV = 10.0  # the schema's bound for a lognormal


class FitError(ValueError):
    """Too few samples to fit an overhead."""


def lognormal(mean: float, cv: float) -> dict[str, Any]:
    """A lognormal distribution mapping (scenario syntax), or constant 0 for no overhead."""
    mean = round(max(mean, 0.0), 4)
    if mean == 0:
        return {"dist": "constant", "value": 0.0}
    return LognormalDist(mean=mean, cv=round(min(max(cv, 0.0), MAX_CV), 2)).model_dump()


def moments(samples: np.ndarray, what: str) -> tuple[float, float]:
    """Mean and standard deviation of ``samples`` (at least ``MIN_SAMPLES`` of them)."""
    samples = np.asarray(samples, dtype=float)
    samples = samples[np.isfinite(samples)]
    if samples.size < MIN_SAMPLES:
        raise FitError(f"{what}: only {samples.size} samples (need {MIN_SAMPLES}); "
                       f"run longer (without --quick)")
    return float(samples.mean()), float(samples.std(ddof=1))


@dataclass(frozen=True)
class Fit:
    """The fitted keys and the sample figures behind them (seconds)."""

    dispatch_delay: dict[str, Any]
    task_overhead: dict[str, Any]
    task_overhead_acks_late: dict[str, Any]
    figures: dict[str, float]

    def keys(self) -> dict[str, dict[str, Any]]:
        """The three keys, for :func:`sim.calibrate.trace.calibration_scenario`."""
        return {"dispatch_delay": self.dispatch_delay, "task_overhead": self.task_overhead,
                "task_overhead_acks_late": self.task_overhead_acks_late}

    def fragment(self) -> dict[str, Any]:
        """The keys as they go into a scenario."""
        return {"broker": {"dispatch_delay": self.dispatch_delay},
                "workers": {"task_overhead": self.task_overhead,
                            "task_overhead_acks_late": self.task_overhead_acks_late}}


def fit_overheads(dispatch: np.ndarray, overhead_early: np.ndarray,
                  overhead_late: np.ndarray) -> Fit:
    """The overhead keys from dispatch-delay samples (both ack modes) and back-to-back slot
    overhead samples with early ack and with ``acks_late``."""
    d_mean, d_std = moments(dispatch, "dispatch delay")
    e_mean, e_std = moments(overhead_early, "slot overhead (early ack)")
    l_mean, l_std = moments(overhead_late, "slot overhead (acks_late)")
    late_mean = l_mean - d_mean  # the rest of the late-ack slot overhead is the fetch
    late_std = float(np.sqrt(max(l_std**2 - d_std**2, 0.0)))
    figures = {"dispatch_mean_s": d_mean, "dispatch_median_s": float(np.median(dispatch)),
               "dispatch_p95_s": float(np.percentile(dispatch, 95)),
               "dispatch_samples": float(np.size(dispatch)),
               "slot_overhead_early_s": e_mean, "slot_overhead_late_s": l_mean,
               "slot_overhead_early_samples": float(np.size(overhead_early)),
               "slot_overhead_late_samples": float(np.size(overhead_late))}
    return Fit(lognormal(d_mean, d_std / d_mean if d_mean > 0 else 0.0),
               lognormal(e_mean, e_std / e_mean if e_mean > 0 else 0.0),
               lognormal(late_mean, late_std / late_mean if late_mean > 0 else 0.0),
               figures)
