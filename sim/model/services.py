"""Fan-out: one published event feeds several services, each with its own queue (RabbitMQ,
Redis) or its own consumer group (Kafka), its own workers, retry policy and downstream API.

A *lane* is one service's part of the run. To its broker and workers it is a System in every
respect (scenario, records, downstream, retry policy, the task ledger), built on the run's
shared clock, ledger and records. Each lane has its own broker instance: its own queue on
RabbitMQ and Redis, its own partitions' offsets, lag, commits and rebalances on Kafka (every
group reads the same events with the same keys, so the same partitions). A slow service never
holds up another. A lane's levels (queue depth, busy slots, lag per partition, ...) are recorded
as ``svc.<name>.<level>`` and also added to the run-wide level of the same name, so the run's
figures are the sums of the services'.

Routing is worked out once per event kind: on RabbitMQ and Redis the exchange
(``broker.exchange``) picks the queues; on Kafka every group reads the whole topic. An event no
binding matches is counted as unroutable, or as taken by the alternate exchange when one is set
(the broker still confirms it: nothing fails for the publisher).
"""

from __future__ import annotations

from array import array
from collections.abc import Generator
from typing import Any

from sim.model.brokers import BROKERS, Broker, Consumer
from sim.model.downstream import Downstream
from sim.model.events import EventDraws, routes, routing_keys
from sim.model.guard import Guard
from sim.model.retry import Retrier
from sim.model.system import System
from sim.model.task import Message, TaskSizes
from sim.model.web import AsyncRequest, handler_for, run_inline
from sim.records import COMPLETED, FAILED, Level, Recorder
from sim.schema import Scenario, Service

LANE_LEVELS = ("queue_depth", "worker_busy", "retry_waiting", "downstream_busy",
               "downstream_queue")


def prefix(name: str) -> str:
    """Where a service's levels go in the records: ``svc.email.queue_depth``."""
    return f"svc.{name}."


def level_names(scenario: Scenario) -> tuple[str, ...]:
    """Every service's own levels (none without services)."""
    if not scenario.services:
        return ()
    lags = BROKERS[scenario.broker.kind].level_names(scenario)  # Kafka: lag per partition
    return tuple(prefix(s.name) + level for s in scenario.services
                 for level in (*LANE_LEVELS, *lags))


def lane_scenario(scenario: Scenario, service: Service) -> Scenario:
    """The scenario as one service sees it: its task, workers and retry policy."""
    return scenario.model_copy(update={"task": service.task, "workers": service.workers,
                                       "retry": service.retry, "services": [], "faults": []})


class TeeLevel:
    """A service's level as its broker, workers and API see it: every change goes to the
    service's own recorded level and to the run-wide one of the same name."""

    __slots__ = ("own", "total")

    def __init__(self, own: Level, total: Level) -> None:
        self.own, self.total = own, total

    def add(self, now: float, delta: int) -> None:
        self.own.add(now, delta)
        self.total.add(now, delta)

    @property
    def value(self) -> int:
        return self.own.value

    def area_at(self, now: float) -> float:
        return self.own.area_at(now)


class LaneRecorder:
    """The run's records as one service writes them: the shared columns and counters (every
    method is the shared recorder's, so the run's work count stays one), every task it creates
    tagged with the service, and its own levels under their usual names."""

    def __init__(self, shared: Recorder, index: int, name: str, task_service: array) -> None:
        self.shared = shared
        for key, value in vars(shared).items():  # the column arrays, appended in place
            if isinstance(value, array) or key == "task_reason":
                setattr(self, key, value)
        start = prefix(name)
        self.levels = {key[len(start):]: TeeLevel(level, shared.levels[key[len(start):]])
                       for key, level in shared.levels.items() if key.startswith(start)}
        self.service_index = index
        self.task_service = task_service

    def __getattr__(self, name: str) -> Any:  # anything else is the shared recorder's
        return getattr(self.shared, name)

    def new_task(self, request: int, now: float) -> int:
        self.task_service.append(self.service_index)
        return self.shared.new_task(request, now)


