"""Shared test helpers."""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import settings

from sim import Scenario
from sim.scenario import from_dict

# CI explores the same examples every run (a new random failure would make a green main red);
# local runs keep exploring new ones.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long tests (marked ``slow``) run first: with ``--dist worksteal`` (the Makefile)
    the other worker takes the short ones meanwhile, so the suite does not end waiting for a
    long test that happened to start late."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: keeps order


# --- browser tests: skipped loudly on a machine without them, never skipped in CI ------------

BROWSER_WORDS = ("chromium", "chrome", "playwright")
ENABLE_BROWSER = "make browser"  # installs Debian chromium and Playwright (see the Makefile)


def _browser_skip(report: pytest.TestReport) -> bool:
    if not report.skipped or not isinstance(report.longrepr, tuple):
        return False
    return any(word in str(report.longrepr[2]).lower() for word in BROWSER_WORDS)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """In CI (``CI`` set) a browser test that would be skipped fails instead."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and _browser_skip(report):
        report.outcome = "failed"
        report.longrepr = (f"CI must run the browser tests, but {report.longrepr[2]}; "
                           f"run `{ENABLE_BROWSER}` first")


_SKIPPED_BROWSER: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _browser_skip(report):
        _SKIPPED_BROWSER.append(report.nodeid)


def pytest_unconfigure(config: pytest.Config) -> None:
    """After the summary, one loud last line naming the skipped browser tests and the command
    that enables them."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if _SKIPPED_BROWSER and reporter is not None:
        names = ", ".join(sorted({nodeid.split("[")[0] for nodeid in _SKIPPED_BROWSER}))
        reporter.write_line(
            f"BROWSER TESTS SKIPPED ({len(_SKIPPED_BROWSER)}): {names} -- no Chromium or "
            f"Playwright here; run `{ENABLE_BROWSER}`, then `make test`", red=True, bold=True)


def mmc_scenario(lam: float, mean_service: float, c: int, duration: float,
                 service: dict[str, Any] | None = None, **extra: Any) -> Scenario:
    """The full model configured as a plain M/M/c (or M/G/c with ``service``)."""
    data: dict[str, Any] = {
        "duration": duration,
        "mode": "async",
        "arrivals": {"rate": lam},
        "web": {"workers": 1000, "service": {"dist": "constant", "value": 0},
                "publish": {"dist": "constant", "value": 0}},
        "task": {"service": service or {"dist": "exponential", "mean": mean_service},
                 "failure_rate": 0},
        "workers": {"count": c, "concurrency": 1, "prefetch_multiplier": 1, "acks_late": True},
        "retry": {"max_retries": 0},
        "limits": {"max_in_system": 500_000},
    }
    data.update(extra)
    return from_dict(data)


@pytest.fixture
def small_scenario() -> Scenario:
    return from_dict({"duration": 30, "arrivals": {"rate": 10}})
