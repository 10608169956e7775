"""The bookkeeping behind span links and rollups: bounded, and safe on any payload."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from opentelemetry.trace import SpanContext

from otel_langchain import _links
from otel_langchain._links import Interrupts, Steps, ToolCalls
from otel_langchain._llm_result import Response, TokenCounts
from otel_langchain._rollup import RunTotals
from otel_langchain._token_types import PARTS, token_points

_payloads = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=10,
)


def _ctx(n: int) -> SpanContext:
    return SpanContext(trace_id=1, span_id=n, is_remote=False)


@given(_payloads)
def test_tool_call_ids_never_raise(payload: Any) -> None:
    """Whatever a model integration returns, reading its tool call ids does not raise."""
    assert isinstance(Response(payload).tool_call_ids, list)
    assert ToolCalls().results_read(payload) == []


def test_tool_call_ids_in_response_order() -> None:
    """Every generation's tool calls, in order; calls without an id are skipped."""
    calls = [
        {"name": "a", "args": {}, "id": "1", "type": "tool_call"},
        {"name": "b", "args": {}, "id": None, "type": "tool_call"},
        {"name": "c", "args": {}, "id": "3", "type": "tool_call"},
    ]
    message = AIMessage(content="", tool_calls=[c for c in calls if c["id"]])
    message.tool_calls.insert(1, calls[1])  # type: ignore[arg-type]
    result = LLMResult(generations=[[ChatGeneration(message=message)]])
    assert Response(result).tool_call_ids == ["1", "3"]


def test_tool_calls_are_bounded_per_agent_run() -> None:
    """Past MAX_TOOL_CALLS ids the oldest are forgotten, so a long agent run stays bounded."""
    calls = ToolCalls()
    limit = _links.MAX_TOOL_CALLS
    calls.asked(_ctx(1), [f"call_{i}" for i in range(limit + 10)])
    assert calls.tool_started("call_0") is None
    assert calls.tool_started(f"call_{limit + 9}") is not None
    for i in range(limit + 10):
        calls.ran(f"call_{i}", _ctx(i + 2))
    messages = [[ToolMessage("x", tool_call_id=f"call_{i}") for i in range(limit + 10)]]
    assert len(calls.results_read(messages)) == limit


def test_announced_calls_are_claimed_by_tool_name() -> None:
    """AgentExecutor's announced call ids go to the next run of the same tool, once."""
    calls = ToolCalls()
    calls.announce("add", "call_a")
    calls.announce("mul", "call_m")
    assert calls.claim_announced("mul") == "call_m"
    assert calls.claim_announced("add") == "call_a"
    assert calls.claim_announced("add") is None


def test_steps_link_only_consecutive_parallel_steps() -> None:
    """A step after several nodes links to each; after one node, or a gap, to none."""
    steps = Steps()
    assert steps.node_started(1) == []
    steps.add(1, _ctx(1), "plan")
    assert steps.node_started(2) == []  # one node before: nothing to join
    steps.add(2, _ctx(2), "a")
    assert steps.node_started(2) == []
    steps.add(2, _ctx(3), "b")
    links = steps.node_started(3)
    assert [(link.context.span_id, link.attributes["langgraph.node"]) for link in links] == [
        (2, "a"),
        (3, "b"),
    ]
    steps.add(3, _ctx(4), "join")
    assert steps.node_started(5) == []  # not the step after


def test_steps_remember_at_most_max_branches() -> None:
    """A step of thousands of branches keeps MAX_BRANCHES of them for the next step's links."""
    steps = Steps()
    steps.node_started(1)
    for i in range(_links.MAX_BRANCHES * 3):
        steps.add(1, _ctx(i + 1), "work")
    assert len(steps.node_started(2)) == _links.MAX_BRANCHES


def test_interrupts_are_bounded_and_taken_once() -> None:
    """The oldest threads are forgotten past the limit; a resume takes its interrupt."""
    interrupts = Interrupts(limit=2)
    for thread in ("a", "b", "c"):
        interrupts.interrupted(thread, _ctx(ord(thread)), None)
    assert interrupts.resumed("a") is None
    found = interrupts.resumed("c")
    assert found is not None and found[0].span_id == ord("c")
    assert interrupts.resumed("c") is None


def test_resume_inputs() -> None:
    """None and Command(resume=...) continue a thread; new input and plain updates do not."""
    types = pytest.importorskip("langgraph.types", reason="Command needs langgraph>=0.2.57")
    Command = types.Command

    assert _links.is_resume_input(None)
    assert _links.is_resume_input(Command(resume="yes"))
    assert not _links.is_resume_input(Command(update={"x": 1}))
    assert not _links.is_resume_input({"messages": []})


def _usage(**counts: int) -> TokenCounts:
    usage = TokenCounts()
    for name, value in counts.items():
        usage.add(name, value)
    return usage


def test_rollup_absent_types_stay_absent_and_unpriced_calls_count() -> None:
    """Totals name only reported types; cost sums priced calls and counts the rest."""
    totals = RunTotals()
    assert totals.attributes() == {}
    totals.add(_usage(input=10, output=2), 0.5)
    totals.add(_usage(input=5, output=1, cache_read=3), None)
    totals.add(TokenCounts(), None)  # a call that reported nothing still counts
    assert totals.attributes() == {
        "langchain.usage.total.calls": 3,
        "langchain.usage.total.input_tokens": 15,
        "langchain.usage.total.output_tokens": 3,
        "langchain.usage.total.cache_read.input_tokens": 3,
        "langchain.cost.total_usd": 0.5,
        "langchain.cost.total_unpriced_calls": 2,
    }


@given(
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.one_of(st.none(), st.integers(0, 10**6)),
    st.one_of(st.none(), st.integers(0, 10**6)),
    st.one_of(st.none(), st.integers(0, 10**6)),
)
def test_token_parts_sum_to_the_reported_counts(
    inp: int, out: int, read: int | None, creation: int | None, reasoning: int | None
) -> None:
    """Whenever the parts fit in the total, a call's points per type sum to its count."""
    counts: dict[str, int] = {"input": inp, "output": out}
    for name, value in (("cache_read", read), ("cache_creation", creation)):
        if value is not None:
            counts[name] = value
    if reasoning is not None:
        counts["reasoning"] = reasoning
    points = [(PARTS[part], value) for part, value in token_points(_usage(**counts))]
    by_type: dict[str, int] = {}
    for attrs, value in points:
        assert value >= 0
        by_type[attrs["gen_ai.token.type"]] = by_type.get(attrs["gen_ai.token.type"], 0) + value
    if (read or 0) + (creation or 0) <= inp:
        assert by_type["input"] == inp
    if (reasoning or 0) <= out:
        assert by_type["output"] == out
    plain = [
        a for a, _ in points if "gen_ai.token.cache" not in a and "gen_ai.token.reasoning" not in a
    ]
    calls = [
        a
        for a, _ in points
        if a.get("gen_ai.token.cache", "uncached") == "uncached"
        and a.get("gen_ai.token.reasoning", False) is False
    ]
    assert len(calls) == 2  # one point per type counts the call
    assert len(plain) == (read is None and creation is None) + (reasoning is None)
