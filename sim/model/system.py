"""The whole simulated system: wires clients, web tier, downstream, broker and consumers,
keeps every task's fate, and ends the run.

The run ends when arrivals have stopped and nothing is left in the system (drained), at the
drain limit, early when the requests and task copies in the system reach the overload bound, or
when its work reaches ``limits.max_events`` (each with a warning). A caller may pass
``should_stop``, asked every few thousand units of work and at each time-series bin; when it gives
a reason the run stops and says so in ``cancelled`` (the engine itself never reads a clock).
A task's fate is settled once (succeeded, failed, dead-lettered or dropped with a reason, lost,
or expired); a copy that completes after that is counted as a duplicate run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import simpy

from sim.bounds import bin_ends, drain_limit
from sim.model.brokers import BROKERS, Broker
from sim.model.clients import start_clients
from sim.model.downstream import Downstream
from sim.model.faults import schedule_faults
from sim.model.guard import Guard, level_names
from sim.model.pool import Pool
from sim.model.retry import DEAD_LETTER, Retrier, RetryDecision
from sim.model.task import Delivery, Message, TaskSizes
from sim.model.web import handler_for
from sim.records import (
    DEAD_LETTERED,
    DROPPED,
    EXPIRED,
    IN_FLIGHT,
    IN_PROGRESS,
    IN_QUEUE,
    LOST,
    SUCCEEDED,
    TASK_FAILED,
    TIMED_OUT,
    Recorder,
)
from sim.rng import Streams
from sim.scenario import Scenario

LEVELS = ("web_queue", "web_busy", "queue_depth", "worker_busy", "retry_waiting",
          "downstream_busy", "downstream_queue")
StopCheck = Callable[[], "str | None"]
# Why a run ended: everything drained; the overload bound (limits.max_in_system) was reached;
# the drain time bound (limits.max_drain) ran out with work still in the system; the work bound
# (limits.max_events) was reached; or the caller's should_stop asked it to stop.
STOP_REASONS = ("drained", "overloaded", "drain_limit", "work_limit", "cancelled")


class System:
    """One run of one scenario in one mode."""

    def __init__(self, scenario: Scenario, mode: Literal["sync", "async"], seed: int,
                 should_stop: StopCheck | None = None,
                 arrival_times: Sequence[float] | None = None) -> None:
        self.scenario = scenario
        self.mode = mode
        self.arrival_times = arrival_times  # None: Poisson arrivals at the scenario's rate
        self.env = simpy.Environment()
        self.streams = Streams(seed)
        broker_kind = BROKERS[scenario.broker.kind]
        names = LEVELS + broker_kind.level_names(scenario) + level_names(scenario)
        if scenario.services:  # fan-out: each service's own levels too
            from sim.model.services import level_names as service_levels
            names += service_levels(scenario)
        self.rec = Recorder(names, work_limit=scenario.limits.max_events)
        self.rec.checkpoint = self._checkpoint
        self.should_stop = should_stop
        self.cancelled: str | None = None
        self.warnings: list[str] = []
        self.stop_reason = "drained"  # or another of STOP_REASONS
        self.in_system = 0
        self.rejected_publishes = 0
        self._arrivals_done = False
        self.stop = self.env.event()
        levels = self.rec.levels
        self.threads = Pool(self.env, scenario.web.workers, levels["web_busy"],
                            levels["web_queue"])
        self.handler = handler_for(mode, scenario)
        self.task_sizes = TaskSizes(scenario, self.streams)
        self.resend_sizes = TaskSizes(scenario, self.streams, prefix="resend/")
        self.redelivery_sizes = TaskSizes(scenario, self.streams, prefix="redelivery/")
        self.retrier = Retrier(scenario.retry, self.streams.uniforms("retry_jitter").next,
                               self.env, scenario.task.retry_on_soft_time_limit)
        self.downstream = Downstream(self)
        self.guard = Guard(self)
        self.services = None
        if scenario.services:  # one queue or consumer group per service, in lanes
            from sim.model.services import ServiceSet
            self.services = ServiceSet(self)
        self.broker: Broker = (self.services if self.services is not None
                               else broker_kind(self))
        self.retry_level = levels["retry_waiting"]
        self.drain = drain_limit(scenario)
        self._bin_end = bin_ends(scenario.duration, self.drain)
        self._bin = 0
        self.fault_windows: list[dict[str, Any]] = []

    # --- running ----------------------------------------------------------------------
    def run(self) -> float:
        """Simulate; returns the end time of the run."""
        env = self.env
        start_clients(self)
        if self.mode == "async":
            self.fault_windows = schedule_faults(self)
        else:  # no broker or workers in sync mode: only the downstream faults apply
            self.fault_windows = schedule_faults(self, only=("downstream_outage",
                                                             "downstream_slowdown"))
        self._next_bin()
        env.timeout(self.scenario.duration + self.drain).callbacks.append(self._drain_limit)
        env.run(until=self.stop)
        end = env.now
        self.rec.sample(end)
        self._close_timeouts(end)
        return end

    def _next_bin(self) -> None:
        self._bin += 1
        end = self._bin_end(self._bin)
        if end is not None:
            self.env.timeout(max(0.0, end - self.env.now)).callbacks.append(self._tick)

    def _tick(self, _event: object) -> None:
        if self.stop.triggered:
            return
        self.broker.on_tick()
        self.rec.sample(self.env.now)
        self._ask_to_stop()
        self._next_bin()

    def _checkpoint(self) -> None:
        """Every few thousand units of work: the work bound, then the caller's stop check."""
        if self.stop.triggered:
            return
        if self.rec.work >= self.scenario.limits.max_events:
            self.stop_reason = "work_limit"
            self.warnings.append(
                f"work limit: stopped at t={self.env.now:.1f} s after {self.rec.work:,} events "
                f"(requests, attempts and redeliveries; limits.max_events); the backlog is "
                f"{self.backlog()}; shorten the duration, lower the rate or the retries"
            )
            self.stop.succeed()
            return
        self._ask_to_stop()

    def _ask_to_stop(self) -> None:
        if self.should_stop is None or self.stop.triggered:
            return
        reason = self.should_stop()
        if reason:
            self.cancelled = f"{reason} (stopped at t={self.env.now:.1f} s of simulated time)"
            self.stop_reason = "cancelled"
            self.stop.succeed()

    def _drain_limit(self, _event: object) -> None:
        if not self.stop.triggered:
            self.stop_reason = "drain_limit"
            self.warnings.append(
                f"drain limit: {self.in_system} requests/tasks still in the system at "
                f"t={self.env.now:g} s; raise limits.max_drain to let them finish"
            )
            self.stop.succeed()

    def arrivals_done(self) -> None:
        self._arrivals_done = True
        self._check_done()

    def overloaded(self, now: float) -> None:
        self.warnings.append(
            f"overloaded: stopped at t={now:.1f} s with {self.in_system} requests and tasks in "
            f"the system (limits.max_in_system); the backlog is {self.backlog()}; it grows "
            f"without bound at this load"
        )
        if not self.stop.triggered:
            self.stop_reason = "overloaded"
            self.stop.succeed()

    def backlog(self) -> str:
        """Where the work is piling up, biggest first, in words."""
        levels = self.rec.levels
        places = {"waiting for a web thread": levels["web_queue"].value,
                  "in the broker queue": levels["queue_depth"].value,
                  "waiting to retry": levels["retry_waiting"].value,
                  "waiting for the downstream service": levels["downstream_queue"].value}
        found = sorted(((n, where) for where, n in places.items() if n > 0), reverse=True)
        return ", ".join(f"{n} {where}" for n, where in found) or "spread over the tiers"

    def too_many_requests(self, now: float) -> None:
        self.warnings.append(
            f"stopped arrivals at t={now:.1f} s after {len(self.rec.req_arrival):,} requests "
            f"(limits.max_requests); shorten the duration or lower the rate for a longer run"
        )
        self.arrivals_done()

    def _check_done(self) -> None:
        if self._arrivals_done and self.in_system == 0 and not self.stop.triggered:
            self.stop.succeed()

    def _close_timeouts(self, end: float) -> None:
        """Requests still in flight whose client has given up by the end are timed out."""
        timeout = self.scenario.web.timeout
        if timeout is None:
            return
        rec = self.rec
        for rid, outcome in enumerate(rec.req_outcome):
            if outcome == IN_FLIGHT and rec.req_arrival[rid] + timeout <= end:
                rec.req_outcome[rid] = TIMED_OUT

    # --- requests ---------------------------------------------------------------------
    def respond(self, rid: int, outcome: int) -> None:
        rec, now = self.rec, self.env.now
        rec.req_end[rid] = now
        timeout = self.scenario.web.timeout
        if timeout is not None and now - rec.req_arrival[rid] > timeout:
            outcome = TIMED_OUT
        rec.req_outcome[rid] = outcome
        self.gone()

    def gone(self) -> None:
        """A request, a task copy or a pending client retry has left the system."""
        self.in_system -= 1
        self._check_done()

    # --- tasks ------------------------------------------------------------------------
    def new_message(self, rid: int, sizes: tuple) -> Message:
        task = self.rec.new_task(rid, self.env.now)
        self.in_system += 1
        msg = Message(task, rid, sizes, self.scenario.retry.base)
        if self.guard.checks_expiry:
            self.guard.stamp(msg, self.rec.req_arrival[rid])
        return msg

    def publish_task(self, rid: int, sizes: tuple) -> bool:
        """Publish a new task; False if the broker refused it (the task is then failed)."""
        msg = self.new_message(rid, sizes)
        if self.broker.publish(msg):
            return True
        self.publish_refused(msg)
        return False

    def mark_running(self, task: int) -> None:
        if self.rec.task_state[task] < SUCCEEDED:
            self.rec.task_state[task] = IN_PROGRESS

    def is_settled(self, task: int) -> bool:
        return self.rec.task_state[task] >= SUCCEEDED

    def settle(self, task: int, state: int, reason: str = "") -> bool:
        """Give a task its final fate, once; False if it already had one."""
        if self.is_settled(task):
            return False
        self.rec.task_state[task] = state
        self.rec.task_finished[task] = self.env.now
        if reason:
            self.rec.task_reason[task] = reason
        return True

    @property
    def retries(self) -> int:
        """Retries granted so far (by the one retry decision, ``self.retrier``)."""
        return self.retrier.retries

    def expire(self, msg: Message) -> None:
        """A consumer skipped a message whose work is no longer wanted (deadline, expires)."""
        self.settle(msg.task, EXPIRED, "deadline")
        self.gone()

    def attempt_done(self, delivery: Delivery, ok: bool, decision: RetryDecision | None = None,
                     retry_into: Callable[[Message], bool] | None = None,
                     error: str = "") -> None:
        """A consumer finished an attempt: done, retry after a countdown, or give up.

        ``decision`` is the retry decision if the consumer already asked for it (Kafka decides
        before it moves on); otherwise it is asked here, with the broker's dead-letter setting
        and the attempt's ``error`` (a time limit). A retry goes to ``retry_into`` after the
        delay (Kafka's retry topic), else to the broker's ``retry``."""
        msg = delivery.msg
        if self.is_settled(msg.task):  # another copy already settled it
            if ok:
                self.rec.task_duplicates[msg.task] += 1
            self.gone()
            return
        if ok:
            self.settle(msg.task, SUCCEEDED)
            self.gone()
            return
        if decision is None:
            decision = self.retrier.decide(msg, self.broker.dead_letter_exhausted, error)
        if not decision.retry:
            state = DEAD_LETTERED if decision.action == DEAD_LETTER else TASK_FAILED
            self.settle(msg.task, state, decision.reason)
            self.gone()
            return
        self.rec.task_state[msg.task] = IN_QUEUE
        if retry_into is None:
            self.broker.retry(msg, decision.delay)
        else:
            self.retry_later(msg, decision.delay, retry_into)

    def retry_later(self, msg: Message, delay: float,
                    publish: Callable[[Message], bool]) -> None:
        """Wait out the retry delay (counted as waiting), then publish the retry."""
        self.retry_level.add(self.env.now, 1)
        self.env.timeout(delay).callbacks.append(lambda _e: self._republish(msg, publish))

    def _republish(self, msg: Message, publish: Callable[[Message], bool]) -> None:
        self.retry_level.add(self.env.now, -1)
        if not publish(msg):
            self.publish_refused(msg)

    def publish_refused(self, msg: Message) -> None:
        """The broker refused a publish (new task or retry): the caller is told and the task
        fails (unless the broker dead-lettered it: reject-publish-dlx)."""
        self.rejected_publishes += 1
        self.settle(msg.task, TASK_FAILED, "publish_rejected")
        self.gone()

    def task_lost(self, delivery: Delivery, reason: str) -> None:
        self.settle(delivery.msg.task, LOST, reason)
        self.gone()

    def task_failed(self, delivery: Delivery, reason: str) -> None:
        self.settle(delivery.msg.task, TASK_FAILED, reason)
        self.gone()

    def dead_letter(self, msg: Message, reason: str) -> None:
        """The broker dead-lettered a message it held (expired, overflow, delivery limit)."""
        self.settle(msg.task, DEAD_LETTERED, reason)
        self.gone()

    def drop(self, msg: Message, reason: str) -> None:
        """The broker discarded a message it held, with no dead-letter exchange to take it."""
        self.settle(msg.task, DROPPED, reason)
        self.gone()

    def dead_letter_new(self, msg: Message, reason: str) -> None:
        """The broker refused a publish and dead-lettered it (reject-publish-dlx)."""
        self.settle(msg.task, DEAD_LETTERED, reason)

    def redelivered(self, msg: Message, copy: bool = False) -> None:
        """The broker delivers a message again; ``copy`` if the old delivery lives on."""
        self.rec.count()
        self.rec.task_redeliveries[msg.task] += 1
        if copy:
            self.in_system += 1
        if not self.is_settled(msg.task):
            self.rec.task_state[msg.task] = IN_QUEUE



__all__ = ["LEVELS", "STOP_REASONS", "System"]
