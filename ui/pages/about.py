"""About: what the simulator models and leaves out, the glossary, and how to reproduce a run."""

from __future__ import annotations

import streamlit as st

from sim.calibrate.published import comparison_rows, measured_overheads, published_record
from sim.charts.export import version

MODELLED = """
**What is simulated.** Users send requests at random (Poisson arrivals, at the rate you set).
Each request waits for a free **web thread**, then the handler does its own short work.

* **Sync**: the handler then runs the slow **task** itself (sending an email, charging a card,
  building a report) and only answers when it is done — retries and their waits included, all
  while holding the thread.
* **Async**: the handler puts a **message** on a **broker** and answers at once ("202 accepted").
  **Workers** (Celery-style processes with a number of slots each) take messages, run the task,
  and retry it after a **back-off** if it fails.

The same seed gives the same users and the same task sizes in both designs, so differences come
from the design, not from luck.
"""

SIMPLIFIED = """
**What is simplified or left out.**
* Time is simulated, not measured: no network latency, serialization, garbage collection or
  operating-system scheduling, except where a scenario adds them as explicit service time or
  as the measured overheads below (`dispatch_delay`, `task_overhead`).
* A web thread does one request at a time (a thread pool, not an event loop).
* Task times follow the chosen distribution (mean and variability); they do not depend on
  load unless a scenario models a slower downstream service.
* The broker itself never becomes the bottleneck unless a scenario caps its length or
  injects an outage.
* Each run is one sample: short runs are noisy. Use a longer duration or the Replications
  control (several seeds, with confidence intervals) before drawing a conclusion.
"""

FAILURES = """
**How failures behave, and where that comes from.** The simulator follows what Celery 5,
kombu 5, RabbitMQ and Kafka do; the source named in brackets is where to check.

* **A pool process dies** (`worker_crash` with `scope: child`): the worker lives on and
  replaces the process. The task is recorded as failed with `WorkerLostError` - with early
  acknowledgement too, so it is not silently lost; with `acks_late` the message is put back
  only if `task_reject_on_worker_lost` is set (Celery, `celery/worker/request.py`,
  `Request.on_failure`).
* **A whole worker or its machine is lost** (`scope: worker`, the default): tasks it had
  already acknowledged (early ack) are lost; every unacknowledged message (running `acks_late`
  tasks, prefetched ones, countdown retries it was holding) goes back. RabbitMQ does that at
  once, when the connection closes. Redis has no such link: kombu keeps delivered messages
  in an "unacked" set and live workers sweep it, putting back those older than
  `visibility_timeout`, about every 100 s (`broker.restore_interval`; kombu
  `kombu/transport/redis.py`, `QoS.restore_visible`, called every 10 s and scanning on
  every 10th call in kombu 5.3–5.6).
* **Countdown retries** (`retry(countdown=...)`): the retry is published at once with an ETA
  and a worker holds it, unacknowledged, until it is due. On Redis a countdown longer than
  the visibility timeout is therefore restored while held, and the task runs twice (Celery
  documentation, "Using Redis: visibility timeout").
* **Time limits**: `time_limit` kills the process; the attempt fails with
  `TimeLimitExceeded` and is not retried. `soft_time_limit` raises `SoftTimeLimitExceeded`
  inside the task, which retries on it when `task.retry_on_soft_time_limit` (Celery,
  `Request.on_timeout`).
* **Kafka**: a crashed consumer is noticed after `session_timeout` (session.timeout.ms,
  45 s by default since Kafka 3.0); until then its partitions stall while the others keep
  consuming; then the group rebalances and pauses.
* **Dropped or dead-lettered**: messages RabbitMQ throws away (queue full with drop-head,
  expired, over the delivery limit) are dead-lettered only if a dead-letter exchange is set
  (`broker.dead_letter`); otherwise they are dropped (`tasks.dropped`, with the reason). A
  task out of retries fails, or is dead-lettered as `rejected` with a dead-letter exchange.
* **Broker outage**: every connection closes, so unacknowledged messages go back and
  `acks_late` tasks still running run a second time (RabbitMQ at once, Redis after the
  visibility timeout). A publish during the outage is retried by the client for
  `broker.publish_retry_window` (1 s; Celery's `task_publish_retry_policy` waits 0, 0.2,
  0.4 s between tries, `celery/app/defaults.py`) while the request holds its web thread;
  then the request fails.
* **Celery's retry options**: `retry_backoff: false` means the task's fixed
  `default_retry_delay` of 180 s, no jitter; a numeric `retry_backoff` is rounded to
  `int(max(1, x))` seconds; full jitter in Celery draws whole seconds, `randrange(d + 1)`
  (`retry.jitter_whole_seconds: true`; `celery/app/autoretry.py`,
  `celery.utils.time.get_exponential_backoff_interval`).
"""

