"""Injected faults: worker crashes, broker outages, downstream outages and slowdowns.

Each fault is scheduled at its time and undone after its duration (or restart delay); its
window is kept so that charts can shade it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sim.schema import BrokerOutage, DownstreamOutage, DownstreamSlowdown, WorkerCrash

if TYPE_CHECKING:
    from sim.model.system import System


def _at(system: System, when: float, action: Callable[[], None]) -> None:
    system.env.timeout(max(0.0, when - system.env.now)).callbacks.append(lambda _e: action())


def _worker_crash(system: System, fault: WorkerCrash) -> dict[str, Any]:
    consumers = system.broker.consumers
    victims = consumers[: min(fault.count, len(consumers))]
    end = fault.at + fault.restart_after if fault.restart_after is not None else None

    def crash() -> None:
        for consumer in victims:
            system.crash(consumer)

    def restart() -> None:
        for consumer in victims:
            system.restart(consumer)

    _at(system, fault.at, crash)
    if end is not None:
        _at(system, end, restart)
    return {"kind": fault.kind, "start": fault.at, "end": end,
            "label": f"{len(victims)} worker{'s' if len(victims) > 1 else ''} crashed"}


def _broker_outage(system: System, fault: BrokerOutage) -> dict[str, Any]:
    _at(system, fault.at, lambda: system.broker.set_down(True))
    _at(system, fault.at + fault.duration, lambda: system.broker.set_down(False))
    return {"kind": fault.kind, "start": fault.at, "end": fault.at + fault.duration,
            "label": "broker down"}


def _downstream_outage(system: System, fault: DownstreamOutage) -> dict[str, Any]:
    downstream = system.downstream

    def down(delta: int) -> Callable[[], None]:
        def apply() -> None:
            downstream.down += delta
        return apply

    _at(system, fault.at, down(1))
    _at(system, fault.at + fault.duration, down(-1))
    return {"kind": fault.kind, "start": fault.at, "end": fault.at + fault.duration,
            "label": "downstream down"}


def _downstream_slowdown(system: System, fault: DownstreamSlowdown) -> dict[str, Any]:
    downstream = system.downstream

    def scale(factor: float) -> Callable[[], None]:
        def apply() -> None:
            downstream.factor *= factor
        return apply

    _at(system, fault.at, scale(fault.factor))
    _at(system, fault.at + fault.duration, scale(1 / fault.factor))
    return {"kind": fault.kind, "start": fault.at, "end": fault.at + fault.duration,
            "label": f"downstream {fault.factor:g}× slower"}


FAULTS: dict[str, Callable[[System, Any], dict[str, Any]]] = {
    "worker_crash": _worker_crash,
    "broker_outage": _broker_outage,
    "downstream_outage": _downstream_outage,
    "downstream_slowdown": _downstream_slowdown,
}


def schedule_faults(system: System, only: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Schedule the scenario's faults (those of the kinds in ``only``); returns their windows."""
    return [FAULTS[fault.kind](system, fault) for fault in system.scenario.faults
            if only is None or fault.kind in only]
