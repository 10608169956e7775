"""The suite's workloads: what one unit of each does, and how many invokes it holds.

Every workload is built once per process from a run config (``{"callbacks": [...]}``
or ``{}``) and returns a ``Workload``: ``unit()`` runs one unit of work; ``invokes``
says how many top-level invokes a unit holds (figures are reported per invoke).
The models are fakes shaped like ``ChatOpenAI`` (provider, model names, usage,
response id, tool calls), so every instrumentation does its full work.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from langchain_core.tools import BaseTool, tool
from langchain_core.utils.function_calling import convert_to_openai_tool
from overhead import QUESTION, FakeOpenAIChat, build_chain

_ids = itertools.count(1)
USAGE = {"input_tokens": 24, "output_tokens": 9, "total_tokens": 33}
RESPONSE_MODEL = "gpt-4o-mini-2024-07-18"


@dataclass
class Workload:
    """One unit of work, and the number of top-level invokes it holds."""

    unit: Callable[[], Any]
    invokes: int = 1
    # Model runs per unit (a check for the metric series), and streamed chunks.
    model_runs: int = 1
    chunks: int = 0
    close: Callable[[], None] = lambda: None


def _response_metadata(rid: str) -> dict[str, Any]:
    return {"model_name": RESPONSE_MODEL, "finish_reason": "stop", "id": rid}


class StreamingChat(FakeOpenAIChat):
    """The fake model, streaming ``chunks`` chunks (usage on the last, as ChatOpenAI does)."""

    chunks: int = 20

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> Iterator[ChatGenerationChunk]:
        rid = f"chatcmpl-{next(_ids)}"
        for i in range(self.chunks):
            last = i == self.chunks - 1
            chunk = ChatGenerationChunk(
                message=AIMessageChunk(
                    content=f"word{i} ",
                    id=rid,
                    usage_metadata=USAGE if last else None,  # type: ignore[arg-type]
                    response_metadata=_response_metadata(rid) if last else {},
                )
            )
            yield chunk  # BaseChatModel.stream reports each chunk to the callbacks


WEATHER_CALLS = (
    ("get_weather", {"city": "Paris"}),
    ("get_local_time", {"city": "Paris"}),
)


class ToolCallingChat(FakeOpenAIChat):
    """Asks for each tool of ``WEATHER_CALLS`` in turn (one per reply), then answers."""

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)  # type: ignore[return-value]

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        rid = f"chatcmpl-{next(_ids)}"
        done = sum(isinstance(m, ToolMessage) for m in messages)
        if done < len(WEATHER_CALLS):
            name, args = WEATHER_CALLS[done]
            message = AIMessage(
                content="",
                id=rid,
                tool_calls=[
                    {"name": name, "args": args, "id": f"call_{done}", "type": "tool_call"}
                ],
                usage_metadata=USAGE,  # type: ignore[arg-type]
                response_metadata={**_response_metadata(rid), "finish_reason": "tool_calls"},
            )
        else:
            message = AIMessage(
                content="It is sunny and 21 C in Paris, and 14:05 local time.",
                id=rid,
                usage_metadata=USAGE,  # type: ignore[arg-type]
                response_metadata=_response_metadata(rid),
            )
        return ChatResult(generations=[ChatGeneration(message=message)])


@tool
def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"sunny, 21 C in {city}"


@tool
def get_local_time(city: str) -> str:
    """The local time in a city."""
    return f"14:05 in {city}"


def build_agent() -> tuple[Runnable[Any, Any], str]:
    """A LangGraph agent over the fake tool-calling model; which factory built it."""
    tools: list[BaseTool] = [get_weather, get_local_time]
    try:
        from langchain.agents import create_agent
    except ImportError:  # without the langchain package: LangGraph's prebuilt agent
        from langgraph.prebuilt import create_react_agent

        return create_react_agent(ToolCallingChat(), tools, name="weather_agent"), (
            "langgraph.prebuilt.create_react_agent"
        )
    agent = create_agent(ToolCallingChat(), tools, name="weather_agent")
    return agent, "langchain.agents.create_agent"


def _step(i: int) -> Callable[[int], int]:
    def step(x: int) -> int:
        return x + i

    step.__name__ = f"step{i}"
    return step


def _nested(depth: int) -> Runnable[int, int]:
    inner: Runnable[int, int] | None = None
    for level in reversed(range(depth)):
        if inner is None:
            inner = RunnableLambda(_step(level), name=f"level{level}")
        else:
            below = inner

            def call(x: int, below: Runnable[int, int] = below) -> int:
                return below.invoke(x + 1)  # the child run finds its parent in the context

            inner = RunnableLambda(call, name=f"level{level}")
    assert inner is not None
    return inner


def _chain4(config: RunnableConfig) -> Workload:
    chain = build_chain()
    return Workload(lambda: chain.invoke(QUESTION, config))


def _seq20(config: RunnableConfig) -> Workload:
    seq: Runnable[int, int] = RunnableLambda(_step(0))
    for i in range(1, 20):
        seq = seq | RunnableLambda(_step(i))
    return Workload(lambda: seq.invoke(1, config), model_runs=0)


def _nested20(config: RunnableConfig) -> Workload:
    nested = _nested(20)
    return Workload(lambda: nested.invoke(1, config), model_runs=0)


AGENT_INPUT = {"messages": [("user", "What is the weather and the time in Paris?")]}


def _agent(config: RunnableConfig) -> Workload:
    agent, _ = build_agent()
    return Workload(lambda: agent.invoke(AGENT_INPUT, config), model_runs=3)


def _react_agent(config: RunnableConfig) -> Workload:
    """LangGraph's prebuilt ReAct agent (``create_react_agent``): its glue runs are traced."""
    import warnings

    from langgraph.prebuilt import create_react_agent

    with warnings.catch_warnings():  # moved to langchain.agents in langgraph 1.0
        warnings.simplefilter("ignore", DeprecationWarning)
        agent = create_react_agent(
            ToolCallingChat(), [get_weather, get_local_time], name="weather_agent"
        )
    return Workload(lambda: agent.invoke(AGENT_INPUT, config), model_runs=3)