DEFINITIONS = (
    ("user wait (the headline)", "every user who arrived counts: from the request's arrival "
     "until the user got an answer (success or error) or stopped waiting — gave up at the "
     "time-out, or was still waiting when the run ended (then the time until the end, a lower "
     "bound). The KPI shows its p95 and, when anyone gave up, how many (\"88 % gave up\")."),
    ("response time", "from a request's arrival until its response leaves the web tier "
     "(success or error), **answered requests only**: users who timed out are left out, so "
     "it flatters a design that drops people. The response-time chart therefore counts "
     "everyone: its curve stops at the share of users answered, and a percentile it never "
     "reaches says so (\"p95 not reached: 88 % gave up\")."),
    ("p50 / p95 / p99", "the time within which 50 %, 95 %, 99 % of the users were served; "
     "p95 is what most users feel on a bad day."),
    ("answered share", "requests answered successfully / requests that arrived (after the "
     "warm-up); the rest gave up: an error, a time-out, or still waiting at the end."),
    ("throughput", "responses completed while requests were arriving, divided by that "
     "duration (requests/s)."),
    ("task latency", "from the request's arrival until its task finally succeeded (after any "
     "retries); **succeeded tasks only**, so a task can have a latency although its user "
     "gave up long before."),
    ("queue wait", "async: from publishing a task until a worker starts it; sync: the wait "
     "for a free web thread."),
    ("utilization", "the share of time the web threads (or worker slots) were busy over the "
     "whole run. At 100 % the queue grows without limit."),
    ("warm-up", "optional first seconds left out of the statistics."),
    ("goodput", "useful answers per second, in 5 s windows: requests answered successfully "
     "(sync), tasks done (async, where the user's answer is only \"202 accepted\")."),
    ("recovery time (recovery_s)", "after the last fault ends, the time until goodput is back "
     "to at least 90 % of the arrival rate in a 5 s window; none when it never is before "
     "arrivals stop (or there was no fault)."),
    ("amplification", "calls that reached the downstream service / first attempts: 1× means "
     "no retries; retries push it up, an open circuit breaker takes it below 1. Over the whole "
     "run, and during the faults (`downstream.fault_amplification`)."),
    ("wasted calls", "downstream calls started for a user who had already stopped waiting "
     "(a sync request past its time-out) or past the request's deadline."),
    ("shed, expired", "a shed request was refused at once by load shedding (HTTP 503): it "
     "counts among those who gave up, with a wait of 0; an expired task was skipped because "
     "its deadline or Celery `expires` had passed: its work was not done."),
)

THEORY = """
**The theory line.** The Theory chart and the summary's `theory` section put a queueing
formula next to the simulated mean queue wait. The queueing tier is treated as an **M/G/c**
queue (random arrivals, c servers, one line): the web threads in sync mode, the worker slots in
async mode. What a server is *held* for comes from the scenario, mean **and variance**: a web
thread holds a request for the handler, every attempt of the task and every back-off wait
between attempts (with the jitter's own spread); a worker slot holds one attempt, and retried
attempts arrive again. The mean wait is the two-moment approximation
Wq ≈ φ · Wq(M/M/c) · (1 + SCV) / 2, with SCV = variance / mean² of the holding time
(H. Lee and J. Longton, "Queueing processes associated with airline passenger check-in",
Operational Research Quarterly 10, 1959; A. O. Allen, "Probability, Statistics, and Queueing
Theory", 2nd ed., 1990, the Allen–Cunneen form), and φ is Ward Whitt's correction
("Approximations for the GI/G/m queue", Production and Operations Management 2(2), 1993,
building on G. Cosmetatos' 1976 correction for constant service). It is exact for one server
and for exponential holding times (Erlang C). On long runs of the default sign-up scenario
with late acknowledgement it agrees with the simulation within 15 % in both designs (the tests
check this).

Where the simulator models something the formula ignores, the chart says so under the theory
bar, in words: an early-ack worker reserves a message while its slots are busy (so waits run
above M/G/c), prefetch, rate limits, Kafka partitions (each its own queue), faults, a changing
arrival rate, users who resend, a capped or timed-out downstream, time limits, queue limits.
Then the number is a rough guide, or there is none.
"""
RESILIENCE = """
**Defences against retry storms.** A short outage can push a system into overload that
sustains itself after the outage has ended (a *metastable failure*: N. Bronson et al., HotOS
2021; L. Huang et al., OSDI 2022): failed calls are retried, retried calls queue, queued calls
time out, time-outs are retried. Five defences, each bounding one thing, with the real
systems' names (all off by default):

* **Back-off and jitter** (`retry.backoff`, `retry.jitter`) bound the *timing* of retries.
* **Retry budget** (`retry.budget: {ratio, min_per_second}`, as Finagle's `RetryBudget`:
  `percentCanRetry`, `minRetriesPerSec`; Envoy and Polly have the same idea) bounds their
  *volume*: a retry is made only while retries in the last 10 s stay within `ratio` × the
  first attempts in them plus `min_per_second` × 10 s. A retry that finds no token is not
  made: the task fails (or is dead-lettered) with the reason `budget`.
* **Circuit breaker** (`circuit_breaker`, as Resilience4j's: `failure_rate_threshold` =
  `failureRateThreshold`, `sliding_window` = `slidingWindowSize` (count-based),
  `minimum_calls` = `minimumNumberOfCalls`, `wait_in_open` = `waitDurationInOpenState`,
  `half_open_calls` = `permittedNumberOfCallsInHalfOpenState`) around the downstream calls of
  the calling tier (web handlers in sync, workers in async) bounds the *recovery window*. Open:
  calls fail at once without reaching the service. Half-open: the trial calls all succeed →
  closed; any fails → open again (Polly's rule; Resilience4j compares their failure rate with
  the threshold).
* **Deadlines and expiry** (`arrivals.deadline`, propagated to the request's task like a gRPC
  deadline; `task.expires`, Celery's `expires` for async tasks) bound *wasted work*: a call or
  a message found past its deadline is skipped (`tasks.expired`).
* **Load shedding** (`web.max_queue`) bounds the *queue*: a request that finds that many
  waiting for a web thread is refused at once (`requests.shed`).

The "Defences & recovery" tab shows goodput against the offered load, amplification over time
and the breaker's state; on the Playground it also runs the **defence ladder**: the same
traffic with no defences, then one more defence per rung.
"""

