"""The web tier: a pool of threads that handle requests, synchronously or asynchronously.

A request waits for a free thread, runs the handler's own work, then either runs the task
inline while holding the thread (sync, with the retry policy's waits in between) or publishes a
message to the broker and answers at once (async).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from sim.model.retry import next_delay
from sim.model.task import Message
from sim.records import COMPLETED, FAILED, FAILURE, IN_PROGRESS, SUCCEEDED, SUCCESS, TASK_FAILED

if TYPE_CHECKING:
    from sim.model.system import System


class ThreadPool:
    """``size`` threads; requests that find none free wait in arrival order."""

    def __init__(self, system: System, size: int) -> None:
        self.env = system.env
        self.free = size
        self.waiting: deque[Any] = deque()
        self.busy = system.rec.levels["web_busy"]
        self.queue = system.rec.levels["web_queue"]

    def acquire(self) -> Any:
        """None if a thread was free (taken now), else an event that fires when one is."""
        if self.free:
            self.free -= 1
            self.busy.add(self.env.now, 1)
            return None
        event = self.env.event()
        self.waiting.append(event)
        self.queue.add(self.env.now, 1)
        return event

    def release(self) -> None:
        if self.waiting:  # the thread passes straight to the next waiting request
            self.queue.add(self.env.now, -1)
            self.waiting.popleft().succeed()
        else:
            self.free += 1
            self.busy.add(self.env.now, -1)


def handle_async(system: System, rid: int, web_time: float, sizes: tuple) -> Generator:
    """Handler work, publish the task, answer "202 accepted"."""
    env, rec = system.env, system.rec
    wait = system.threads.acquire()
    if wait is not None:
        yield wait
    rec.req_start[rid] = env.now
    if web_time > 0:
        yield env.timeout(web_time)
    system.publish_task(rid, sizes)
    system.threads.release()
    system.respond(rid, COMPLETED)


def handle_sync(system: System, rid: int, web_time: float, sizes: tuple) -> Generator:
    """Handler work, then the task inline, retries included, all while holding the thread."""
    env, rec, policy = system.env, system.rec, system.scenario.retry
    wait = system.threads.acquire()
    if wait is not None:
        yield wait
    rec.req_start[rid] = env.now
    if web_time > 0:
        yield env.timeout(web_time)
    services, first_ok = sizes
    task = rec.new_task(rid, env.now)
    system.in_system += 1
    rec.task_state[task] = IN_PROGRESS
    msg = Message(task, rid, services, first_ok, policy.base)
    outcome = FAILED
    while True:
        attempt = rec.new_attempt(task, msg.attempt + 1, -1, env.now, env.now)
        yield env.timeout(msg.service_time())
        if msg.succeeds():
            rec.end_attempt(attempt, env.now, SUCCESS)
            system.finish_task(task, SUCCEEDED)
            outcome = COMPLETED
            break
        rec.end_attempt(attempt, env.now, FAILURE)
        if msg.attempt >= policy.max_retries:
            system.finish_task(task, TASK_FAILED)
            break
        delay = next_delay(policy, msg.attempt, msg.previous_delay, system.jitter.next)
        msg.previous_delay = delay
        msg.attempt += 1
        system.retries += 1
        if delay > 0:
            yield env.timeout(delay)
    system.threads.release()
    system.respond(rid, outcome)


HANDLERS = {"sync": handle_sync, "async": handle_async}
