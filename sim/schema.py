"""The scenario schema: every part of the simulated system as a frozen, strict pydantic model.

Real configuration names are used where the real systems have them (Celery's
``prefetch_multiplier``, ``acks_late``, ``rate_limit``; RabbitMQ's ``x-max-length``/``overflow``;
Redis transport's ``visibility_timeout``; Kafka's ``enable_auto_commit``), so what a student
learns transfers. Loading, overrides and error messages are in ``sim.scenario``.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.safe_yaml import quote

MAX_NUMBER = 1e9  # no time (s), rate or factor in a scenario needs more; 1e308 overflows sums


class Strict(BaseModel):
    """Base of every scenario section: frozen, unknown keys refused, and every number finite
    (NaN and ±inf refused, floats at most ``MAX_NUMBER`` in size), for every field."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _sane_size(cls, value: Any) -> Any:
        if isinstance(value, float) and abs(value) > MAX_NUMBER:
            raise ValueError(f"must be at most {MAX_NUMBER:g} in size, got {value:g}")
        return value


# --- distributions -------------------------------------------------------------------------


class ConstantDist(Strict):
    dist: Literal["constant"] = "constant"
    value: float = Field(ge=0, description="the fixed time, seconds")


class ExponentialDist(Strict):
    dist: Literal["exponential"] = "exponential"
    mean: float = Field(gt=0, description="mean, seconds")


class LognormalDist(Strict):
    dist: Literal["lognormal"] = "lognormal"
    mean: float = Field(gt=0, description="mean, seconds")
    cv: float = Field(ge=0, le=10, description="coefficient of variation (std / mean)")


class UniformDist(Strict):
    dist: Literal["uniform"] = "uniform"
    low: float = Field(ge=0, description="smallest value, seconds")
    high: float = Field(ge=0, description="largest value, seconds")

    @model_validator(mode="after")
    def _ordered(self) -> UniformDist:
        if self.high < self.low:
            raise ValueError(f"high: must be ≥ low ({self.low:g}), got {self.high:g}")
        return self


class ErlangDist(Strict):
    dist: Literal["erlang"] = "erlang"
    mean: float = Field(gt=0, description="mean, seconds")
    k: int = Field(ge=1, le=1000, description="number of exponential phases")


Distribution = Annotated[
    Union[ConstantDist, ExponentialDist, LognormalDist, UniformDist, ErlangDist],
    Field(discriminator="dist"),
]


# --- clients and web tier ------------------------------------------------------------------


class RateStep(Strict):
    at: float = Field(ge=0, description="from this time on, seconds")
    rate: float = Field(ge=0, le=100_000, description="requests per second")


class EventKind(Strict):
    routing_key: str = Field(max_length=255, description="e.g. user.signed_up")
    share: float = Field(gt=0, le=1, description="fraction of requests publishing this event")


class Arrivals(Strict):
    rate: float = Field(gt=0, le=100_000, description="requests per second (Poisson)")
    profile: list[RateStep] = Field(default_factory=list, max_length=1000,
                                    description="rate steps over time")
    client_retries: int = Field(default=0, ge=0, le=10, description="resends after a timeout")
    client_retry_delay: float = Field(default=1.0, ge=0, description="wait before resending, s")
    events: list[EventKind] = Field(default_factory=list, max_length=20,
                                    description="kinds of event a request publishes (services)")
    deadline: float = Field(
        default=0.0, ge=0, description="a request's deadline, s after arrival, propagated to "
        "its task (like Celery's expires, gRPC deadlines): work found expired is skipped, not "
        "done; 0 = none")

    @field_validator("profile")
    @classmethod
    def _sorted(cls, steps: list[RateStep]) -> list[RateStep]:
        times = [s.at for s in steps]
        if times != sorted(times):
            raise ValueError("steps must be in order of 'at'")
        return steps

    @field_validator("events")
    @classmethod
    def _shares(cls, events: list[EventKind]) -> list[EventKind]:
        total = sum(e.share for e in events)
        if events and abs(total - 1) > 1e-6:
            raise ValueError(f"shares must add up to 1, got {total:g}")
        keys = [e.routing_key for e in events]
        if len(set(keys)) < len(keys):
            raise ValueError("each routing key may appear only once")
        return events

    def rate_at(self, t: float) -> float:
        rate = self.rate
        for step in self.profile:
            if step.at <= t:
                rate = step.rate
        return rate