def _concurrent100(config: RunnableConfig) -> Workload:
    chain = build_chain()
    loop = asyncio.new_event_loop()

    async def gather() -> list[Any]:
        return await asyncio.gather(*(chain.ainvoke(QUESTION, config) for _ in range(100)))

    return Workload(
        lambda: loop.run_until_complete(gather()), invokes=100, model_runs=100, close=loop.close
    )


def _stream(chunks: int) -> Callable[[RunnableConfig], Workload]:
    def build(config: RunnableConfig) -> Workload:
        prompt = ChatPromptTemplate.from_messages(
            [("system", "You answer in one sentence."), ("human", "{question}")]
        )
        chain = prompt | StreamingChat(chunks=chunks) | StrOutputParser()

        def unit() -> None:
            for _chunk in chain.stream(QUESTION, config):
                pass

        return Workload(unit, chunks=chunks)

    return build


def _batch16(config: RunnableConfig) -> Workload:
    chain = build_chain()
    inputs = [QUESTION] * 16
    return Workload(lambda: chain.batch(inputs, config), invokes=16, model_runs=16)


# name -> (label, builder); the order is the report's.
WORKLOADS: dict[str, tuple[str, Callable[[RunnableConfig], Workload]]] = {
    "chain4": ("4-step chain", _chain4),
    "seq20": ("20 lambdas in sequence", _seq20),
    "nested20": ("20 nested invokes", _nested20),
    "agent": ("LangGraph agent, 2 tool calls", _agent),
    "concurrent100": ("100 concurrent ainvoke, per invoke", _concurrent100),
    "stream20": ("stream, 20 chunks", _stream(20)),
    "batch16": ("batch of 16, per invoke", _batch16),
}
# Not in the main table: the per-chunk streaming cost is stream20 minus stream1.
AUX_WORKLOADS: dict[str, tuple[str, Callable[[RunnableConfig], Workload]]] = {
    "stream1": ("stream, 1 chunk", _stream(1)),
    # benchmarks/skip.py: the prebuilt agent whose glue the langgraph preset skips.
    "react_agent": ("LangGraph prebuilt ReAct agent, 2 tool calls", _react_agent),
}


def build(name: str, config: RunnableConfig) -> Workload:
    """The workload called ``name``, its runs traced through ``config``."""
    return {**WORKLOADS, **AUX_WORKLOADS}[name][1](config)
