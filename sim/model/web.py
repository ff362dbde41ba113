"""The web tier: threads that handle requests, synchronously or asynchronously.

A request waits for a free thread (``web.workers``), runs the handler's own work, then either
runs the task inline while holding the thread (sync: every attempt calls the downstream, with the
retry policy's waits in between) or publishes a message to the broker and answers at once
(async). A publish the broker refuses (publisher confirms) makes the request fail visibly.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

from sim.records import (
    COMPLETED,
    FAILED,
    FAILURE,
    IN_PROGRESS,
    SUCCEEDED,
    SUCCESS,
    TASK_FAILED,
)

if TYPE_CHECKING:
    from sim.model.system import System


class AsyncRequest:
    """Handler work, publish the task, answer "202 accepted" (or an error if refused).

    Written with callbacks rather than a generator: it is the hot path of every async run."""

    __slots__ = ("rid", "sizes", "system", "web_time")

    def __init__(self, system: System, rid: int, web_time: float, sizes: tuple) -> None:
        self.system, self.rid, self.web_time, self.sizes = system, rid, web_time, sizes
        threads = system.threads
        if web_time == 0 and threads.free and not threads.waiting:
            system.rec.req_start[rid] = system.env.now  # a free thread, no time: answer now
            self._answer()
            return
        wait = threads.acquire()
        if wait is None:
            self._work(None)
        else:
            wait.callbacks.append(self._work)

    def _work(self, _event: object) -> None:
        system = self.system
        system.rec.req_start[self.rid] = system.env.now
        if self.web_time > 0:
            system.env.timeout(self.web_time).callbacks.append(self._publish)
        else:
            self._publish(None)

    def _publish(self, _event: object) -> None:
        self.system.threads.release()
        self._answer()

    def _answer(self) -> None:
        accepted = self.system.publish_task(self.rid, self.sizes)
        self.system.respond(self.rid, COMPLETED if accepted else FAILED)


def handle_sync(system: System, rid: int, web_time: float, sizes: tuple) -> Generator:
    """Handler work, then the task inline, retries included, all while holding the thread."""
    env, rec = system.env, system.rec
    wait = system.threads.acquire()
    if wait is not None:
        yield wait
    rec.req_start[rid] = env.now
    if web_time > 0:
        yield env.timeout(web_time)
    ok = yield from run_inline(system, rid, sizes)
    system.threads.release()
    system.respond(rid, COMPLETED if ok else FAILED)


def run_inline(system: System, rid: int, sizes: tuple) -> Generator:
    """The task inside the handler: every attempt calls the downstream, with the retry
    policy's waits in between; returns whether it finally succeeded."""
    env, rec = system.env, system.rec
    msg = system.new_message(rid, sizes)
    rec.task_state[msg.task] = IN_PROGRESS
    reason = ""
    while True:
        attempt = rec.new_attempt(msg.task, msg.attempt + 1, -1, env.now, env.now)
        ok = yield system.downstream.begin(msg.service_time(), msg.succeeds())
        rec.end_attempt(attempt, env.now, SUCCESS if ok else FAILURE)
        if ok:
            break
        decision = system.retrier.decide(msg)  # no broker, so nothing is dead-lettered
        if not decision.retry:
            reason = decision.reason
            break
        if decision.delay > 0:
            yield env.timeout(decision.delay)
    system.settle(msg.task, SUCCEEDED if ok else TASK_FAILED, reason)
    system.gone()
    return ok


def handle_async(system: System, rid: int, web_time: float, sizes: tuple) -> None:
    AsyncRequest(system, rid, web_time, sizes)


def start_sync(system: System, rid: int, web_time: float, sizes: tuple) -> None:
    system.env.process(handle_sync(system, rid, web_time, sizes))


HANDLERS = {"sync": start_sync, "async": handle_async}