class Lane(System):
    """One service's queue or consumer group, workers, retry policy and downstream API.

    It shares the run's clock, ledger (``in_system``, the end of the run) and records, so it
    does not run ``System.__init__``; every task method of System works on it unchanged."""

    def __init__(self, parent: System, index: int, service: Service, task_service: array
                 ) -> None:
        self.parent, self.index, self.name = parent, index, service.name
        self.scenario = lane_scenario(parent.scenario, service)
        self.mode, self.env, self.streams = parent.mode, parent.env, parent.streams
        self.warnings = parent.warnings
        self.rec = LaneRecorder(parent.rec, index, service.name, task_service)
        self.rejected_publishes = 0
        streams_at = f"svc/{service.name}/"
        self.retrier = Retrier(service.retry,
                               parent.streams.uniforms(f"{streams_at}retry_jitter").next,
                               parent.env, self.scenario.task.retry_on_soft_time_limit)
        self.redelivery_sizes = TaskSizes(self.scenario, parent.streams,
                                          prefix=f"{streams_at}redelivery/")
        self.downstream = Downstream(self)
        self.guard = Guard(self)  # its own breaker and retry budget around its own API
        self.retry_level = self.rec.levels["retry_waiting"]
        self.broker = BROKERS[self.scenario.broker.kind](self)

    @property
    def in_system(self) -> int:  # type: ignore[override]
        return self.parent.in_system

    @in_system.setter
    def in_system(self, value: int) -> None:
        self.parent.in_system = value

    @property
    def stop(self) -> Any:  # type: ignore[override]
        return self.parent.stop

    def gone(self) -> None:
        self.parent.gone()


class ServiceSet(Broker):
    """The services of a fan-out run: routing, one lane each, and the broker as the run sees
    it (outages, periodic work, every consumer). Installed by ``System`` as its broker when the
    scenario has ``services``; it sets the system's event draws and request handler. Events go
    out with :meth:`publish_event`; each lane's own broker takes the copies."""

    dead_letter_exhausted = ""  # each lane's broker decides for its own tasks

    def __init__(self, system: System) -> None:
        scenario = system.scenario
        self.system = system
        self.task_service = array("b")
        self.req_event = array("b")
        self.lanes = [Lane(system, i, service, self.task_service)
                      for i, service in enumerate(scenario.services)]
        self.names = [lane.name for lane in self.lanes]
        self.keys = routing_keys(scenario)
        self.routes = routes(scenario)
        exchange = getattr(scenario.broker, "exchange", None)
        self.alternate = exchange.alternate_exchange if exchange is not None else None
        self.unroutable = 0
        self.alternate_routed = 0
        self.down = 0
        broker = scenario.broker
        self.publish_retry_window = broker.publish_retry_window if broker.kind != "kafka" else 0.0
        system.task_sizes = EventDraws(scenario, self.lanes, system.streams)
        system.resend_sizes = EventDraws(scenario, self.lanes, system.streams, "resend/")
        inner = handler_for(system.mode, scenario, HANDLERS)  # sheds load like the others

        def handler(system_: System, rid: int, web_time: float, event: tuple) -> None:
            self.note(rid, event[0])
            inner(system_, rid, web_time, event)

        system.handler = handler

    # --- the broker as the run sees it --------------------------------------------------
    @property
    def consumers(self) -> list[Any]:
        return [c for lane in self.lanes for c in lane.broker.consumers]

    def on_tick(self) -> None:
        for lane in self.lanes:
            lane.broker.on_tick()

    def set_down(self, down: bool) -> None:
        self.down += 1 if down else -1
        for lane in self.lanes:
            lane.broker.set_down(down)

    def _owner(self, consumer: Consumer) -> Lane:
        return next(lane for lane in self.lanes if consumer in lane.broker.consumers)

    def crash(self, consumer: Consumer, scope: str = "worker") -> None:
        self._owner(consumer).broker.crash(consumer, scope)

    def restart(self, consumer: Consumer) -> None:
        self._owner(consumer).broker.restart(consumer)

    def publish(self, msg: Message) -> bool:
        """A bare message has no routing key: with services, publish events instead."""
        raise TypeError("with services, publish events (ServiceSet.publish_event), not tasks")

    # --- events -------------------------------------------------------------------------
    def note(self, rid: int, kind: int) -> None:
        """Record which kind of event request ``rid`` publishes (at its arrival)."""
        assert len(self.req_event) == rid
        self.req_event.append(kind)

    def targets(self, kind: int) -> tuple[int, ...]:
        """The services an event of this kind reaches; one that reaches none is counted as
        unroutable, or as taken by the alternate exchange."""
        found = self.routes[kind]
        if not found:
            if self.alternate is not None:  # sync counts alike: the same events, compared
                self.alternate_routed += 1
            else:
                self.unroutable += 1
        return found

    def publish_event(self, rid: int, event: tuple[int, tuple[tuple, ...]]) -> bool:
        """Publish one event: a copy to each matching queue. False (the publisher is told) if
        the broker is down or any queue refused its copy; the other copies still go ahead."""
        kind, sizes = event
        if self.down:  # every copy is refused (each a failed task, as without services)
            for i, lane in self._lanes(self.routes[kind]):
                lane.publish_task(rid, sizes[i])
            return False
        accepted = True
        for i, lane in self._lanes(self.targets(kind)):
            accepted = lane.publish_task(rid, sizes[i]) and accepted
        return accepted

    def _lanes(self, indices: tuple[int, ...]) -> list[tuple[int, Lane]]:
        return [(i, self.lanes[i]) for i in indices]