GLOSSARY = """
* **Broker** — the post office between web and workers (RabbitMQ, Redis, Kafka). It keeps
  messages until a worker takes them.
* **Worker / slot (concurrency)** — a background process and the number of tasks it runs at once.
* **Prefetch (prefetch_multiplier)** — how many messages a worker reserves per slot ahead of
  time. High values make fast, idle workers wait while a busy one sits on a pile of messages.
* **Ack (acks_late)** — the worker's "done" note to the broker. Early ack: the message is
  forgotten when the task starts (a lost worker loses it). Late ack: only when it ends (a
  lost worker makes the broker deliver it again - on Redis only after the visibility
  timeout - so it may run twice).
* **Retry, back-off, jitter** — trying a failed task again, after waiting (fixed or doubling
  each time, up to a cap), with a random spread so that failures do not all retry together.
* **Dead-letter, dropped** — a dead-letter exchange keeps the messages a queue gives up on,
  for a human to inspect; without one they are simply dropped. The task chart names the
  reason: out of retries, queue full (max length), expired (TTL), or delivered too many times
  (delivery limit).
* **Poison message** — a task that can never succeed (say, a malformed payload): it uses up
  every retry, then fails or is dead-lettered.
* **Redelivery, duplicate** — the broker hands a message out again (its worker crashed, or a
  Redis visibility timeout ran out). If the first run was still going, the task runs twice.
* **Lost task** — with early acknowledgement the broker has already forgotten a message when
  its worker (or machine) dies mid-task, so nobody runs it again. When only a pool process
  dies, Celery records the task as failed (`WorkerLostError`) instead.
* **Partition, consumer lag (Kafka)** — a topic is split into ordered partitions, each read by
  one consumer; lag is how many messages a partition's consumer is behind. Messages with the
  same key share a partition, so a hot key makes one partition (and its consumer) the
  bottleneck while the others idle.
* **Exchange, binding key, fan-out** — with several services, the web app publishes one event
  to an *exchange*, which copies it into the queue of every service whose *binding key*
  matches the event's routing key (direct: equal keys; fanout: every queue; topic: word by
  word, `*` one word, `#` any number). Each service drains its own queue, so a slow one only
  falls behind itself. An event no binding matches is *unroutable* (dropped, or kept by an
  alternate exchange).
* **Consumer group (Kafka)** — each service reading a topic is its own group, with its own
  offsets and lag: every group reads every message, at its own pace.
* **Rate limit, time limits** — Celery's `rate_limit` caps how many tasks a worker starts per
  second; `soft_time_limit` raises an exception inside a task that runs too long (it may
  retry), `time_limit` kills it (a failure, never retried).
* **Downstream** — the outside service a task calls (mail server, payment gateway). It may
  take only so many calls at once, and callers may give up on slow calls.
* **Time-out, client retry, retry storm** — a user who waits too long gives up and often tries
  again; the server may still be working on the first request, so the same work arrives
  twice. After an outage, immediate retries from many callers can keep a service overloaded
  long after it is back: a retry storm. Back-off with jitter spreads them out.
* **Fault window** — a period when something is broken on purpose (a worker crash, a broker
  or downstream outage, a slowdown); shaded grey on the time charts.
* **Little's law** — items in a system = arrival rate × time each spends there.
* **Replications and the 95 % confidence interval** — the same configuration run on seeds
  seed, seed+1, …; a figure is shown as mean ± t·s/√n (Student t with n−1 degrees of freedom,
  s the spread between replications), which covers the true long-run mean in about 95 % of
  experiments. Compare tests each difference on the same seeds (paired t); a difference whose
  interval contains 0 is "within the noise". With several replications the response-time
  chart draws a *pointwise* band: at each response time x, the interval of the replications'
  shares of users answered within x (each replication's ECDF is read on one fixed time grid);
  the over-time chart does the same per arrival window, and bar charts carry the interval as
  error bars. A pointwise band covers each point, not the whole curve at once (a simultaneous
  band would be wider). The capacity planner keeps the smallest setting
  whose upper bound meets every objective. (A. M. Law, *Simulation Modeling and Analysis*,
  5th ed., 2015, ch. 9–10.)
* **Bounds on a run and an experiment** — every run's work (arrivals × expected attempts,
  redeliveries, timers) is estimated before it starts: over `limits.max_events` it is refused
  with the reason, and a run that grows past it stops there with a warning. In the app a run
  has 30 s and an experiment (replications, a sweep, a capacity search, the defence ladder)
  60 s of wall-clock time, and an experiment at most 10 million events in all (the command
  line allows 200 million); a rerun or a closed tab stops the runs under way. What was
  stopped is said on the page, with what finished.
* **M/M/c, M/G/c** — the textbook queues: random arrivals, c servers, and exponential (M) or
  general (G) service times. Erlang C gives M/M/c's mean wait exactly; M/G/c has good
  approximations (see "The theory line" above); the Theory chart puts them next to the
  simulation.
"""


