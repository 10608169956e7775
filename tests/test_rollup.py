"""Usage and cost rolled up onto agent and LangGraph node spans, and every token type in metrics."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from conftest import Telemetry
from fakes import FakeAnthropicChat, FakeOpenAIChat, FakeOpenAILLM
from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from langgraph.graph import START, MessagesState, StateGraph

from otel_langchain.pricing import default_table

TOTAL = "langchain.usage.total."


@tool
def lookup(q: str) -> str:
    """Look something up."""
    return f"found {q}"


def _cost(inp: int, out: int, cache_read: int = 0) -> float:
    found = default_table().lookup("gpt-4o-mini-2024-07-18", "gpt-4o-mini")
    assert found is not None
    return found[1].cost(input_tokens=inp, output_tokens=out, cache_read_tokens=cache_read)


def _totals(attrs: Any) -> dict[str, Any]:
    return {k: v for k, v in dict(attrs or {}).items() if k.startswith((TOTAL, "langchain.cost."))}


def _agent(model: FakeOpenAIChat) -> Any:
    from langgraph.prebuilt import create_react_agent

    with warnings.catch_warnings():  # moved to langchain.agents in LangGraph 1.0
        warnings.simplefilter("ignore")
        return create_react_agent(model, [lookup])


def test_agent_and_node_spans_carry_the_usage_of_the_model_calls_beneath(
    telemetry: Telemetry,
) -> None:
    """invoke_agent sums both model calls; each model node its own; a tools node nothing."""
    call = {"name": "lookup", "args": {"q": "x"}, "id": "call_1", "type": "tool_call"}
    model = FakeOpenAIChat(
        responses=[AIMessage(content="", tool_calls=[call]), "done"],
        input_tokens=100,
        output_tokens=20,
        cache_read=40,
        reasoning=5,
    )
    _agent(model).invoke(
        {"messages": [("human", "go")]}, config={"callbacks": [telemetry.handler()]}
    )
    per_call = _cost(100, 20, cache_read=40)
    (agent,) = [s for s in telemetry.spans() if s.name == "invoke_agent LangGraph"]
    totals = _totals(agent.attributes)
    assert totals == {
        TOTAL + "input_tokens": 200,
        TOTAL + "output_tokens": 40,
        TOTAL + "cache_read.input_tokens": 80,
        TOTAL + "reasoning.output_tokens": 10,
        TOTAL + "calls": 2,
        "langchain.cost.total_usd": pytest.approx(2 * per_call),
    }
    nodes = [s for s in telemetry.spans() if s.attributes.get("langgraph.node") == "agent"]
    node_spans = [s for s in nodes if s.name == "agent"]
    assert len(node_spans) == 2
    for node in node_spans:
        assert _totals(node.attributes) == {
            TOTAL + "input_tokens": 100,
            TOTAL + "output_tokens": 20,
            TOTAL + "cache_read.input_tokens": 40,
            TOTAL + "reasoning.output_tokens": 5,
            TOTAL + "calls": 1,
            "langchain.cost.total_usd": pytest.approx(per_call),
        }
    for span in telemetry.spans():
        if span.name == "tools" or span.name.startswith(("chat ", "execute_tool")):
            assert _totals(span.attributes) == {}, span.name
    # Per-call attributes stay on the model spans only: summing them counts each call once.
    assert sum(s.attributes.get("gen_ai.usage.input_tokens", 0) for s in telemetry.spans()) == 200


def test_nested_graphs_roll_up_to_every_enclosing_agent_and_node(telemetry: Telemetry) -> None:
    """A model call in a subgraph counts in its node, the subgraph, the outer node and graph."""
    model = FakeAnthropicChat(input_tokens=10, output_tokens=3, cache_read=0, cache_creation=30)

    def think(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    inner = StateGraph(MessagesState)
    inner.add_node("think", think)
    inner.add_edge(START, "think")
    outer = StateGraph(MessagesState)
    outer.add_node("research", inner.compile())
    outer.add_node("review", think)
    outer.add_edge(START, "research")
    outer.add_edge("research", "review")
    outer.compile().invoke(
        {"messages": [("human", "go")]}, config={"callbacks": [telemetry.handler()]}
    )
    by_name = {s.name: s for s in telemetry.spans() if s.name != "chat claude-sonnet-4-5"}
    one = {
        TOTAL + "input_tokens": 40,
        TOTAL + "output_tokens": 3,
        TOTAL + "cache_creation.input_tokens": 30,
        TOTAL + "calls": 1,
    }
    for name in ("think", "research", "review"):
        assert {k: v for k, v in _totals(by_name[name].attributes).items() if "cost" not in k} == (
            one
        ), name
    (root,) = [s for s in telemetry.spans() if s.parent is None]
    editor = _totals(root.attributes)
    assert editor[TOTAL + "input_tokens"] == 80
    assert editor[TOTAL + "cache_creation.input_tokens"] == 60
    assert editor[TOTAL + "calls"] == 2
    assert editor["langchain.cost.total_usd"] == pytest.approx(
        2 * _totals(by_name["review"].attributes)["langchain.cost.total_usd"]
    )


def test_unpriced_calls_are_counted_not_priced_as_zero(telemetry: Telemetry) -> None:
    """A model with no price adds its tokens and counts as an unpriced call in the rollup."""
    model = FakeOpenAIChat(model_name="my-private-model", response_model="my-private-model")

    def answer(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("answer", answer)
    graph.add_edge(START, "answer")
    graph.compile().invoke(
        {"messages": [("human", "hi")]}, config={"callbacks": [telemetry.handler()]}
    )
    (agent,) = [s for s in telemetry.spans() if s.name == "invoke_agent LangGraph"]
    totals = _totals(agent.attributes)
    assert totals[TOTAL + "input_tokens"] == 12
    assert totals["langchain.cost.total_unpriced_calls"] == 1
    assert "langchain.cost.total_usd" not in totals


# -- token types in gen_ai.client.token.usage ----------------------------------------------


def _token_points(telemetry: Telemetry) -> list[tuple[tuple[tuple[str, Any], ...], int]]:
    """(breakdown attributes, sum) per point, without the model/provider attributes."""
    keys = ("gen_ai.token.type", "gen_ai.token.cache", "gen_ai.token.reasoning")
    return sorted(
        (tuple((k, p.attributes[k]) for k in keys if k in p.attributes), int(p.sum))
        for p in telemetry.metrics()["gen_ai.client.token.usage"]
    )


def _by_type(telemetry: Telemetry) -> dict[str, int]:
    sums: dict[str, int] = {}
    for p in telemetry.metrics()["gen_ai.client.token.usage"]:
        kind = p.attributes["gen_ai.token.type"]
        sums[kind] = sums.get(kind, 0) + int(p.sum)
    return sums


def test_cached_and_reasoning_tokens_partition_input_and_output(telemetry: Telemetry) -> None:
    """OpenAI-shaped usage: input = read + uncached, output = reasoning + the rest."""
    FakeOpenAIChat(input_tokens=100, output_tokens=20, cache_read=40, reasoning=5).invoke(
        "hi", config={"callbacks": [telemetry.handler()]}
    )
    t, c, r = "gen_ai.token.type", "gen_ai.token.cache", "gen_ai.token.reasoning"
    assert _token_points(telemetry) == sorted(
        [
            (((t, "input"), (c, "read")), 40),
            (((t, "input"), (c, "uncached")), 60),
            (((t, "output"), (r, True)), 5),
            (((t, "output"), (r, False)), 15),
        ]
    )
    # sum by (gen_ai_token_type) still gives the call's input and output counts.
    assert _by_type(telemetry) == {"input": 100, "output": 20}


def test_cache_creation_is_its_own_part_of_input(telemetry: Telemetry) -> None:
    """Anthropic-shaped usage: input = read + creation + uncached, summing to the total."""
    FakeAnthropicChat(input_tokens=5, output_tokens=7, cache_read=10, cache_creation=20).invoke(
        "hi", config={"callbacks": [telemetry.handler()]}
    )
    t, c = "gen_ai.token.type", "gen_ai.token.cache"
    assert _token_points(telemetry) == sorted(
        [
            (((t, "input"), (c, "read")), 10),
            (((t, "input"), (c, "creation")), 20),
            (((t, "input"), (c, "uncached")), 5),
            (((t, "output"),), 7),
        ]
    )
    assert _by_type(telemetry) == {"input": 35, "output": 7}


def test_usage_without_a_breakdown_records_plain_input_and_output(telemetry: Telemetry) -> None:
    """No cache or reasoning counts reported: one input and one output point, as before."""
    FakeOpenAILLM().invoke("story", config={"callbacks": [telemetry.handler()]})
    FakeOpenAIChat().invoke("hi", config={"callbacks": [telemetry.handler()]})
    assert [k for k, _ in _token_points(telemetry)] == [
        (("gen_ai.token.type", "input"),),
        (("gen_ai.token.type", "input"),),
        (("gen_ai.token.type", "output"),),
        (("gen_ai.token.type", "output"),),
    ]
