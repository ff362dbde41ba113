"""User wait and answered share on hand-built request records: every user counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.metrics import answered_share, describe, response_times, user_waits
from sim.records import REQUEST_OUTCOMES


def requests(rows: list[tuple[float, float, str]]) -> pd.DataFrame:
    arrival, end, outcome = zip(*rows, strict=True)
    return pd.DataFrame({"arrival": arrival, "start": arrival, "end": end,
                         "outcome": pd.Categorical(outcome, categories=REQUEST_OUTCOMES),
                         "client_retry": False})


RECORDS = requests([
    (0.0, 1.0, "completed"),      # answered after 1 s
    (1.0, 1.5, "failed"),         # an error after 0.5 s: they stop waiting then
    (2.0, 20.0, "timed_out"),     # answered after 18 s, but gave up at the 10 s timeout
    (3.0, np.nan, "timed_out"),   # never answered; gave up at 10 s
    (95.0, np.nan, "in_flight"),  # still waiting when the run ended at t=100: 5 s so far
])


def test_every_user_has_a_wait_until_answer_or_giving_up():
    waits = user_waits(RECORDS, end_time=100.0, timeout=10.0)
    assert list(waits) == [1.0, 0.5, 10.0, 10.0, 5.0]
    assert list(response_times(RECORDS)) == [1.0, 0.5]  # answered only


def test_without_a_timeout_users_wait_until_the_end():
    waits = user_waits(RECORDS, end_time=100.0, timeout=None)
    assert list(waits) == [1.0, 0.5, 18.0, 97.0, 5.0]


def test_warmup_and_answered_share():
    assert list(user_waits(RECORDS, 100.0, 10.0, warmup=2.5)) == [10.0, 5.0]
    assert answered_share(RECORDS) == pytest.approx(1 / 5)
    assert answered_share(RECORDS, warmup=1.0) == 0.0
    assert answered_share(RECORDS.iloc[:0]) is None


def test_user_wait_percentiles_never_flatter_the_answered_ones():
    waits = describe(user_waits(RECORDS, 100.0, 10.0), with_max=True)
    answered = describe(response_times(RECORDS), with_max=True)
    assert waits["p95"] >= answered["p95"] and waits["max"] == 10.0


def test_theory_survives_vanishing_times():
    """Times so small that their square underflows: a prediction, not a division by zero."""
    from sim.prediction import prediction
    from sim.scenario import from_dict

    data = {"duration": 1.0, "task": {"service": {"dist": "constant", "value": 1e-225}}}
    for mode in ("sync", "async"):
        assert prediction(from_dict(data), mode)["queue_wait_s"] is not None