class Web(Strict):
    workers: int = Field(default=8, ge=1, le=10_000, description="web threads")
    service: Distribution = ExponentialDist(mean=0.02)
    publish: Distribution = ConstantDist(value=0.002)
    timeout: float | None = Field(default=None, gt=0, description="client gives up after, s")
    max_queue: int = Field(
        default=0, ge=0, le=10_000_000, description="load shedding: a request that finds this "
        "many waiting for a thread is refused at once (503); 0 = unbounded")


class Task(Strict):
    service: Distribution = LognormalDist(mean=0.8, cv=0.5)
    failure_rate: float = Field(default=0.0, ge=0, le=1, description="chance an attempt fails")
    poison_rate: float = Field(default=0.0, ge=0, le=1, description="tasks that always fail")
    retry_on_soft_time_limit: bool = Field(
        default=True, description="the task retries on SoftTimeLimitExceeded (else it fails)")
    expires: float = Field(
        default=0.0, ge=0, description="Celery's expires for async tasks: a worker discards a "
        "message older than this many seconds (tasks.expired); 0 = never")


class Downstream(Strict):
    capacity: int = Field(default=0, ge=0, le=100_000, description="concurrent calls, 0 = no cap")
    timeout: float = Field(default=0.0, ge=0, description="caller gives up on a call, s; 0 = never")


# --- brokers -------------------------------------------------------------------------------


class Exchange(Strict):
    """Where a published event goes when the scenario has ``services`` (one queue each)."""

    type: Literal["direct", "fanout", "topic"] = "fanout"
    alternate_exchange: str | None = Field(default=None, description="takes unroutable events")


ZERO = ConstantDist(value=0)
DISPATCH_HELP = ("time from publish until an idle worker starts the task, s (fetch, hand-over "
                 "to a pool process); part of the queue wait, never of the task's run time; "
                 "a message prefetched while every slot is busy starts when one frees")


class RabbitMQBroker(Strict):
    kind: Literal["rabbitmq"] = "rabbitmq"
    max_length: int = Field(default=0, ge=0, le=100_000_000,
                            description="x-max-length, 0 = no limit")
    overflow: Literal["drop-head", "reject-publish", "reject-publish-dlx"] = "drop-head"
    message_ttl: float = Field(default=0.0, ge=0, description="x-message-ttl, s; 0 = none")
    delivery_limit: int = Field(default=0, ge=0, le=1_000_000,
                                description="quorum-queue delivery limit")
    dead_letter: bool = Field(default=False, description="a dead-letter exchange is configured")
    publish_retry_window: float = Field(default=1.0, ge=0, le=600,
                                        description="client retries a publish this long, s")
    exchange: Exchange = Exchange()
    dispatch_delay: Distribution = Field(default=ZERO, description=DISPATCH_HELP)


class RedisBroker(Strict):
    kind: Literal["redis"] = "redis"
    visibility_timeout: float = Field(default=3600.0, gt=0, description="seconds")
    restore_interval: float = Field(default=100.0, gt=0, le=86_400,
                                    description="seconds between kombu's restore sweeps")
    dead_letter: bool = False
    publish_retry_window: float = Field(default=1.0, ge=0, le=600,
                                        description="client retries a publish this long, s")
    exchange: Exchange = Exchange()  # kombu keeps exchange bindings in Redis too
    dispatch_delay: Distribution = Field(default=ZERO, description=DISPATCH_HELP)


class KafkaBroker(Strict):
    kind: Literal["kafka"] = "kafka"
    partitions: int = Field(default=6, ge=1, le=1000)
    keys: int = Field(default=1000, ge=1, le=1_000_000, description="distinct message keys")
    key_skew: float = Field(default=0.0, ge=0, le=5, description="Zipf exponent, 0 = uniform")
    enable_auto_commit: bool = False
    auto_commit_interval: float = Field(default=5.0, gt=0, description="seconds")
    rebalance_pause: float = Field(default=3.0, ge=0, description="seconds")
    session_timeout: float = Field(default=45.0, ge=0, le=86_400,
                                   description="a dead consumer is noticed after, s")
    retry_topic: bool = False


Broker = Annotated[Union[RabbitMQBroker, RedisBroker, KafkaBroker], Field(discriminator="kind")]

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*([smh])\s*$")
_PER = {"s": 1.0, "m": 60.0, "h": 3600.0}


