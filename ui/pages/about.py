"""About: what the simulator models and leaves out, the glossary, and how to reproduce a run."""

from __future__ import annotations

import streamlit as st

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
  operating-system scheduling, except where a scenario adds them as explicit service time.
* A web thread does one request at a time (a thread pool, not an event loop).
* Task times follow the chosen distribution (mean and variability); they do not depend on
  load unless a scenario models a slower downstream service.
* The broker itself never becomes the bottleneck unless a scenario caps its length or
  injects an outage.
* Each run is one sample: short runs are noisy. Use a longer duration or several seeds
  before drawing a conclusion.
"""

DEFINITIONS = (
    ("response time", "from a request's arrival until its response leaves the web tier "
     "(success or error). Timed-out requests are counted apart and left out of the percentiles."),
    ("p50 / p95 / p99", "the time within which 50 %, 95 %, 99 % of the requests were answered; "
     "p95 is what most users feel on a bad day."),
    ("throughput", "responses completed while requests were arriving, divided by that "
     "duration (requests/s)."),
    ("task latency", "from the request's arrival until its task finally succeeded (after any "
     "retries); failed tasks are left out."),
    ("queue wait", "async: from publishing a task until a worker starts it; sync: the wait "
     "for a free web thread."),
    ("utilization", "the share of time the web threads (or worker slots) were busy over the "
     "whole run. At 100 % the queue grows without limit."),
    ("warm-up", "optional first seconds left out of the statistics."),
)

GLOSSARY = """
* **Broker** — the post office between web and workers (RabbitMQ, Redis, Kafka). It keeps
  messages until a worker takes them.
* **Worker / slot (concurrency)** — a background process and the number of tasks it runs at once.
* **Prefetch (prefetch_multiplier)** — how many messages a worker reserves per slot ahead of
  time. High values make fast, idle workers wait while a busy one sits on a pile of messages.
* **Ack (acks_late)** — the worker's "done" note to the broker. Early ack: the message is
  forgotten when the task starts (a crash loses it). Late ack: only when it ends (a crash makes
  the broker deliver it again, so it may run twice).
* **Retry, back-off, jitter** — trying a failed task again, after waiting (fixed or doubling
  each time, up to a cap), with a random spread so that failures do not all retry together.
* **Dead-letter** — where a message goes when it is given up on, for a human to inspect. The
  task chart names the reason: out of retries, queue full (max length), expired (TTL), or
  delivered too many times (delivery limit).
* **Poison message** — a task that can never succeed (say, a malformed payload): it uses up
  every retry, then fails or is dead-lettered.
* **Redelivery, duplicate** — the broker hands a message out again (its worker crashed, or a
  Redis visibility timeout ran out). If the first run was still going, the task runs twice.
* **Lost task** — with early acknowledgement the broker has already forgotten a message when
  its worker dies mid-task, so nobody runs it again.
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
  second; `soft_time_limit` and `time_limit` stop a task that runs too long.
* **Downstream** — the outside service a task calls (mail server, payment gateway). It may
  take only so many calls at once, and callers may give up on slow calls.
* **Time-out, client retry, retry storm** — a user who waits too long gives up and often tries
  again; the server may still be working on the first request, so the same work arrives
  twice. After an outage, immediate retries from many callers can keep a service overloaded
  long after it is back: a retry storm. Back-off with jitter spreads them out.
* **Fault window** — a period when something is broken on purpose (a worker crash, a broker
  or downstream outage, a slowdown); shaded grey on the time charts.
* **Little's law** — items in a system = arrival rate × time each spends there.
* **M/M/c** — the textbook queue: random arrivals, random (exponential) service times,
  c servers. Its formula (Erlang C) predicts the mean wait; the Theory chart puts it next to
  the simulation.
"""


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
    st.title("About Async Lab")
    st.markdown(MODELLED)
    st.markdown(SIMPLIFIED)
    st.subheader("Definitions")
    st.markdown("\n".join(f"* **{term}** — {meaning}" for term, meaning in DEFINITIONS))
    st.subheader("Glossary")
    st.markdown(GLOSSARY)
    st.subheader("Reproduce and cite")
    reproduce()


render()
