"""The fan-out scenario on the Playground: per-service charts with one colour per service,
and the knobs a scenario with services does not use are off."""

from __future__ import annotations

from tests.ui.test_scenarios import app, figure, open_tab

SERVICES = ("email", "analytics", "crm")


def colours(spec: dict) -> dict[str, str]:
    """Line colour of each service's trace (its name starts the trace name)."""
    found = {}
    for trace in spec["data"]:
        name = trace.get("name", "")
        for service in SERVICES:
            if name.split(" ")[0] == service and trace.get("line"):
                found[service] = trace["line"]["color"]
    return found


def test_per_service_charts_keep_one_colour_per_service() -> None:
    at = open_tab(app(scenario="signup_fanout", mode="both"), "Over time & queues")
    assert not at.exception and not at.error
    queues = figure(at, "Messages waiting per service")
    assert {t["name"] for t in queues["data"]} == set(SERVICES)  # async only: one line each
    at = open_tab(at, "Tasks & retries")
    latency = figure(at, "Task latency per service")
    names = {t["name"] for t in latency["data"] if t.get("name")}
    assert {f"{s} ({m})" for s in SERVICES for m in ("sync", "async")} <= names
    assert colours(queues) == colours(latency)
    assert len(set(colours(queues).values())) == 3


def test_service_knobs_are_off_with_services() -> None:
    at = app(scenario="signup_fanout")
    assert at.slider(key="pg_workers").disabled
    assert not at.slider(key="pg_rate").disabled
    at = app(scenario="email_signup")
    assert not at.slider(key="pg_workers").disabled
