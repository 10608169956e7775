"""The bounded JSON writer: valid JSON within the budget, whatever the value; it stops early."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otel_langchain._json import MAX_DEPTH, TRUNCATED, dumps
from otel_langchain._scrub import MASK, is_secret_key, scrub

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats() | st.text(max_size=80),
    lambda children: (
        st.lists(children, max_size=8)
        | st.dictionaries(st.text(max_size=12), children, max_size=8)
        | st.tuples(children, children)
    ),
    max_leaves=30,
)


class CountingMapping(Mapping[str, Any]):
    """A mapping that counts how many of its items were read."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.read = 0

    def __getitem__(self, key: str) -> Any:
        return int(key)

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[str]:
        for index in range(self.size):
            self.read += 1
            yield str(index)


@SETTINGS
@given(value=json_values, limit=st.integers(min_value=1, max_value=400))
def test_output_is_json_and_bounded(value: Any, limit: int) -> None:
    """Any value is written as valid JSON of about the limit at most (markers and closers)."""
    out, _ = dumps(value, limit=limit, text=scrub)
    json.loads(out)
    # Past the budget: the marker of the cut, one closer per open container, one scalar.
    assert len(out) <= limit + 2 * len(TRUNCATED) + 8 * MAX_DEPTH + 32


@SETTINGS
@given(
    value=st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(),
    limit=st.integers(min_value=1, max_value=40),
)
def test_a_lone_scalar_is_written_as_inside_a_container(value: Any, limit: int) -> None:
    """A scalar on its own (written without the walk) is what the walk writes for it."""
    inside, _ = dumps([value], limit=limit + 1, text=scrub)
    assert dumps(value, limit=limit, text=scrub) == (inside[1:-1], False)


def test_a_lone_huge_int_is_a_marker() -> None:
    assert dumps(10**5000, limit=10, text=scrub) == ('"<int>"', False)


@SETTINGS
@given(value=json_values)
def test_uncut_output_matches_json_dumps(value: Any) -> None:
    """Within the budget the writer produces what json.dumps does (as data)."""
    out, cut = dumps(value, limit=1_000_000, text=lambda s: s)
    if not cut:
        expected = json.loads(json.dumps(value, default=str, allow_nan=True))
        assert json.loads(out) == _finite(expected)


def _finite(value: Any) -> Any:
    """What the writer records: NaN/Infinity quoted (valid JSON), credential keys dropped."""
    if (isinstance(value, float) and value != value) or value in (float("inf"), float("-inf")):
        return repr(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items() if not is_secret_key(k)}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


@SETTINGS
@given(
    key=st.sampled_from(["password", "api_key", "Authorization", "client_secret"]),
    secret=st.text(alphabet="abcdefghijklmnop0123456789", min_size=8, max_size=20),
    other=json_values,
)
def test_secret_keys_dropped_and_values_scrubbed(key: str, secret: str, other: Any) -> None:
    """Credential keys are dropped and credential shapes in strings masked, at any depth."""
    value = {"a": [other, {key: secret, "url": f"https://u:{secret}@h/"}]}
    out, _ = dumps(value, limit=100_000, text=scrub)
    assert secret not in out
    assert MASK in out


def test_walk_stops_at_the_item_budget() -> None:
    """A huge mapping is read only as far as the budget reaches, not to its end."""
    big = CountingMapping(1_000_000)
    out, cut = dumps({"data": big}, limit=200, text=scrub)
    assert cut
    assert big.read < 250
    json.loads(out)


def test_huge_values_are_cut_and_marked() -> None:
    """A 10 MB string, a 1M-item list and a 200k-key dict give outputs of the limit."""
    for value in ("x" * 10_000_000, list(range(1_000_000)), {str(i): i for i in range(200_000)}):
        out, cut = dumps(value, limit=8192, text=scrub)
        assert cut and TRUNCATED in out
        assert len(out) < 8192 + 64
        json.loads(out)


def test_hostile_objects_become_markers() -> None:
    """An object whose iteration raises is written as a marker, never raising."""

    class Hostile(Mapping[str, Any]):
        def __getitem__(self, key: str) -> Any:
            raise KeyError(key)

        def __len__(self) -> int:
            return 1

        def __iter__(self) -> Iterator[str]:
            raise RuntimeError("no")

    out, cut = dumps({"h": Hostile()}, limit=100, text=scrub)
    assert cut
    json.loads(out)


def test_dataclasses_are_written_as_their_fields() -> None:
    """A dataclass (LangGraph's Command, Send) is a JSON object of its fields, secrets dropped."""
    from dataclasses import dataclass

    @dataclass
    class Step:
        name: str
        api_key: str
        size: int

    out, cut = dumps(Step("lookup", "k-123456789", 3), limit=1000, text=scrub)
    assert not cut
    assert json.loads(out) == {"name": "lookup", "size": 3}