class FanoutRequest(AsyncRequest):
    """Async with services: the handler publishes one event and answers."""

    __slots__ = ()

    def _accept(self) -> bool:
        return self.system.services.publish_event(self.rid, self.sizes)


def handle_sync(system: System, rid: int, web_time: float, event: tuple) -> Generator:
    """The naive handler: calls each service in turn, inside the request (each with its own
    retries). A service that still fails raises, so the request fails and the services after
    it are not called."""
    kind, sizes = event
    services = system.services
    wanted = services.targets(kind)
    wait = system.threads.acquire()
    if wait is not None:
        yield wait
    system.rec.req_start[rid] = system.env.now
    if web_time > 0:
        yield system.env.timeout(web_time)
    ok = True
    for i in wanted:
        ok = yield from run_inline(services.lanes[i], rid, sizes[i])
        if not ok:
            break
    system.threads.release()
    system.respond(rid, COMPLETED if ok else FAILED)


def start_sync(system: System, rid: int, web_time: float, event: tuple) -> None:
    system.env.process(handle_sync(system, rid, web_time, event))


def start_async(system: System, rid: int, web_time: float, event: tuple) -> None:
    FanoutRequest(system, rid, web_time, event)


HANDLERS = {"sync": start_sync, "async": start_async}


def schedule_service_faults(system: System, only: tuple[str, ...] | None
                            ) -> list[dict[str, Any]]:
    """The faults of a fan-out run: one naming a ``service`` hits that service's workers or
    API; one without hits every service (``count`` workers of each); a broker outage stops the
    one broker. Returns one window per fault."""
    from sim.model.faults import FAULTS

    services: ServiceSet = system.services
    windows = []
    for fault in system.scenario.faults:
        if only is not None and fault.kind not in only:
            continue
        if fault.kind == "broker_outage":
            windows.append(FAULTS[fault.kind](system, fault))
            continue
        named = getattr(fault, "service", None)
        found = [FAULTS[fault.kind](lane, fault) for lane in services.lanes
                 if named in (None, lane.name)]
        window = dict(found[0])
        window["label"] = f"{named}: {window['label']}" if named else window["label"]
        if named:
            window["service"] = named
        windows.append(window)
    return windows

__all__ = ["HANDLERS", "LANE_LEVELS", "Lane", "ServiceSet", "lane_scenario", "level_names",
           "prefix", "schedule_service_faults"]