class Workers(Strict):
    count: int = Field(default=2, ge=1, le=1000, description="worker processes")
    concurrency: int = Field(default=4, ge=1, le=1000, description="slots per worker")
    prefetch_multiplier: int = Field(default=1, ge=1, le=1000)
    acks_late: bool = False
    task_reject_on_worker_lost: bool = False
    rate_limit: str | None = Field(default=None, max_length=32,
                                   description='tasks per worker, e.g. "10/s"')
    soft_time_limit: float | None = Field(default=None, gt=0, description="seconds")
    time_limit: float | None = Field(default=None, gt=0, description="seconds")
    task_overhead: Distribution = Field(
        default=ZERO, description="extra slot time per attempt after the task body (ack, "
        "result, bookkeeping, handing a prefetched message over), s; Celery workers only, "
        "not Kafka")
    task_overhead_acks_late: Distribution | None = Field(
        default=None, description="task_overhead when acks_late is on (none = the same); "
        "with prefetch_multiplier 1 the slot then also waits a dispatch_delay for the next "
        "message, fetched only after the acknowledgement")

    @field_validator("rate_limit")
    @classmethod
    def _rate(cls, value: str | None) -> str | None:
        if value is not None and (not _RATE.match(value) or float(_RATE.match(value)[1]) <= 0):
            raise ValueError(f'must look like "10/s", "30/m" or "100/h", got {value!r}')
        return value

    def rate_per_second(self) -> float | None:
        if self.rate_limit is None:
            return None
        match = _RATE.match(self.rate_limit)
        assert match is not None
        return float(match[1]) / _PER[match[2]]

    def overhead(self) -> Distribution:
        """The slot overhead that applies with this ``acks_late``."""
        if self.acks_late and self.task_overhead_acks_late is not None:
            return self.task_overhead_acks_late
        return self.task_overhead


class RetryBudget(Strict):
    """Finagle's RetryBudget (Envoy and Polly have the same idea): a retry is made only while
    retries in the last ``BUDGET_TTL_S`` seconds stay within ``ratio`` × first attempts in them
    plus ``min_per_second`` × the window."""

    ratio: float = Field(default=0.0, ge=0, le=10, description="Finagle's percentCanRetry as a "
                         "share: retries allowed per recent first attempt; 0 = no budget")
    min_per_second: float = Field(default=1.0, ge=0, le=100_000, description="Finagle's "
                                  "minRetriesPerSec: retries always allowed per second")


CELERY_DEFAULT_RETRY_DELAY = 180.0  # celery.app.task.Task.default_retry_delay (3 * 60)


class Retry(Strict):
    max_retries: int = Field(default=3, ge=0, le=100)
    backoff: Literal["none", "fixed", "exponential"] = "exponential"
    base: float = Field(default=1.0, ge=0, description="first delay, seconds")
    cap: float = Field(default=60.0, ge=0, description="longest delay, seconds")
    jitter: Literal["none", "full", "equal", "decorrelated"] = "full"
    jitter_whole_seconds: bool = Field(
        default=False, description="full jitter draws whole seconds, as Celery's randrange")
    budget: RetryBudget = RetryBudget()

    @model_validator(mode="before")
    @classmethod
    def _celery_aliases(cls, data: Any) -> Any:
        """Celery's retry_backoff / retry_backoff_max / retry_jitter, with Celery's meaning
        (celery/app/autoretry.py and celery.utils.time.get_exponential_backoff_interval):
        ``retry_backoff: false`` is the task's fixed ``default_retry_delay`` (180 s) without
        jitter; a number is the backoff factor, rounded as Celery does (``int(max(1, x))``);
        ``retry_backoff_max`` is a whole number of seconds (default 600)."""
        if not isinstance(data, dict) or not {"retry_backoff", "retry_backoff_max",
                                              "retry_jitter"} & set(data):
            return data
        data = dict(data)
        for alias, key in (("retry_backoff", "backoff"), ("retry_backoff_max", "cap"),
                           ("retry_jitter", "jitter")):
            if alias in data and key in data:
                raise ValueError(f"{alias}: give either {alias} (Celery) or {key}, not both")
        if "retry_backoff_max" in data:
            cap = data.pop("retry_backoff_max")
            whole = (isinstance(cap, (int, float)) and not isinstance(cap, bool)
                     and math.isfinite(cap) and cap >= 0)
            data["cap"] = int(cap) if whole else cap  # the schema reports anything else
        backoff = data.pop("retry_backoff", None)
        if backoff is False:  # Celery's default: retry after default_retry_delay, no jitter
            data.pop("retry_jitter", None)
            data["backoff"], data["jitter"] = "fixed", "none"
            data.setdefault("base", CELERY_DEFAULT_RETRY_DELAY)
            data.setdefault("cap", max(CELERY_DEFAULT_RETRY_DELAY, data["base"]))
        elif backoff is not None:
            if not isinstance(backoff, (int, float)) or not math.isfinite(backoff) \
                    or backoff <= 0:
                raise ValueError(f"retry_backoff: must be true, false or a number > 0, "
                                 f"got {quote(backoff)}")
            data["backoff"] = "exponential"
            if backoff is True:
                data.setdefault("base", 1.0)
            else:
                data["base"] = float(int(max(1.0, backoff)))
            data.setdefault("cap", 600.0)
            data.setdefault("jitter", "full" if data.pop("retry_jitter", True) else "none")
        if "retry_jitter" in data:
            data["jitter"] = "full" if data.pop("retry_jitter") else "none"
        return data

    @model_validator(mode="after")
    def _whole_seconds(self) -> Retry:
        if self.jitter_whole_seconds and self.jitter != "full":
            raise ValueError(f"jitter_whole_seconds: needs jitter: full, got jitter: "
                             f"{self.jitter}")
        return self


