"""Spend guards: track_usage(budget_usd=, max_tokens=, on_exceed=) before each model call."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from conftest import Telemetry
from fakes import FakeOpenAIChat
from langgraph.graph import END, START, MessagesState, StateGraph
from opentelemetry.trace import StatusCode

from otel_langchain import BudgetExceeded, track_usage
from otel_langchain import _semconv as sc


def _budget_events(span: Any) -> list[dict[str, Any]]:
    return [dict(e.attributes) for e in span.events if e.name == sc.EVENT_BUDGET_EXCEEDED]


def test_warn_goes_on_with_one_warning_and_an_event_per_call(
    telemetry: Telemetry, caplog: pytest.LogCaptureFixture
) -> None:
    """on_exceed='warn': calls go on, one warning per block, an event and a counter per call."""
    handler = telemetry.handler()
    model = FakeOpenAIChat()
    with (
        caplog.at_level(logging.WARNING, logger="otel_langchain"),
        track_usage(max_tokens=1) as usage,
    ):
        for _ in range(3):
            model.invoke("x", config={"callbacks": [handler]})
    assert (usage.calls, usage.calls_over_budget) == (3, 2)
    warnings = [r for r in caplog.records if "budget reached" in r.getMessage()]
    assert len(warnings) == 1
    events = [e for s in telemetry.spans() for e in _budget_events(s)]
    assert [e[sc.LANGCHAIN_BUDGET_ACTION] for e in events] == ["warn", "warn"]
    assert all(s.status.status_code is StatusCode.UNSET for s in telemetry.spans())
    (point,) = telemetry.metrics()[sc.METRIC_BUDGET_EXCEEDED]
    assert point.value == 2
    assert dict(point.attributes) == {
        sc.LANGCHAIN_BUDGET_LIMIT: "max_tokens",
        sc.LANGCHAIN_BUDGET_ACTION: "warn",
        sc.GEN_AI_PROVIDER_NAME: "openai",
        sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
    }


def test_usd_budget_counts_priced_spend(telemetry: Telemetry) -> None:
    """budget_usd compares the block's priced spend; the refusal carries both figures."""
    handler = telemetry.handler()
    model = FakeOpenAIChat(input_tokens=1_000_000, output_tokens=0)  # $0.15 per call
    with track_usage(budget_usd=0.25, on_exceed="raise") as usage:
        model.invoke("a", config={"callbacks": [handler]})
        model.invoke("b", config={"callbacks": [handler]})
        with pytest.raises(BudgetExceeded) as caught:
            model.invoke("c", config={"callbacks": [handler]})
    assert usage.calls == 2
    assert caught.value.limit == "budget_usd"
    assert caught.value.budget_usd == 0.25
    assert caught.value.spent_usd == pytest.approx(0.30)


def test_unpriced_calls_are_invisible_to_the_usd_budget_but_not_to_max_tokens(
    telemetry: Telemetry, caplog: pytest.LogCaptureFixture
) -> None:
    """Unpriced calls count as unpriced (never $0 spend); one warning; max_tokens still applies."""
    handler = telemetry.handler()
    model = FakeOpenAIChat(model_name="in-house-llm", response_model="in-house-llm-v2")
    with caplog.at_level(logging.WARNING, logger="otel_langchain"):
        with track_usage(budget_usd=0.0001, on_exceed="raise") as usd_only:
            for _ in range(3):
                model.invoke("x", config={"callbacks": [handler]})
        with track_usage(budget_usd=0.0001, max_tokens=30, on_exceed="raise") as both:
            model.invoke("x", config={"callbacks": [handler]})
            model.invoke("x", config={"callbacks": [handler]})
            with pytest.raises(BudgetExceeded) as caught:
                model.invoke("x", config={"callbacks": [handler]})
    assert (usd_only.calls, usd_only.unpriced_calls, usd_only.cost_usd) == (3, 3, 0.0)
    assert caught.value.limit == "max_tokens"
    assert caught.value.unpriced_calls == both.unpriced_calls == 2
    unpriced = [r for r in caplog.records if "cannot see the cost" in r.getMessage()]
    assert len(unpriced) == 2  # once per block
    assert "in-house-llm-v2" in unpriced[0].getMessage()