def test_langgraph_command_is_written_as_its_fields() -> None:
    """LangGraph's Command (a dataclass) carries its update's messages as JSON objects."""
    from langchain_core.messages import AIMessage

    types = pytest.importorskip("langgraph.types", reason="Command needs langgraph>=0.2.57")
    command = types.Command(update={"messages": [AIMessage(content="hi", id="m-1")]})
    parsed = json.loads(dumps([command], limit=10_000, text=scrub)[0])
    [message] = parsed[0]["update"]["messages"]
    assert message["content"] == "hi"
    assert message["id"] == "m-1"


def test_a_model_written_again_is_the_same_json_and_follows_changes() -> None:
    """A message captured twice gives the same JSON; a new id or content is seen."""
    from langchain_core.messages import AIMessage, HumanMessage

    message = HumanMessage(content="what is the weather in Paris?")
    first = dumps({"messages": [message]}, limit=10_000, text=scrub)[0]
    again = dumps({"messages": [message], "step": 2}, limit=10_000, text=scrub)[0]
    assert json.loads(again)["messages"] == json.loads(first)["messages"]

    message.id = "m-7"  # as LangGraph's add_messages reducer does
    assert json.loads(dumps(message, limit=10_000, text=scrub)[0])["id"] == "m-7"
    message.content = "and in Rome?"
    assert json.loads(dumps(message, limit=10_000, text=scrub)[0])["content"] == "and in Rome?"
    blocks = AIMessage(content=[{"type": "text", "text": "a"}])
    dumps(blocks, limit=10_000, text=scrub)
    blocks.content.append({"type": "text", "text": "b"})  # type: ignore[union-attr]
    assert len(json.loads(dumps(blocks, limit=10_000, text=scrub)[0])["content"]) == 2


def test_a_model_written_before_is_still_cut_at_the_budget() -> None:
    """Reused JSON obeys the budget: a tight limit still cuts, and the output stays valid."""
    from langchain_core.messages import HumanMessage

    message = HumanMessage(content="x" * 500)
    dumps(message, limit=10_000, text=scrub)
    out, cut = dumps([message, message], limit=300, text=scrub)
    assert cut
    assert len(out) <= 300 + 100
    json.loads(out)


def test_reused_json_is_what_writing_again_gives_at_any_depth() -> None:
    """A message written at one depth and reused at another gives the fresh writer's JSON."""
    from langchain_core.messages import AIMessage

    from otel_langchain import _json

    deep: Any = "leaf"
    for _ in range(8):
        deep = {"next": deep}
    message = AIMessage(content="x", additional_kwargs={"nested": deep})

    def wrapped(depth: int) -> Any:
        value: Any = message
        for _ in range(depth):
            value = [value]
        return value

    for first in range(6):
        for then in range(6):
            _json._fragments.entries.clear()
            dumps(wrapped(first), limit=10_000, text=scrub)
            reused = dumps(wrapped(then), limit=10_000, text=scrub)
            _json._fragments.entries.clear()
            assert reused == dumps(wrapped(then), limit=10_000, text=scrub), (first, then)


@SETTINGS
@given(value=json_values, limit=st.integers(min_value=1, max_value=400))
def test_keys_written_before_give_what_writing_them_afresh_gives(value: Any, limit: int) -> None:
    """A mapping key is checked and scrubbed once; at every budget, cut or not, the output
    is the same as with no key written before."""
    from otel_langchain import _json

    dumps(value, limit=10_000, text=scrub)  # every key known
    known = dumps(value, limit=limit, text=scrub)
    _json._keys.by_text.clear()
    assert known == dumps(value, limit=limit, text=scrub)


def test_keys_written_before_are_cut_where_fresh_ones_are() -> None:
    """Every budget around a key's length: the same output as with no key written before."""
    from otel_langchain import _json

    value = {"first": {"second_key": [1, {"k": "v"}], "third": None}, "fourth_key_x": True}
    for limit in range(1, 90):
        dumps(value, limit=10_000, text=scrub)
        known = dumps(value, limit=limit, text=scrub)
        _json._keys.by_text.clear()
        assert known == dumps(value, limit=limit, text=scrub), limit


def test_a_key_holding_a_secret_learned_later_is_masked() -> None:
    """A key written before a credential inside it was learned is scrubbed again after."""
    from otel_langchain._scrub import forget_learned, learn

    secret = "k7Qz9mW2xR4vT8pL"
    value = {f"team-{secret}": 1}
    assert secret in dumps(value, limit=1000, text=scrub)[0]
    learn((secret,), recent=True)
    try:
        assert secret not in dumps(value, limit=1000, text=scrub)[0]
    finally:
        forget_learned()