class CircuitBreaker(Strict):
    """A circuit breaker around the downstream calls of the calling tier (web handlers in sync,
    workers in async), as Resilience4j's CircuitBreaker (count-based window) and Polly's."""

    enabled: bool = False
    failure_rate_threshold: float = Field(
        default=0.5, gt=0, le=1, description="Resilience4j's failureRateThreshold (as a share): "
        "open when this share of the calls in the window failed or timed out")
    sliding_window: int = Field(default=20, ge=1, le=10_000, description="Resilience4j's "
                                "slidingWindowSize: the last this many calls")
    minimum_calls: int = Field(default=10, ge=1, le=10_000, description="Resilience4j's "
                               "minimumNumberOfCalls: no verdict on fewer calls")
    wait_in_open: float = Field(default=5.0, gt=0, le=86_400, description="Resilience4j's "
                                "waitDurationInOpenState (Polly: BreakDuration), s")
    half_open_calls: int = Field(
        default=3, ge=1, le=1000, description="Resilience4j's "
        "permittedNumberOfCallsInHalfOpenState: trial calls; all succeed -> closed, any "
        "fails -> open again (as Polly)")

    @model_validator(mode="after")
    def _window(self) -> CircuitBreaker:
        if self.minimum_calls > self.sliding_window:
            raise ValueError(f"minimum_calls: must be ≤ sliding_window ({self.sliding_window}), "
                             f"got {self.minimum_calls}")
        return self


# --- faults --------------------------------------------------------------------------------


class WorkerCrash(Strict):
    kind: Literal["worker_crash"] = "worker_crash"
    at: float = Field(ge=0, description="seconds")
    count: int = Field(default=1, ge=1, le=1000, description="workers that crash")
    restart_after: float | None = Field(default=None, ge=0, description="seconds; none = never")
    scope: Literal["child", "worker"] = Field(
        default="worker", description="one pool process (child) or the whole worker/machine")
    service: str | None = Field(default=None, description="only this service's workers")


class BrokerOutage(Strict):
    kind: Literal["broker_outage"] = "broker_outage"
    at: float = Field(ge=0)
    duration: float = Field(gt=0)


class DownstreamOutage(Strict):
    kind: Literal["downstream_outage"] = "downstream_outage"
    at: float = Field(ge=0)
    duration: float = Field(gt=0)
    service: str | None = Field(default=None, description="only the API this service calls")


class DownstreamSlowdown(Strict):
    kind: Literal["downstream_slowdown"] = "downstream_slowdown"
    at: float = Field(ge=0)
    duration: float = Field(gt=0)
    factor: float = Field(default=5.0, ge=1, le=1000, description="calls take this many times")
    service: str | None = Field(default=None, description="only the API this service calls")


Fault = Annotated[Union[WorkerCrash, BrokerOutage, DownstreamOutage, DownstreamSlowdown],
                  Field(discriminator="kind")]


