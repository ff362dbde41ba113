"""The whole simulated system: wires clients, web tier, broker and workers, and ends the run.

The run ends when arrivals have stopped and nothing is left in the system (drained), at the drain
limit, or early when the number of requests and tasks in the system reaches the overload bound.
"""

from __future__ import annotations

from typing import Literal

import simpy

from sim.model.brokers import BROKERS
from sim.model.clients import poisson_arrivals
from sim.model.retry import next_delay
from sim.model.task import Message, TaskSizes
from sim.model.web import HANDLERS, ThreadPool
from sim.model.workers import Worker
from sim.records import (
    FAILED,
    IN_FLIGHT,
    IN_QUEUE,
    SUCCEEDED,
    TASK_FAILED,
    TIMED_OUT,
    Recorder,
)
from sim.rng import Streams
from sim.scenario import Scenario

LEVELS = ("web_queue", "web_busy", "queue_depth", "worker_busy", "retry_waiting")
SAMPLES_PER_RUN = 500


class System:
    """One run of one scenario in one mode."""

    def __init__(self, scenario: Scenario, mode: Literal["sync", "async"], seed: int) -> None:
        self.scenario = scenario
        self.mode = mode
        self.env = simpy.Environment()
        self.streams = Streams(seed)
        self.rec = Recorder(LEVELS)
        self.warnings: list[str] = []
        self.in_system = 0
        self.retries = 0
        self.stopped_early = False
        self._arrivals_done = False
        self.stop = self.env.event()
        self.threads = ThreadPool(self, scenario.web.workers)
        self.handler = HANDLERS[mode]
        self.task_sizes = TaskSizes(scenario, self.streams)
        self.jitter = self.streams.uniforms("retry_jitter")
        self.broker = BROKERS[scenario.broker.kind](self)
        self.workers = [Worker(self, i) for i in range(scenario.workers.count)]
        self.broker.attach(self.workers)
        self.retry_level = self.rec.levels["retry_waiting"]
        self.sample_every = scenario.duration / SAMPLES_PER_RUN

    # --- running ----------------------------------------------------------------------
    def run(self) -> float:
        """Simulate; returns the end time of the run."""
        env = self.env
        env.process(poisson_arrivals(self))
        env.timeout(self.sample_every).callbacks.append(self._tick)
        limit = self.scenario.limits.max_drain
        drain = limit if limit is not None else max(600.0, 10 * self.scenario.duration)
        env.timeout(self.scenario.duration + drain).callbacks.append(self._drain_limit)
        env.run(until=self.stop)
        end = env.now
        self.rec.sample(end)
        self._close_timeouts(end)
        return end

    def _tick(self, _event: object) -> None:
        if self.stop.triggered:
            return
        self.rec.sample(self.env.now)
        self.env.timeout(self.sample_every).callbacks.append(self._tick)

    def _drain_limit(self, _event: object) -> None:
        if not self.stop.triggered:
            self.warnings.append(
                f"drain limit: {self.in_system} requests/tasks still in the system at "
                f"t={self.env.now:g} s; raise limits.max_drain to let them finish"
            )
            self.stop.succeed()

    def arrivals_done(self) -> None:
        self._arrivals_done = True
        self._check_done()

    def overloaded(self, now: float) -> None:
        self.stopped_early = True
        self.warnings.append(
            f"overloaded: stopped at t={now:.1f} s with {self.in_system} requests and tasks in "
            f"the system (limits.max_in_system); the queue grows without bound at this load"
        )
        if not self.stop.triggered:
            self.stop.succeed()

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
        self.in_system -= 1
        self._check_done()

    # --- tasks ------------------------------------------------------------------------
    def publish_task(self, rid: int, sizes: tuple) -> None:
        services, first_ok = sizes
        task = self.rec.new_task(rid, self.env.now)
        self.in_system += 1
        self.broker.publish(Message(task, rid, services, first_ok, self.scenario.retry.base))

    def attempt_done(self, msg: Message, ok: bool) -> None:
        """A worker finished an attempt: done, retry after a countdown, or give up."""
        if ok:
            self.finish_task(msg.task, SUCCEEDED)
            return
        policy = self.scenario.retry
        if msg.attempt >= policy.max_retries:
            self.finish_task(msg.task, TASK_FAILED)
            return
        delay = next_delay(policy, msg.attempt, msg.previous_delay, self.jitter.next)
        msg.previous_delay = delay
        msg.attempt += 1
        self.retries += 1
        self.rec.task_state[msg.task] = IN_QUEUE
        self.retry_level.add(self.env.now, 1)
        self.env.timeout(delay).callbacks.append(lambda _e: self._republish(msg))

    def _republish(self, msg: Message) -> None:
        self.retry_level.add(self.env.now, -1)
        self.broker.publish(msg)

    def finish_task(self, task: int, state: int) -> None:
        self.rec.task_state[task] = state
        self.rec.task_finished[task] = self.env.now
        self.in_system -= 1
        self._check_done()


__all__ = ["FAILED", "LEVELS", "System"]