def overheads() -> None:
    """The measured overheads of the bundled scenario, and how they were measured."""
    values = measured_overheads()
    record = published_record()
    st.markdown(f"""
**Why.** A real worker does more than run the task: the message has to reach a free pool
process, and after the task the worker stores the result, acknowledges the message and takes
the next one. The textbook queue leaves this out, and on a real Celery worker the waits came
out far longer than it predicts. Two keys model it (both 0 unless a scenario sets them):
`broker.dispatch_delay`, the time from publish until an idle worker starts the task (part of
the queue wait), and `workers.task_overhead`, slot time after each task (with `acks_late`,
`workers.task_overhead_acks_late`; the next message is then fetched only after the
acknowledgement, which adds a dispatch delay per task too).

**Values** in the bundled scenario *celery_redis_measured*:
* `broker.dispatch_delay`: {values["broker.dispatch_delay"]}
* `workers.task_overhead`: {values["workers.task_overhead"]}
* `workers.task_overhead_acks_late`: {values["workers.task_overhead_acks_late"]}

**How they were obtained.** `{record["command"]}` started a real Redis server and a
{record["setup"]}. It replayed traces made by this simulator (Poisson arrivals, task times run
with `time.sleep`) at three loads, with early ack and with `acks_late`, measured the dispatch
delay (publish → start of tasks that found a free slot) and the slot overhead (start → next
start on the same pool process, minus the task time, when the next task was already waiting),
fitted a lognormal to each, then simulated the very same traces again. Real timings depend on
the machine (these come from a busy 2-core box): run the lab on yours to get your values.
""")
    st.dataframe(comparison_rows(record), hide_index=True)


def reproduce() -> None:
    st.markdown(f"""
**Reproduce a run.** Everything is deterministic: the same scenario and seed give exactly the
same numbers. The link in the address bar stores the scenario, seed and every changed knob;
the report and the YAML download store the full scenario with its seed. From a terminal:

```bash
python -m sim run scenario.yaml --mode both --out results --charts png,svg,html
```

**Cite.** Async Lab {version()}, a teaching simulator of synchronous vs asynchronous request
handling. Please give the version, the scenario YAML and the seed with any figure you publish.
""")


def render() -> None:
    st.query_params.clear()
    st.title("About Async Lab", anchor=False)
    st.markdown(MODELLED)
    st.markdown(SIMPLIFIED)
    st.markdown(FAILURES)
    st.header("Definitions", anchor=False)
    st.markdown("\n".join(f"* **{term}** — {meaning}" for term, meaning in DEFINITIONS))
    st.markdown(THEORY)
    st.markdown(RESILIENCE)
    st.header("Glossary", anchor=False)
    st.markdown(GLOSSARY)
    st.header("Measured overheads (Celery on Redis)", anchor=False)
    overheads()
    st.header("Reproduce and cite", anchor=False)
    reproduce()


render()
