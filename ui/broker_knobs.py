"""The broker knobs: its kind, and the settings of that kind read from the schema, each with a
label (unit included) and a tooltip in plain words. Pure Python (no streamlit)."""

from __future__ import annotations

import typing
from typing import Any

from sim.scenario import Scenario
from ui.knobs import same

BROKER_KIND = "broker_kind"
BROKER_HELP = {
    "rabbitmq": "A classic message queue: the broker pushes each message to one worker.",
    "redis": "A Redis list used as a queue: unacknowledged messages come back after the "
             "visibility timeout.",
    "kafka": "A partitioned log: each partition is read in order by one consumer, so a slow "
             "partition builds up lag.",
}


DEAD_LETTER = ("Dead-letter exchange (DLX)",
               "On: messages the queue throws away (full, expired, delivered too often) and "
               "tasks that used up their retries are parked in a dead-letter queue for a human "
               "to inspect. Off: thrown-away messages are dropped and exhausted tasks are "
               "recorded as failed.")
FIELD_TEXT: dict[str, tuple[str, str]] = {
    "max_length": ("Max queue length (messages; 0 = no limit)",
                   "The most messages the queue holds (x-max-length). What happens to more is "
                   "set by 'When the queue is full'."),
    "overflow": ("When the queue is full (x-overflow)",
                 "drop-head: the oldest waiting message is thrown away (to the dead-letter "
                 "queue if there is one). "
                 "reject-publish: the new message is refused, so the request fails. "
                 "reject-publish-dlx: refused and dead-lettered."),
    "message_ttl": ("Message time-to-live (s; 0 = none)",
                    "A message that waits in the queue longer than this is thrown away, to the "
                    "dead-letter queue if there is one (x-message-ttl)."),
    "delivery_limit": ("Delivery limit (times; 0 = none)",
                       "Quorum queues: a message delivered this many times without success is "
                       "thrown away (or dead-lettered), so a crashing message cannot loop "
                       "forever."),
    "dead_letter": DEAD_LETTER,
    "publish_retry_window": ("Publish retry window (s)",
                             "While the broker is down, the web handler's client keeps "
                             "retrying a publish this long (holding its thread) before the "
                             "request fails. Celery's default retry policy gives up after "
                             "about a second."),
    "visibility_timeout": ("Visibility timeout (s)",
                           "A task taken by a worker but not acknowledged within this time is "
                           "handed to another worker, even if the first is still running it: "
                           "long tasks then run twice. A dead worker's tasks also wait this "
                           "long before they come back."),
    "restore_interval": ("Restore sweep every (s)",
                         "How often live workers look for messages past the visibility "
                         "timeout and put them back (kombu: about every 100 s per worker)."),
    "session_timeout": ("Session timeout (s)",
                        "A consumer that dies is noticed only after this long without "
                        "heartbeats (session.timeout.ms, 45 s by default); until then its "
                        "partitions stall."),
    "partitions": ("Partitions",
                   "The topic is split into this many ordered logs. Each is read by one "
                   "consumer, one message at a time, so at most this many tasks run at once."),
    "keys": ("Distinct message keys",
             "Messages with the same key (say, the customer id) always go to the same "
             "partition, so their order is kept."),
    "key_skew": ("Key skew (0 = even)",
                 "How uneven the keys are (a Zipf exponent): 0, every key is equally common; "
                 "1 or more, a few keys send most messages and their partition gets hot."),
    "enable_auto_commit": ("Auto-commit offsets (enable.auto.commit)",
                           "On: the consumer marks messages as read every few seconds, done or "
                           "not. Off: only after processing each one. After a crash, messages "
                           "since the last commit are processed again."),
    "auto_commit_interval": ("Auto-commit interval (s)",
                             "How often offsets are committed when auto-commit is on."),
    "rebalance_pause": ("Rebalance pause (s)",
                        "When a consumer joins or leaves, every consumer of the group stops "
                        "this long while the partitions are shared out again."),
    "retry_topic": ("Separate retry topic",
                    "On: a failed message goes to a retry topic and its partition moves on. "
                    "Off: it is retried in place and holds up every message behind it."),
}


def broker_models() -> dict[str, Any]:
    """Broker kinds the schema accepts, with their model classes."""
    annotation = Scenario.model_fields["broker"].annotation
    found: dict[str, Any] = {}
    stack = [annotation]
    while stack:
        item = stack.pop()
        if isinstance(item, type) and hasattr(item, "model_fields"):
            tag = item.model_fields.get("kind")
            if tag is not None:
                found[str(tag.default)] = item
        else:
            stack.extend(typing.get_args(item))
    return dict(sorted(found.items(), key=lambda kv: kv[0] != "rabbitmq"))


def field_choices(field: Any) -> list[str] | None:
    """The allowed values of a Literal field (e.g. overflow), else None."""
    if typing.get_origin(field.annotation) is typing.Literal:
        return [str(v) for v in typing.get_args(field.annotation)]
    return None


def broker_fields(kind: str) -> dict[str, Any]:
    """The settings of a broker kind a widget can show (numbers, switches, fixed choices):
    name -> pydantic FieldInfo, in schema order."""
    model = broker_models().get(kind)
    if model is None:
        return {}
    return {name: f for name, f in model.model_fields.items()
            if name != "kind" and (f.annotation in (int, float, bool) or field_choices(f))}


def field_text(kind: str, name: str, field: Any) -> tuple[str, str]:
    """(label with unit, tooltip) of a broker setting; the real setting name is in the tip."""
    label, tip = FIELD_TEXT.get(name, (name.replace("_", " "), field.description or ""))
    return label, f"{tip} (setting `{name}` of {kind})".strip()


def field_bounds(field: Any) -> tuple[float | None, float | None]:
    """(lowest, highest) allowed by a pydantic field's ge/gt/le constraints."""
    low = high = None
    for item in field.metadata:
        low = getattr(item, "ge", None) if getattr(item, "ge", None) is not None else low
        if getattr(item, "gt", None) is not None:
            low = item.gt
        high = getattr(item, "le", None) if getattr(item, "le", None) is not None else high
    return low, high


def broker_overrides(base: Scenario, kind: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Overrides for the broker: its changed settings, or the whole section for a new kind."""
    current = base.to_dict().get("broker", {})
    if kind != current.get("kind"):
        return {"broker": {"kind": kind, **settings}}
    return {f"broker.{name}": value for name, value in settings.items()
            if not same(value, current.get(name))}