def test_nested_blocks_each_enforce_their_own_budget(telemetry: Telemetry) -> None:
    """An inner block's budget refuses inside it only; the outer budget applies inside too."""
    handler = telemetry.handler()
    model = FakeOpenAIChat()  # 19 tokens a call
    config = {"callbacks": [handler]}
    with track_usage(max_tokens=19 * 3, on_exceed="raise") as outer:
        with track_usage(max_tokens=19, on_exceed="raise") as inner:
            model.invoke("1", config=config)
            with pytest.raises(BudgetExceeded) as caught:
                model.invoke("2", config=config)
            assert caught.value.usage is inner
        model.invoke("3", config=config)
        with track_usage() as unlimited:
            model.invoke("4", config=config)
            with pytest.raises(BudgetExceeded) as caught:
                model.invoke("5", config=config)
            assert caught.value.usage is outer
    assert (outer.calls, inner.calls, unlimited.calls) == (3, 1, 1)


def test_threads_enforce_their_own_blocks(telemetry: Telemetry) -> None:
    """Concurrent threads, each with its own block, are each refused after their own budget."""
    handler = telemetry.handler()

    def work(budget_calls: int) -> tuple[int, int]:
        model = FakeOpenAIChat()
        refused = 0
        with track_usage(max_tokens=19 * budget_calls, on_exceed="raise") as usage:
            for _ in range(budget_calls + 2):
                try:
                    model.invoke("x", config={"callbacks": [handler]})
                except BudgetExceeded:
                    refused += 1
        return usage.calls, refused

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(work, range(1, 9)))
    assert results == [(n, 2) for n in range(1, 9)]
    assert handler.open_runs == 0


async def test_asyncio_tasks_enforce_their_own_blocks(telemetry: Telemetry) -> None:
    """Concurrent asyncio tasks, each with its own block, never spend each other's budget."""
    handler = telemetry.handler()

    async def task(budget_calls: int) -> int:
        model = FakeOpenAIChat()
        with track_usage(max_tokens=19 * budget_calls, on_exceed="raise") as usage:
            try:
                while True:
                    await model.ainvoke("x", config={"callbacks": [handler]})
                    await asyncio.sleep(0)
            except BudgetExceeded:
                return usage.calls

    assert await asyncio.gather(*(task(n) for n in range(1, 9))) == list(range(1, 9))


def test_langgraph_agent_stops_at_the_budget(telemetry: Telemetry) -> None:
    """A LangGraph graph whose node calls a model over budget fails with BudgetExceeded."""
    model = FakeOpenAIChat()
    calls = []

    def agent(state: MessagesState) -> dict[str, Any]:
        calls.append(1)
        return {"messages": [model.invoke(state["messages"])]}

    def route(state: MessagesState) -> str:
        return "agent" if len(state["messages"]) < 10 else END

    graph = StateGraph(MessagesState)
    graph.add_node("agent", agent)
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", route)
    app = graph.compile()
    app.name = "budgeted"  # compile(name=...) needs langgraph >= 0.3
    handler = telemetry.handler()
    with track_usage(max_tokens=19 * 2, on_exceed="raise") as usage, pytest.raises(BudgetExceeded):
        app.invoke({"messages": [("user", "go")]}, config={"callbacks": [handler]})
    assert (usage.calls, len(calls)) == (2, 3)
    assert handler.open_runs == 0
    agent_span = telemetry.span("invoke_agent budgeted")
    assert agent_span.attributes[sc.ERROR_TYPE] == "BudgetExceeded"


def test_budget_without_any_handler_still_guards() -> None:
    """With nothing instrumented, a budgeted block still refuses (it adds its own handler)."""
    model = FakeOpenAIChat()
    with track_usage(max_tokens=19, on_exceed="raise") as usage:
        model.invoke("a")
        with pytest.raises(BudgetExceeded):
            model.invoke("b")
    assert usage.calls == 1


def test_only_budget_exceeded_crosses_the_safety_boundary(telemetry: Telemetry) -> None:
    """raise_error is true only while LangChain handles a BudgetExceeded, never otherwise."""
    handler = telemetry.handler()
    assert handler.raise_error is False
    try:
        raise RuntimeError("an internal error of ours")
    except RuntimeError:
        assert handler.raise_error is False
    usage = track_usage(max_tokens=0).usage
    try:
        raise BudgetExceeded(usage, "max_tokens")
    except BudgetExceeded:
        assert handler.raise_error is True


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"budget_usd": -1}, "budget_usd"),
        ({"budget_usd": "1"}, "budget_usd"),
        ({"budget_usd": True}, "budget_usd"),
        ({"budget_usd": float("nan")}, "budget_usd"),
        ({"max_tokens": 1.5}, "max_tokens"),
        ({"max_tokens": -1}, "max_tokens"),
        ({"on_exceed": "stop"}, "on_exceed"),
    ],
)
def test_bad_arguments_are_refused_naming_them(kwargs: dict[str, Any], named: str) -> None:
    """A bad budget argument raises ValueError naming it."""
    with pytest.raises(ValueError, match=named):
        track_usage(**kwargs)
