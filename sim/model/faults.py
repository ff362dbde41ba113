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


def _window(system: System, fault: Any, end: float | None, begin: Callable[[], None],
            undo: Callable[[], None], label: str) -> dict[str, Any]:
    """Apply ``begin`` at the fault's start and ``undo`` at ``end`` (never if None)."""
    _at(system, fault.at, begin)
    if end is not None:
        _at(system, end, undo)
    return {"kind": fault.kind, "start": fault.at, "end": end, "label": label}


def _worker_crash(system: System, fault: WorkerCrash) -> dict[str, Any]:
    victims = system.broker.consumers[: fault.count]
    if fault.scope == "child":  # one pool process per victim; the pool replaces it at once
        return _window(system, fault, fault.at,
                       lambda: [system.broker.crash(consumer, "child") for consumer in victims],
                       lambda: None,
                       f"{len(victims)} pool process{'es' if len(victims) > 1 else ''} killed")
    end = fault.at + fault.restart_after if fault.restart_after is not None else None
    return _window(system, fault, end,
                   lambda: [system.broker.crash(consumer) for consumer in victims],
                   lambda: [system.broker.restart(consumer) for consumer in victims],
                   f"{len(victims)} worker{'s' if len(victims) > 1 else ''} crashed")


def _broker_outage(system: System, fault: BrokerOutage) -> dict[str, Any]:
    return _window(system, fault, fault.at + fault.duration,
                   lambda: system.broker.set_down(True),
                   lambda: system.broker.set_down(False), "broker down")


def _downstream_outage(system: System, fault: DownstreamOutage) -> dict[str, Any]:
    return _window(system, fault, fault.at + fault.duration,
                   lambda: system.downstream.outage(+1),
                   lambda: system.downstream.outage(-1), "downstream down")


def _downstream_slowdown(system: System, fault: DownstreamSlowdown) -> dict[str, Any]:
    return _window(system, fault, fault.at + fault.duration,
                   lambda: system.downstream.slow(fault.factor),
                   lambda: system.downstream.slow(1 / fault.factor),
                   f"downstream {fault.factor:g}× slower")


FAULTS: dict[str, Callable[[System, Any], dict[str, Any]]] = {
    "worker_crash": _worker_crash,
    "broker_outage": _broker_outage,
    "downstream_outage": _downstream_outage,
    "downstream_slowdown": _downstream_slowdown,
}


def schedule_faults(system: System, only: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Schedule the scenario's faults (those of the kinds in ``only``); returns their windows."""
    if system.services is not None:  # a fault may name a service
        from sim.model.services import schedule_service_faults
        return schedule_service_faults(system, only)
    return [FAULTS[fault.kind](system, fault) for fault in system.scenario.faults
            if only is None or fault.kind in only]
