"""Widgets for the knobs of a scenario, grouped, each with units and a plain-words tooltip.

Widget values live in ``st.session_state`` under ``prefix + knob.key``; they are filled from a
scenario before the widgets are drawn (so no widget is given both a default and a state value),
and turned back into dotted overrides afterwards.

Only the widgets of open groups are drawn (a browser draws every widget of a folded expander
too, and 40 sliders cost a new visitor about half a second before the first chart); the values
of a folded group's knobs are kept in the session, since Streamlit forgets the state of a
widget that is not drawn in a run.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from sim.scenario import Scenario, ScenarioError, apply_overrides
from ui.broker_knobs import (
    BROKER_HELP,
    BROKER_KIND,
    broker_fields,
    broker_models,
    broker_overrides,
    field_bounds,
    field_choices,
    field_text,
)
from ui.knobs import (
    GROUPS,
    KNOBS,
    SERVICES_WHY,
    Knob,
    choices,
    inactive,
    knob_values,
    not_applicable,
    overrides_for,
    rho_words,
    slider_range,
)

NUMBER_KINDS = {"int": int, "float": float, "optional": float, "rate": float}
BROKER_GROUP = "Broker"


def _broker_key(prefix: str, name: str) -> str:
    return f"{prefix}broker_{name}"


def fill(prefix: str, scenario: Scenario, force: bool = False) -> None:
    """Put the scenario's values into the widgets' state (missing ones, or all with ``force``)."""
    values = knob_values(scenario)
    broker = scenario.to_dict().get("broker", {})
    values[BROKER_KIND] = broker.get("kind", "rabbitmq")
    for name in broker_fields(values[BROKER_KIND]):
        values[f"broker_{name}"] = broker.get(name)
    for key, value in values.items():
        if force or prefix + key not in st.session_state:
            st.session_state[prefix + key] = value


def clear(prefix: str) -> None:
    """Forget the widgets' values (they are refilled from the scenario on the next draw)."""
    for key in list(st.session_state):
        if isinstance(key, str) and key.startswith(prefix) and (
                key[len(prefix):] in {k.key for k in KNOBS} or "broker_" in key):
            del st.session_state[key]


def broker_kind(prefix: str, scenario: Scenario | None = None) -> str | None:
    """The broker kind the page's widgets ask for (else the scenario's)."""
    kind = st.session_state.get(prefix + BROKER_KIND)
    if kind is None and scenario is not None:
        kind = scenario.broker.kind
    return kind


def current_values(prefix: str) -> dict[str, Any]:
    """The knobs' values as the page's widgets hold them now (widget key -> value)."""
    return {k.key: st.session_state[prefix + k.key] for k in KNOBS
            if prefix + k.key in st.session_state}


def knob_widget(knob: Knob, prefix: str, container: Any = st,
                scenario: Scenario | None = None, kind: str | None = None,
                mode: str | None = None) -> Any:
    """Draw one knob (its value is already in session state) and return the value.

    ``scenario`` (the page's base scenario) sets the arrival-rate slider's scale; a knob that
    does nothing here (Celery settings with Kafka, re-queue without late acks, back-off settings
    without back-off, worker settings in a sync-only run) is shown disabled, saying why.
    """
    key = prefix + knob.key
    services = bool(scenario is not None and scenario.services)
    why = inactive(knob, current_values(prefix), kind, mode, services)
    tip = knob.help if why is None else f"**Does nothing here.** {why}\n\n{knob.help}"
    if knob.kind == "bool":
        return container.toggle(knob.label, key=key, help=tip, disabled=why is not None)
    if knob.kind == "choice":
        return container.selectbox(knob.label, choices(knob), key=key, help=tip,
                                   disabled=why is not None)
    cast = NUMBER_KINDS.get(knob.kind, float)
    low, high, step, fmt = slider_range(knob, scenario)
    value = cast(st.session_state.get(key, low) or 0)
    st.session_state[key] = value
    low, high = cast(min(low, value)), cast(max(high, value))
    return container.slider(knob.label, min_value=low, max_value=high, step=cast(step),
                            key=key, help=tip, format=fmt, disabled=why is not None)


def group_key(prefix: str, group: str) -> str:
    """The session key of a knob group's expander (True when it is open)."""
    return f"{prefix}open_{group.lower().replace(' ', '_')}"


def open_only(prefix: str, groups: set[str]) -> None:
    """Unfold exactly ``groups`` (and the broker's with "Broker") on the next draw."""
    for group in (*GROUPS, BROKER_GROUP):
        st.session_state[group_key(prefix, group)] = group in groups


def groups_of(paths: Any) -> set[str]:
    """The knob groups of these dotted scenario keys (a link's changes), with "Broker"."""
    paths = set(paths)
    found = {k.group for k in KNOBS if k.path in paths}
    broker = any(p.split(".")[0] == "broker" for p in paths)
    return found | ({BROKER_GROUP} if broker else set())


def _group(prefix: str, label: str, unfolded: bool, container: Any) -> Any:
    """A knob group's expander, or None when it is folded (its widgets are not drawn then)."""
    key = group_key(prefix, label)
    if key not in st.session_state:
        st.session_state[key] = unfolded
    box = container.expander(label, key=key, on_change="rerun")
    return box if box.open else None


