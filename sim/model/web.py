"""The web tier: threads that handle requests, synchronously or asynchronously.

A request waits for a free thread (``web.workers``), runs the handler's own work, then either
runs the task inline while holding the thread (sync: every attempt calls the downstream, with the
retry policy's waits in between) or publishes a message to the broker and answers at once
(async). A publish the broker refuses (publisher confirms) makes the request fail visibly;
while the broker is down the client first retries for ``broker.publish_retry_window`` seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from sim.model.guard import attempt_outcome
from sim.records import (
    COMPLETED,
    EXPIRED,
    FAILED,
    IN_PROGRESS,
    SHED,
    SUCCEEDED,
    TASK_FAILED,
)
from sim.schema import Scenario

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
            self._send(False)
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
        self._send(True)

    def _send(self, holding: bool) -> None:
        """Publish and answer; ``holding`` a web thread (not on the no-work fast path)."""
        system = self.system
        broker = system.broker
        if broker.down and broker.publish_retry_window > 0:
            if not holding:
                system.threads.acquire()  # a thread was free: the retrying call keeps it
            PublishRetry(system, self.rid, self._accept)
            return
        if holding:
            system.threads.release()
        system.respond(self.rid, COMPLETED if self._accept() else FAILED)

    def _accept(self) -> bool:
        """Publish the task: whether the broker took it (a refused one is a failed task)."""
        return self.system.publish_task(self.rid, self.sizes)


class PublishRetry:
    """The client library retries a publish the broker refused because it is down
    (Celery's ``task_publish_retry_policy``: waits growing by 0.2 s up to 1 s, celery/app/
    defaults.py), holding the web thread, for ``broker.publish_retry_window`` seconds; then
    the request fails. The task exists from the moment the broker takes it (or the client
    gives up)."""

    STEP, LONGEST = 0.2, 1.0

    __slots__ = ("accept", "deadline", "last", "rid", "system", "tries")

    def __init__(self, system: System, rid: int, accept: Callable[[], bool]) -> None:
        self.system, self.rid, self.accept = system, rid, accept
        self.deadline = system.env.now + system.broker.publish_retry_window
        self.tries = 0
        self.last = False
        self._later()

    def _later(self) -> None:
        now = self.system.env.now
        self.tries += 1
        at = now + min(self.STEP * self.tries, self.LONGEST)
        if at >= self.deadline:
            at, self.last = self.deadline, True
        self.system.env.timeout(at - now).callbacks.append(self._try)

    def _try(self, _event: object) -> None:
        system = self.system
        if system.broker.down and not self.last:
            self._later()
            return
        system.threads.release()
        system.respond(self.rid, COMPLETED if self.accept() else FAILED)


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
    guard, reason = system.guard, ""
    while True:
        if guard.checks_expiry and guard.expired(msg):
            ok, reason = False, "deadline"  # nobody wants the answer any more: skip the call
            break
        attempt = rec.new_attempt(msg.task, msg.attempt + 1, -1, env.now, env.now)
        result = yield guard.call(msg)
        rec.end_attempt(attempt, env.now, attempt_outcome(result))
        ok = bool(result)
        if ok:
            break
        decision = system.retrier.decide(msg)  # no broker, so nothing is dead-lettered
        if not decision.retry:
            reason = decision.reason
            break
        if decision.delay > 0:
            yield env.timeout(decision.delay)
    state = SUCCEEDED if ok else EXPIRED if reason == "deadline" else TASK_FAILED
    system.settle(msg.task, state, reason)
    system.gone()
    return ok


def handle_async(system: System, rid: int, web_time: float, sizes: tuple) -> None:
    AsyncRequest(system, rid, web_time, sizes)


def start_sync(system: System, rid: int, web_time: float, sizes: tuple) -> None:
    system.env.process(handle_sync(system, rid, web_time, sizes))


HANDLERS = {"sync": start_sync, "async": handle_async}


def shed(system: System, rid: int) -> bool:
    """Load shedding: with ``web.max_queue`` requests already waiting for a thread, a new one
    is refused at once (HTTP 503) and never takes a thread."""
    threads = system.threads
    if threads.free or len(threads.waiting) < system.scenario.web.max_queue:
        return False
    system.rec.req_end[rid] = system.env.now
    system.rec.req_outcome[rid] = SHED
    system.gone()
    return True


def handler_for(mode: str, scenario: Scenario, handlers: dict[str, Any] | None = None):
    """The web tier's request handler for ``mode`` (from ``handlers``, by default
    ``HANDLERS``), shedding load when ``web.max_queue`` is set."""
    handler = (handlers or HANDLERS)[mode]
    if not scenario.web.max_queue:
        return handler

    def shedding(system: System, rid: int, web_time: float, sizes: tuple) -> None:
        if not shed(system, rid):
            handler(system, rid, web_time, sizes)

    return shedding
