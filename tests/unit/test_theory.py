"""Closed-form queueing results checked against textbook values and direct formulas."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from sim.theory import (
    QueueMetrics,
    UnstableQueueError,
    erlang_c,
    md1,
    mg1,
    mgc_approx,
    mgc_whitt,
    mm1,
    mmc,
    utilization,
)


def erlang_c_direct(c: int, a: float) -> float:
    """Textbook direct sum, in exact rational arithmetic (independent of the recurrence).

    C = [a^c/c! * c/(c-a)] / [sum_{k<c} a^k/k! + a^c/c! * c/(c-a)]
    """
    a_ = Fraction(a)
    head = sum(a_**k / math.factorial(k) for k in range(c))
    tail = a_**c / math.factorial(c) * c / (c - a_)
    return float(tail / (head + tail))


def erlang_c_logspace(c: int, a: float) -> float:
    """Direct sum evaluated in log space (for c in the hundreds, where a^c overflows)."""
    logs = [k * math.log(a) - math.lgamma(k + 1) for k in range(c)]
    log_tail = c * math.log(a) - math.lgamma(c + 1) + math.log(c / (c - a))
    top = max([*logs, log_tail])
    head = sum(math.exp(x - top) for x in logs)
    tail = math.exp(log_tail - top)
    return tail / (head + tail)


def assert_same(m1: QueueMetrics, m2: QueueMetrics) -> None:
    for field in ("rho", "p_wait", "wq", "w", "lq", "l"):
        assert getattr(m1, field) == pytest.approx(getattr(m2, field), rel=1e-12), field


# --- textbook values -----------------------------------------------------------------------


def test_mm1_textbook_values() -> None:
    m = mm1(0.5, 1.0)
    assert m.rho == pytest.approx(0.5)
    assert m.p_wait == pytest.approx(0.5)
    assert m.wq == pytest.approx(1.0)
    assert m.w == pytest.approx(2.0)
    assert m.l == pytest.approx(1.0)
    assert m.lq == pytest.approx(0.5)


def test_mm1_formulas_at_high_load() -> None:
    lam, mu = 9.0, 10.0
    m = mm1(lam, mu)
    assert m.w == pytest.approx(1.0 / (mu - lam))
    assert m.l == pytest.approx(0.9 / 0.1)


def test_erlang_c_two_servers_one_erlang() -> None:
    assert erlang_c(2, 1.0) == pytest.approx(1.0 / 3.0)


def test_erlang_c_ten_servers_eight_erlangs() -> None:
    value = erlang_c(10, 8.0)
    assert value == pytest.approx(erlang_c_direct(10, 8.0), rel=1e-12)
    assert value == pytest.approx(0.409, abs=5e-4)


def test_erlang_c_one_server_is_rho() -> None:
    assert erlang_c(1, 0.7) == pytest.approx(0.7)


@pytest.mark.parametrize("c", [1, 2, 3, 5, 8, 13, 20, 35, 50])
@pytest.mark.parametrize("rho", [0.05, 0.3, 0.5, 0.7, 0.85, 0.95, 0.99])
def test_mmc_matches_direct_sum_erlang_c(c: int, rho: float) -> None:
    mu = 2.0
    lam = rho * c * mu
    m = mmc(lam, mu, c)
    expected_c = erlang_c_direct(c, lam / mu)
    assert m.rho == pytest.approx(rho)
    assert m.p_wait == pytest.approx(expected_c, rel=1e-9)
    assert m.wq == pytest.approx(expected_c / (c * mu - lam), rel=1e-9)
    assert m.w == pytest.approx(m.wq + 1.0 / mu, rel=1e-12)


@pytest.mark.parametrize("lam,mu", [(0.5, 1.0), (3.0, 4.0), (0.01, 100.0), (99.0, 100.0)])
def test_mmc_with_one_server_equals_mm1(lam: float, mu: float) -> None:
    assert_same(mmc(lam, mu, 1), mm1(lam, mu))


@pytest.mark.parametrize("c", [500, 1000])
def test_large_c_is_finite_and_matches_log_space_sum(c: int) -> None:
    a = 0.95 * c
    value = erlang_c(c, a)
    assert math.isfinite(value)
    assert 0.0 <= value <= 1.0
    assert value == pytest.approx(erlang_c_logspace(c, a), rel=1e-9)
    m = mmc(a * 0.1, 0.1, c)
    assert all(math.isfinite(x) for x in (m.p_wait, m.wq, m.w, m.lq, m.l))
    assert m.p_wait == pytest.approx(value)


def test_more_servers_at_same_utilization_wait_less() -> None:
    waits = [mmc(0.8 * c, 1.0, c).wq for c in (1, 2, 5, 10, 50)]
    assert waits == sorted(waits, reverse=True)


# --- M/D/1 and M/G/1 ------------------------------------------------------------------------


@pytest.mark.parametrize("rho", [0.1, 0.5, 0.9, 0.99])
def test_md1_waits_half_of_mm1(rho: float) -> None:
    d = 0.2
    lam = rho / d
    assert md1(lam, d).wq == pytest.approx(mm1(lam, 1.0 / d).wq / 2.0)
    assert md1(lam, d).w == pytest.approx(md1(lam, d).wq + d)


def test_md1_textbook_value() -> None:
    # rho = 0.5, D = 1: Wq = 0.5 * 1 / (2 * 0.5) = 0.5
    m = md1(0.5, 1.0)
    assert m.wq == pytest.approx(0.5)
    assert m.w == pytest.approx(1.5)
    assert m.lq == pytest.approx(0.25)


@pytest.mark.parametrize("lam,s", [(0.5, 1.0), (4.0, 0.2), (0.3, 3.0)])
def test_mg1_with_cv_one_equals_mm1(lam: float, s: float) -> None:
    assert_same(mg1(lam, s, 1.0), mm1(lam, 1.0 / s))


@pytest.mark.parametrize("lam,s", [(0.5, 1.0), (4.0, 0.2), (0.3, 3.0)])
def test_mg1_with_cv_zero_equals_md1(lam: float, s: float) -> None:
    assert_same(mg1(lam, s, 0.0), md1(lam, s))


def test_mg1_pollaczek_khinchine_value() -> None:
    # lam=0.5, E[S]=1, cv=2: E[S^2] = 1 * (1 + 4) = 5, Wq = 0.5 * 5 / (2 * 0.5) = 2.5
    m = mg1(0.5, 1.0, 2.0)
    assert m.wq == pytest.approx(2.5)
    assert m.p_wait == pytest.approx(0.5)


@pytest.mark.parametrize("cv", [0.0, 0.5, 1.0, 2.0])
def test_mgc_approx_is_exact_for_one_server(cv: float) -> None:
    assert_same(mgc_approx(0.6, 1.0, cv, 1), mg1(0.6, 1.0, cv))


@pytest.mark.parametrize("c", [1, 3, 10])
def test_mgc_approx_with_cv_one_equals_mmc(c: int) -> None:
    lam = 0.8 * c / 0.5
    assert_same(mgc_approx(lam, 0.5, 1.0, c), mmc(lam, 2.0, c))


def test_mgc_approx_scales_with_variability() -> None:
    base = mmc(8.0, 1.0, 10).wq
    assert mgc_approx(8.0, 1.0, 0.0, 10).wq == pytest.approx(base / 2.0)
    assert mgc_approx(8.0, 1.0, 3.0, 10).wq == pytest.approx(base * 5.0)


# --- Little's law and utilization -----------------------------------------------------------


@pytest.mark.parametrize(
    "lam,metrics,lq",
    [  # Lq from an independent textbook formula, not from Little's law
        (0.5, mm1(0.5, 1.0), 0.5**2 / (1 - 0.5)),  # rho^2 / (1 - rho)
        (7.0, mmc(7.0, 1.0, 10), erlang_c(10, 7.0) * 0.7 / (1 - 0.7)),  # C rho / (1 - rho)
        (2.0, md1(2.0, 0.3), 0.6**2 / (2 * (1 - 0.6))),  # rho^2 / (2 (1 - rho))
        (2.0, mg1(2.0, 0.3, 1.7), 0.6**2 * (1 + 1.7**2) / (2 * (1 - 0.6))),
    ],
)
def test_mean_queue_length_matches_its_own_formula(lam: float, metrics: QueueMetrics,
                                                    lq: float) -> None:
    assert metrics.lq == pytest.approx(lq)
    assert metrics.w >= metrics.wq >= 0.0
    assert 0.0 <= metrics.p_wait <= 1.0


# --- Whitt's refinement of the M/G/c approximation --------------------------------------------


@pytest.mark.parametrize("cv", [0.0, 0.5, 2.0])
def test_whitt_is_exact_for_one_server(cv: float) -> None:
    assert mgc_whitt(0.7, 1.0, cv, 1).wq == pytest.approx(mg1(0.7, 1.0, cv).wq)


def test_whitt_with_cv_one_equals_erlang_c() -> None:
    assert mgc_whitt(7.0, 1.0, 1.0, 10).wq == pytest.approx(mmc(7.0, 1.0, 10).wq)


def test_whitt_corrects_allen_cunneen_the_known_way() -> None:
    """Constant service on several servers waits more than half of M/M/c (Cosmetatos), very
    variable service less than Allen-Cunneen's (1 + cv²) / 2 (Whitt 1993)."""
    ac_low, ac_high = mgc_approx(6.0, 1.0, 0.0, 8).wq, mgc_approx(6.0, 1.0, 2.0, 8).wq
    assert 1.0 < mgc_whitt(6.0, 1.0, 0.0, 8).wq / ac_low < 1.25
    assert 0.8 < mgc_whitt(6.0, 1.0, 2.0, 8).wq / ac_high < 1.0


