"""Experiments: replications with confidence intervals, sweeps over any scenario key, and a
capacity planner, run serially, on a local process pool or on a Dask cluster.

```python
from sim import load_scenario
from sim.experiment import Options, capacity_plan, replicate, sweep

scenario = load_scenario("email_signup")
reps = replicate(scenario, "async", reps=10)
reps.interval("user_wait_s.p95")            # mean, half-width, ci_low, ci_high
grid = sweep(scenario, {"arrivals.rate": [10, 20, 40]}, modes="both", reps=10,
             options=Options(backend="dask", scheduler="tcp://127.0.0.1:8786"))
grid.points, grid.summary                       # one row per run; means and CIs per point
plan = capacity_plan(scenario, {"user_wait_s.p95": 2.0, "task_latency_s.p95": 30},
                     knob="workers.count",
                     range=(1, 64), reps=10)
plan.answer, plan.points
```
"""

from sim.experiment.backends import BACKENDS, BackendError, ExperimentStopped, Job, execute
from sim.experiment.core import (
    MAX_REPS,
    Options,
    Replications,
    Sweep,
    replicate,
    replicate_many,
    sweep,
)
from sim.experiment.load import default_values, load_sweep, sweep_rates
from sim.experiment.plan import Plan, capacity_plan
from sim.experiment.stats import CONFIDENCE, Difference, Interval, flatten, interval, paired

__all__ = [
    "BACKENDS", "CONFIDENCE", "MAX_REPS", "BackendError", "Difference", "ExperimentStopped",
    "Interval", "Job", "Options", "Plan",
    "Replications", "Sweep", "capacity_plan", "default_values", "execute", "flatten",
    "interval", "load_sweep", "paired", "replicate", "replicate_many", "sweep", "sweep_rates",
]