def keep(keys: Any) -> None:
    """Keep the values of widgets that are not drawn in this run (``keys``: session keys)."""
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def knob_panel(prefix: str, only: list[str] | None = None, container: Any = st,
               expanded: set[str] | None = None, scenario: Scenario | None = None,
               mode: str | None = None) -> None:
    """All knobs (or the ``only`` ones), grouped in expanders (``expanded`` ones unfolded the
    first time; the session remembers which are open). Only open groups draw their widgets.

    With the Kafka broker, Celery-only worker settings are disabled and say why."""
    expanded = expanded if expanded is not None else {"Traffic", "Workers"}
    kind = broker_kind(prefix, scenario)
    for group in GROUPS:
        knobs = [k for k in KNOBS if k.group == group and (only is None or k.key in only)]
        if not knobs:
            continue
        box = _group(prefix, group, group in expanded, container)
        if box is None:
            keep(prefix + k.key for k in knobs)
            continue
        with box:
            services = bool(scenario is not None and scenario.services)
            if services and any(not_applicable(k, kind, True) is SERVICES_WHY for k in knobs):
                st.caption(":material/info: Each service has its own settings "
                           "(`services:` in the Scenario lab): these knobs are off.")
            elif any(not_applicable(k, kind) for k in knobs):
                st.caption(":material/info: Kafka consumers do not use Celery's "
                           + ("prefetch or acknowledgement settings" if group == "Workers"
                              else "rate or time limits") + ": those knobs are off.")
            for knob in knobs:
                knob_widget(knob, prefix, scenario=scenario, kind=kind, mode=mode)
                if knob.key == "rate" and scenario is not None:
                    rho_readout(prefix, scenario, mode)


def rho_readout(prefix: str, base: Scenario, mode: str | None) -> None:
    """Under the arrival-rate slider: how busy the busiest tier of each design would be (ρ) at
    this rate with the other knobs as they are; at 1 its queue grows without limit."""
    try:
        effective = apply_overrides(base, overrides(prefix, base))
    except ScenarioError:
        return
    modes = ("sync", "async") if mode in (None, "both") else (mode,)
    st.caption(rho_words(effective, modes) + ". At ρ ≥ 1 the queue grows without limit.",
               help="ρ (rho) is the utilization: the share of time the tier would be busy "
               "(offered load ÷ capacity), computed from the scenario before running.")


def broker_panel(prefix: str, container: Any = st, expanded: bool = False) -> None:
    """Broker kind and the main settings of that kind (read from the schema), drawn when
    the group is open."""
    box = _group(prefix, BROKER_GROUP, expanded, container)
    if box is None:
        keep([k for k in st.session_state  # the kind and its settings
              if isinstance(k, str) and k.startswith(prefix + "broker_")])
        _broker_defaults(prefix, st.session_state.get(prefix + BROKER_KIND))
        return
    with box:
        kinds = list(broker_models())
        kind = st.selectbox("Broker kind", kinds, key=prefix + BROKER_KIND,
                            help="Which kind of message broker carries the jobs (async mode). "
                            + " ".join(f"{k}: {BROKER_HELP.get(k, '')}" for k in kinds))
        _broker_defaults(prefix, kind)
        for name, field in broker_fields(kind).items():
            _broker_widget(prefix, kind, name, field)


def _broker_defaults(prefix: str, kind: str | None) -> None:
    """A broker kind's settings not set yet take the schema's defaults (drawn or not)."""
    for name, field in (broker_fields(kind) if kind else {}).items():
        if st.session_state.get(_broker_key(prefix, name)) is None:
            st.session_state[_broker_key(prefix, name)] = field.default


def _broker_widget(prefix: str, kind: str, name: str, field: Any) -> None:
    key = _broker_key(prefix, name)
    label, tip = field_text(kind, name, field)
    options = field_choices(field)
    if options:
        st.selectbox(label, options, key=key, help=tip)
        return
    if field.annotation is bool:
        st.toggle(label, key=key, help=tip)
        return
    low, high = field_bounds(field)
    cast = int if field.annotation is int else float
    st.session_state[key] = cast(st.session_state[key])
    step = 1 if cast is int else (0.1 if (high or 10) <= 10 else 1.0)
    st.number_input(label, min_value=None if low is None else cast(low),
                    max_value=None if high is None else cast(high), key=key, help=tip,
                    step=cast(step))


def overrides(prefix: str, base: Scenario, only: list[str] | None = None,
              with_broker: bool = True) -> dict[str, Any]:
    """The dotted overrides that the widgets (all, or ``only`` some knobs) ask for."""
    values = {k.key: st.session_state[prefix + k.key] for k in KNOBS
              if prefix + k.key in st.session_state and (only is None or k.key in only)}
    out = overrides_for(base, values)
    if with_broker and prefix + BROKER_KIND in st.session_state:
        kind = st.session_state[prefix + BROKER_KIND]
        settings = {name: st.session_state.get(_broker_key(prefix, name))
                    for name in broker_fields(kind)}
        settings = {k: v for k, v in settings.items() if v is not None}
        out.update(broker_overrides(base, kind, settings))
    return out