def test_utilization() -> None:
    assert utilization(8.0, 0.1) == pytest.approx(0.8)
    assert utilization(8.0, 0.5, c=5) == pytest.approx(0.8)
    assert utilization(12.0, 0.1) == pytest.approx(1.2)  # a helper: no stability check


# --- errors -----------------------------------------------------------------------------------


def test_unstable_message() -> None:
    with pytest.raises(UnstableQueueError) as info:
        mm1(12.0, 10.0)
    assert str(info.value) == (
        "unstable: utilization rho=1.20 >= 1 (arrival rate 12/s, capacity 10/s)"
    )
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "call",
    [
        lambda: mm1(1.0, 1.0),
        lambda: mm1(2.0, 1.0),
        lambda: mmc(10.0, 1.0, 10),
        lambda: mmc(25.0, 2.0, 12),
        lambda: md1(5.0, 0.2),
        lambda: mg1(1.0, 1.5, 0.5),
        lambda: mgc_approx(10.0, 1.0, 0.5, 9),
        lambda: erlang_c(3, 3.0),
        lambda: erlang_c(500, 501.0),
    ],
)
def test_unstable_raises(call) -> None:
    with pytest.raises(UnstableQueueError, match=r"^unstable: utilization rho="):
        call()


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda: mm1(0.0, 1.0), "lam"),
        (lambda: mm1(-1.0, 1.0), "lam"),
        (lambda: mm1(float("nan"), 1.0), "lam"),
        (lambda: mm1(0.5, 0.0), "mu"),
        (lambda: mm1(0.5, -2.0), "mu"),
        (lambda: mmc(0.5, 1.0, 0), "c"),
        (lambda: mmc(0.5, 1.0, 2.5), "c"),
        (lambda: mmc(0.5, 0.0, 2), "mu"),
        (lambda: erlang_c(0, 0.5), "c"),
        (lambda: erlang_c(2, 0.0), "a"),
        (lambda: md1(0.5, 0.0), "service_time"),
        (lambda: md1(0.0, 1.0), "lam"),
        (lambda: mg1(0.5, 1.0, -0.1), "cv"),
        (lambda: mg1(0.5, -1.0, 1.0), "mean_service"),
        (lambda: mgc_approx(0.5, 1.0, -1.0, 2), "cv"),
        (lambda: mgc_approx(0.5, 1.0, 1.0, 0), "c"),
        (lambda: mgc_approx(-0.5, 1.0, 1.0, 2), "lam"),
        (lambda: utilization(0.0, 1.0), "lam"),
        (lambda: utilization(1.0, 1.0, c=0), "c"),
    ],
)
def test_invalid_parameters_raise_value_error_naming_them(call, name: str) -> None:
    with pytest.raises(ValueError, match=rf"^{name}\b") as info:
        call()
    assert not isinstance(info.value, UnstableQueueError)
