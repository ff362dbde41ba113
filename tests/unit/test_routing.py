"""Exchange routing against the AMQP 0-9-1 rules as RabbitMQ applies them (table-driven)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.model.routing import Exchange, binding_keys, topic_matches, words

TOPIC = [
    # binding, routing key, matches
    ("user.signed_up", "user.signed_up", True),
    ("user.signed_up", "user.updated", False),
    ("user.*", "user.signed_up", True),
    ("user.*", "user", False),  # * is exactly one word, never zero
    ("user.*", "user.signed_up.eu", False),  # ... and never two
    ("*.b", "b", False),
    ("*.b", "a.b", True),
    ("*", "", False),
    ("*", "a", True),
    ("*.*", "a.b", True),
    ("*.*", "a", False),
    ("#", "", True),  # the empty routing key has zero words: # matches it
    ("#", "a", True),
    ("#", "a.b.c", True),
    ("#.#", "", True),
    ("a.#", "a", True),  # # may stand for no word at all
    ("a.#", "a.b.c", True),
    ("a.#", "b.a", False),
    ("#.a", "a", True),
    ("#.a", "x.y.a", True),
    ("#.a", "a.x", False),
    ("a.#.b", "a.b", True),
    ("a.#.b", "a.x.y.b", True),
    ("a.#.b", "a.x.y", False),
    ("a.*.#", "a", False),
    ("a.*.#", "a.b", True),
    ("a.*.#", "a.b.c.d", True),
    ("#.*", "", False),
    ("#.*", "a", True),
    ("*.#.*", "a", False),
    ("*.#.*", "a.b", True),
    ("", "", True),  # an empty binding matches only the empty key
    ("", "a", False),
    ("a", "", False),
    ("a.*.b", "a..b", True),  # an empty word between dots is a word
    ("a..b", "a..b", True),
    ("a.b", "a..b", False),
    ("a.#.b", "a..b", True),
    ("User.*", "user.x", False),  # case-sensitive
    ("user*", "users", False),  # wildcards only as whole words
    ("user*", "user*", True),
    ("a#", "a.b", False),
    # the RabbitMQ tutorial's animals: <speed>.<colour>.<species>
    ("*.orange.*", "quick.orange.rabbit", True),
    ("*.*.rabbit", "quick.orange.rabbit", True),
    ("lazy.#", "lazy.orange.elephant", True),
    ("*.orange.*", "quick.orange.fox", True),
    ("*.*.rabbit", "lazy.brown.fox", False),
    ("lazy.#", "lazy.brown.fox", True),
    ("*.orange.*", "quick.brown.fox", False),
    ("*.orange.*", "orange", False),
    ("*.orange.*", "quick.orange.male.rabbit", False),
    ("lazy.#", "lazy.orange.male.rabbit", True),
]


@pytest.mark.parametrize(("binding", "key", "expected"), TOPIC)
def test_topic_matching(binding, key, expected):
    assert topic_matches(binding, key) is expected


@pytest.mark.parametrize(("binding", "key", "expected"), [
    ("user.signed_up", "user.signed_up", True),
    ("user.*", "user.signed_up", False),  # no wildcards on a direct exchange
    ("#", "anything", False),
    ("", "", True),
    ("User", "user", False),
])
def test_direct_matching(binding, key, expected):
    assert (Exchange("direct", [[binding]]).route(key) == (0,)) is expected


@pytest.mark.parametrize("key", ["", "user.signed_up", "#", "x.y.z"])
def test_fanout_ignores_the_routing_key(key):
    assert Exchange("fanout", [["a"], ["b.*"], [""]]).route(key) == (0, 1, 2)


def test_each_queue_gets_one_copy_even_if_several_of_its_bindings_match():
    # Q1 *.orange.*; Q2 *.*.rabbit and lazy.#: lazy.pink.rabbit reaches Q2 once
    exchange = Exchange("topic", [["*.orange.*"], ["*.*.rabbit", "lazy.#"]])
    assert exchange.route("quick.orange.rabbit") == (0, 1)
    assert exchange.route("lazy.orange.elephant") == (0, 1)
    assert exchange.route("quick.orange.fox") == (0,)
    assert exchange.route("lazy.brown.fox") == (1,)
    assert exchange.route("lazy.pink.rabbit") == (1,)
    assert exchange.route("quick.brown.fox") == ()  # unroutable


def test_signup_bindings():
    exchange = Exchange("topic", [["user.signed_up"], ["user.*"], ["#"]])
    assert exchange.route("user.signed_up") == (0, 1, 2)
    assert exchange.route("user.updated") == (1, 2)
    assert exchange.route("order.placed") == (2,)


def test_words_and_binding_keys():
    assert words("") == ()
    assert words("a..b") == ("a", "", "b")
    assert binding_keys("user.*") == ("user.*",)
    assert binding_keys(["a", "b.#"]) == ("a", "b.#")


def _reference(binding: str, key: str) -> bool:
    """A second, independent reading of the rules: a regular expression over ``.word``."""
    if not binding:
        return key == ""
    parts = []
    for word in binding.split("."):
        if word == "#":
            parts.append(r"(?:\.[^.]*)*")
        elif word == "*":
            parts.append(r"\.[^.]*")
        else:
            parts.append(r"\." + re.escape(word))
    return re.fullmatch("".join(parts), "." + key if key else "") is not None


WORD = st.sampled_from(["a", "b", ""])
KEYS = st.lists(WORD, max_size=5).map(".".join)
BINDINGS = st.lists(st.sampled_from(["a", "b", "*", "#"]), max_size=5).map(".".join)


@given(BINDINGS, KEYS)
def test_topic_matching_agrees_with_a_regular_expression(binding, key):
    assert topic_matches(binding, key) == _reference(binding, key)
