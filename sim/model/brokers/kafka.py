"""A Kafka-like partitioned log with one consumer group.

A message goes to partition ``hash(key) mod partitions``. Each partition is owned by at most one
consumer of the group (extra consumers sit idle) and is processed one message at a time, in
order. A failing message retried in place blocks its partition (head-of-line blocking) unless
``retry_topic`` moves it to a separate retry lane; after ``max_retries`` it goes to the
dead-letter topic. Offsets are committed after each message, or every ``auto_commit_interval``
with ``enable_auto_commit``. A crashed consumer is noticed only after ``session_timeout``
(Kafka's session.timeout.ms, 45 s by default since Kafka 3.0): until then its partitions stall
while the others keep consuming; then its partitions resume from the last commit, so messages
processed since then run again. A consumer leaving or joining triggers an eager rebalance:
every consumer pauses ``rebalance_pause`` seconds. The measured Celery overheads do not apply:
a Kafka broker has no ``dispatch_delay`` key and consumers ignore ``workers.task_overhead`` (a
consumer polls batches and commits offsets; no per-message hand-over to a pool process or
acknowledgement).
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import simpy

from sim.model.brokers.base import Broker
from sim.model.guard import attempt_outcome
from sim.model.retry import RetryDecision
from sim.model.task import Delivery, Message
from sim.records import KILLED, Level

if TYPE_CHECKING:
    from sim.model.system import System
    from sim.scenario import Scenario


def partition_of(key: int, partitions: int) -> int:
    """A fixed integer hash of the key (Knuth's multiplicative hash), mod partitions."""
    return (key * 2654435761) % 4294967296 % partitions


class Partition:
    __slots__ = ("busy", "index", "lag", "log", "owner", "uncommitted")

    def __init__(self, index: int, lag: Level) -> None:
        self.index = index
        self.log: deque[Message] = deque()
        self.uncommitted: list[Message] = []
        self.owner: Consumer | None = None
        self.busy = False
        self.lag = lag


class Consumer:
    """One member of the consumer group; ``concurrency`` partitions processed at once."""

    def __init__(self, index: int, concurrency: int) -> None:
        self.index = index
        self.concurrency = concurrency
        self.free = concurrency
        self.alive = True
        self.in_group = True  # still a group member (a dead one until its session times out)
        self.deaths = 0
        self.waiting: deque[Partition] = deque()
        self.running: dict[Partition, Delivery] = {}
        self.busy = Level()


class KafkaBroker(Broker):
    """Partitions, a consumer group, offsets and rebalances."""

    def __init__(self, system: System) -> None:
        cfg = system.scenario.broker
        self.cfg = cfg
        self.system = system
        self.env = system.env
        self.rec = system.rec
        levels = system.rec.levels
        lanes = cfg.partitions + (1 if cfg.retry_topic else 0)
        self.partitions = [Partition(i, levels[f"lag_p{i}"]) for i in range(lanes)]
        self.retry_lane = self.partitions[-1] if cfg.retry_topic else None
        workers = system.scenario.workers
        self.consumers = [Consumer(i, workers.concurrency) for i in range(workers.count)]
        self.depth = levels["queue_depth"]
        self.all_busy = levels["worker_busy"]
        self.down = 0
        self.paused = False
        self.generation = 0
        self.dead_letter_exhausted = "max_retries"  # the application's dead-letter topic
        self.publish_retry_window = 0.0
        self._assign()
        self._dirty: list[Partition] = []  # partitions with uncommitted messages
        self._commit_armed = False

    @classmethod
    def level_names(cls, scenario: Scenario) -> tuple[str, ...]:
        """Consumer lag per partition (and the retry lane)."""
        cfg = scenario.broker
        assert cfg.kind == "kafka"
        return tuple(f"lag_p{i}" for i in range(cfg.partitions + (1 if cfg.retry_topic else 0)))

    # --- producing --------------------------------------------------------------------
    def publish(self, msg: Message) -> bool:
        if self.down:
            return False
        self._append(self.partitions[partition_of(msg.key, self.cfg.partitions)], msg)
        return True

    def _append(self, part: Partition, msg: Message) -> None:
        msg.enqueued = self.env.now
        if self.rec.task_partition[msg.task] < 0:  # the key's partition (not the retry lane)
            self.rec.task_partition[msg.task] = part.index
        part.log.append(msg)
        part.lag.add(self.env.now, 1)
        self.depth.add(self.env.now, 1)
        self._kick(part)

    # --- consuming --------------------------------------------------------------------
    def _kick(self, part: Partition) -> None:
        owner = part.owner
        if owner is None or part.busy or not part.log or self.paused or self.down \
                or not owner.alive:
            return
        if self.system.guard.checks_expiry:
            self._skip_expired(part)
            if not part.log:
                return
        if owner.free:
            self._run(owner, part)
        elif part not in owner.waiting:
            owner.waiting.append(part)

    def _skip_expired(self, part: Partition) -> None:
        """Messages at the head whose work is no longer wanted are skipped (and committed)."""
        guard, now = self.system.guard, self.env.now
        while part.log and guard.expired(part.log[0]):
            msg = part.log.popleft()
            part.lag.add(now, -1)
            self.depth.add(now, -1)
            self._processed(part, msg)
            self.system.expire(msg)

    def _run(self, consumer: Consumer, part: Partition) -> None:
        now, msg = self.env.now, part.log[0]
        part.busy = True
        consumer.free -= 1
        consumer.busy.add(now, 1)
        self.all_busy.add(now, 1)
        self.depth.add(now, -1)
        delivery = Delivery(msg)
        delivery.attempt_row = self.rec.new_attempt(msg.task, msg.attempt + 1, consumer.index,
                                                    msg.enqueued, now)
        self.system.mark_running(msg.task)
        consumer.running[part] = delivery
        done = self.system.guard.call(msg)
        done.callbacks.append(lambda event: self._finish(consumer, part, delivery, event))

    def _finish(self, consumer: Consumer, part: Partition, delivery: Delivery,
                event: simpy.Event) -> None:
        if delivery.killed:
            return
        now, msg, ok = self.env.now, delivery.msg, bool(event.value)
        self.rec.end_attempt(delivery.attempt_row, now, attempt_outcome(event.value))
        consumer.busy.add(now, -1)
        self.all_busy.add(now, -1)
        decision: RetryDecision | None = None
        if not ok and self.retry_lane is None:
            decision = self.system.retrier.decide(msg, self.dead_letter_exhausted)
            if decision.retry:  # retry in place: the partition (and this slot) waits it out
                delivery.stale = True
                self.depth.add(now, 1)
                self.env.timeout(decision.delay).callbacks.append(
                    lambda _e: self._retry_in_place(consumer, part, delivery))
                return
        self._advance(consumer, part)
        self.system.attempt_done(delivery, ok, decision, retry_into=self._retry_topic)

    def _retry_topic(self, msg: Message) -> bool:
        assert self.retry_lane is not None
        self._append(self.retry_lane, msg)
        return True

    def _retry_in_place(self, consumer: Consumer, part: Partition, delivery: Delivery) -> None:
        if delivery.killed or consumer.running.get(part) is not delivery:
            return
        del consumer.running[part]
        consumer.free += 1
        part.busy = False
        self._kick(part)
        self._next_partition(consumer)

    def _advance(self, consumer: Consumer, part: Partition) -> None:
        """The head message is done: move on, commit, and pick up the next partition."""
        msg = part.log.popleft()
        part.lag.add(self.env.now, -1)
        self._processed(part, msg)
        del consumer.running[part]
        consumer.free += 1
        part.busy = False
        self._kick(part)
        self._next_partition(consumer)

    def _next_partition(self, consumer: Consumer) -> None:
        while consumer.free and consumer.waiting:
            part = consumer.waiting.popleft()
            if part.owner is consumer:
                self._kick(part)

    def _processed(self, part: Partition, msg: Message) -> None:
        """``msg`` is done with (run or skipped): committed now, or at the next auto-commit."""
        if self.cfg.enable_auto_commit:
            if not part.uncommitted:
                self._dirty.append(part)
            part.uncommitted.append(msg)
            self._arm_commit()

    def _arm_commit(self) -> None:
        """Auto-commit fires every ``auto_commit_interval`` (at k × interval); a tick that would
        find nothing to commit is not scheduled, so idle time costs no events."""
        if self._commit_armed:
            return
        self._commit_armed = True
        interval = self.cfg.auto_commit_interval
        due = (math.floor(self.env.now / interval) + 1) * interval
        self.env.timeout(max(0.0, due - self.env.now)).callbacks.append(self._auto_commit)

    def _auto_commit(self, _event: object) -> None:
        self._commit_armed = False
        kept = []
        for part in self._dirty:
            if part.owner is not None and not part.owner.alive:  # a dead consumer commits
                kept.append(part)  # nothing: its partitions go back to the last commit
                continue
            part.uncommitted.clear()
        self._dirty = kept
        if kept:
            self._arm_commit()

    # --- group membership -------------------------------------------------------------
    def _assign(self) -> None:
        alive = [c for c in self.consumers if c.alive]
        for c in self.consumers:
            c.waiting.clear()
        for i, part in enumerate(self.partitions):
            part.owner = alive[i % len(alive)] if alive else None

    def _rebalance(self) -> None:
        """Eager rebalance: the whole group pauses; a newer rebalance restarts the pause."""
        self.paused = True
        self.generation += 1
        generation = self.generation
        pause = self.cfg.rebalance_pause

        def resume(_event: object) -> None:
            if generation != self.generation:
                return
            self.paused = False
            for consumer in self.consumers:  # the rebalance drops members that did not rejoin
                if not consumer.alive and consumer.in_group:
                    self._leave(consumer)
            self._assign()
            for part in self.partitions:
                self._kick(part)

        self.env.timeout(pause).callbacks.append(resume)

    def crash(self, consumer: Consumer, scope: str = "worker") -> None:
        """A consumer dies: its in-flight messages are killed and its partitions stall until
        the group coordinator notices, ``session_timeout`` seconds later (no heartbeats);
        then its partitions go back to the last committed offset and the group rebalances."""
        if not consumer.alive:
            return
        now = self.env.now
        consumer.alive = False
        consumer.deaths += 1
        for part, delivery in list(consumer.running.items()):
            delivery.killed = True
            part.busy = False
            if delivery.stale:  # waiting out a backoff: already counted as waiting
                continue
            self.rec.end_attempt(delivery.attempt_row, now, KILLED)
            consumer.busy.add(now, -1)
            self.all_busy.add(now, -1)
            self.depth.add(now, 1)
            delivery.msg.deliveries += 1
            self.system.redelivered(delivery.msg)
        consumer.running.clear()
        consumer.free = consumer.concurrency
        deaths = consumer.deaths

        def session_expired(_event: object) -> None:
            if consumer.deaths == deaths and not consumer.alive and consumer.in_group:
                self._leave(consumer)
                self._rebalance()

        if self.cfg.session_timeout > 0:
            self.env.timeout(self.cfg.session_timeout).callbacks.append(session_expired)
        else:
            session_expired(None)

    def _leave(self, consumer: Consumer) -> None:
        """A dead member leaves the group: its partitions resume from the last commit."""
        consumer.in_group = False
        for part in self.partitions:
            if part.owner is consumer:
                self._rewind(part)

    def _rewind(self, part: Partition) -> None:
        """Messages processed since the last commit are read again."""
        now = self.env.now
        for msg in reversed(part.uncommitted):
            msg.deliveries += 1
            self.system.redelivered(msg, copy=True)
            part.log.appendleft(msg)
            part.lag.add(now, 1)
            self.depth.add(now, 1)
        part.uncommitted.clear()  # (it may stay listed in _dirty: clearing it again is harmless)

    def restart(self, consumer: Consumer) -> None:
        """A new consumer process joins (before or after the old session expired)."""
        if consumer.alive:
            return
        if consumer.in_group:  # its old session is replaced now
            self._leave(consumer)
        consumer.alive = True
        consumer.in_group = True
        self._rebalance()

    # --- broker-wide ------------------------------------------------------------------
    def set_down(self, down: bool) -> None:
        self.down += 1 if down else -1
        if not self.down:
            for part in self.partitions:
                self._kick(part)

    def on_tick(self) -> None:
        """Nothing periodic beyond auto-commit (which has its own timer)."""