class Service(Strict):
    """One consumer of the published events: its own queue (or consumer group) and workers."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_\-]{0,23}$", description="e.g. email")
    task: Task = Task()
    workers: Workers = Workers()
    retry: Retry = Retry()
    routing_key: str | list[str] = Field(default="#", description="binding key(s) of its queue")

    @field_validator("routing_key")
    @classmethod
    def _some_key(cls, keys: str | list[str]) -> str | list[str]:
        if isinstance(keys, list) and not keys:
            raise ValueError("give at least one binding key")
        return keys


MAX_EVENTS = 10_000_000  # the largest run allowed: ~1 GB (README "Bounds": time and memory)


class Limits(Strict):
    """Bounds that keep every run finite in time and memory (README "Bounds": the figures)."""

    max_in_system: int = Field(default=50_000, ge=10, le=500_000,
                               description="stop bound (overload)")
    max_drain: float | None = Field(default=None, gt=0, le=10_000_000,
                                    description="drain time bound, s")
    max_requests: int = Field(default=2_000_000, ge=1, le=MAX_EVENTS,
                              description="arrivals stop here (memory bound)")
    max_events: int = Field(default=10_000_000, ge=1000, le=MAX_EVENTS,
                            description="work bound: requests + attempts + redeliveries")


class Scenario(Strict):
    id: str = Field(default="custom", pattern=r"^[A-Za-z0-9_\-]+$", max_length=64)
    title: str = Field(default="Custom scenario", max_length=200)
    description: str = Field(default="", max_length=20_000)
    topic: Literal["basics", "retries", "delivery", "kafka", "faults", "load"] = "basics"
    duration: float = Field(default=120.0, gt=0, le=10_000_000, description="seconds of arrivals")
    warmup: float = Field(default=0.0, ge=0, description="seconds dropped from statistics")
    seed: int = Field(default=42, ge=0, le=2**63 - 1)
    mode: Literal["sync", "async"] = "async"
    arrivals: Arrivals = Arrivals(rate=20)
    web: Web = Web()
    task: Task = Task()
    downstream: Downstream = Downstream()
    broker: Broker = RabbitMQBroker()
    workers: Workers = Workers()
    retry: Retry = Retry()
    circuit_breaker: CircuitBreaker = CircuitBreaker()
    faults: list[Fault] = Field(default_factory=list, max_length=100)
    limits: Limits = Limits()
    services: list[Service] = Field(default_factory=list, max_length=8,
                                    description="fan-out: each service consumes every event")

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.warmup >= self.duration:
            raise ValueError(
                f"warmup: must be < duration ({self.duration:g}), got {self.warmup:g}"
            )
        if self.arrivals.client_retries and self.web.timeout is None:
            raise ValueError("arrivals.client_retries: needs web.timeout (when users give up)")
        limits = (self.workers.soft_time_limit, self.workers.time_limit)
        if None not in limits and limits[0] > limits[1]:
            raise ValueError("workers.soft_time_limit: must be ≤ workers.time_limit")
        for i, fault in enumerate(self.faults):
            if isinstance(fault, WorkerCrash) and fault.scope == "child":
                if self.broker.kind == "kafka":
                    raise ValueError(f"faults.{i}.scope: child needs a Celery broker "
                                     f"(rabbitmq or redis), got kafka")
                if fault.restart_after is not None:
                    raise ValueError(f"faults.{i}.restart_after: not with scope: child (the "
                                     f"pool replaces a killed child at once)")
        _check_services(self)
        return self

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def service_names(self) -> list[str]:
        return [service.name for service in self.services]

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)


def _check_services(scenario: Scenario) -> None:
    """Service names are unique; a fault names a service that exists."""
    names = scenario.service_names()
    for i, name in enumerate(names):
        if name in names[:i]:
            raise ValueError(f"services.{i}.name: {name!r} is used twice")
    for i, fault in enumerate(scenario.faults):
        service = getattr(fault, "service", None)
        if service is not None and service not in names:
            known = ", ".join(names) if names else "none (the scenario has no services)"
            raise ValueError(f"faults.{i}.service: no service {quote(service)}; services: "
                             f"{known}")
    for i, service in enumerate(scenario.services):
        limits = (service.workers.soft_time_limit, service.workers.time_limit)
        if None not in limits and limits[0] > limits[1]:
            raise ValueError(f"services.{i}.workers.soft_time_limit: must be ≤ time_limit")
