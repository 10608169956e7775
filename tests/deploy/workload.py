"""A realistic LangChain workload traced by OTelCallbackHandler, for the dashboard tests.

Two providers and three models, a prompt | model | parser chain, a streamed
call (time to first chunk), two tools (one failing) and a model that always
fails, so every panel and alert of the dashboards has something to show.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable
from langchain_core.tools import tool

try:  # tests/ as a package or as a rootdir on sys.path
    from tests.fakes import FakeAnthropicChat, FakeOpenAIChat
except ImportError:  # pragma: no cover - depends on how pytest roots the suite
    from fakes import FakeAnthropicChat, FakeOpenAIChat  # type: ignore[import-not-found,no-redef]

from otel_langchain import record_feedback, track_usage

SERVICE_NAME = "otel-langchain-deploy-test"


class RateLimitError(Exception):
    """Shaped like the provider SDKs' rate-limit errors."""


class OrderNotFound(LookupError):
    """Raised by the lookup_order tool for unknown ids."""


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny in {city}, 21 C"


@tool
def lookup_order(order_id: str) -> str:
    """Status of an order by id."""
    if order_id.startswith("missing"):
        raise OrderNotFound(order_id)
    return f"order {order_id}: shipped"


def _chain(model: Runnable[Any, Any], name: str) -> Runnable[Any, str]:
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You answer in one short sentence."), ("human", "{question}")]
    )
    return (prompt | model | StrOutputParser()).with_config(run_name=name)


class Workload:
    """The runnables of one simulated application; `round()` runs one batch of traffic."""

    def __init__(self, handler: Any) -> None:
        self.config: dict[str, Any] = {"callbacks": [handler]}
        openai = FakeOpenAIChat(
            model_name="gpt-4o-mini",
            response_model="gpt-4o-mini-2024-07-18",
            responses=["Paris is the capital of France."],
            input_tokens=420,
            output_tokens=35,
            cache_read=256,  # prompt caching and reasoning, for the cache and reasoning panels
            reasoning=12,
        )
        anthropic = FakeAnthropicChat(
            model_name="claude-haiku-4-5",
            response_model="claude-haiku-4-5-20251001",
            responses=["The order shipped yesterday."],
            input_tokens=900,
            output_tokens=120,
        )
        failing = FakeOpenAIChat(
            model_name="gpt-4o",
            response_model="gpt-4o-2024-08-06",
            error=RateLimitError("429: rate limit reached for gpt-4o"),
        )
        self.answer = _chain(openai, "answer_question")
        self.summarize = _chain(anthropic, "summarize_order")
        self.flaky = _chain(failing, "escalate")

    def round(self, i: int) -> None:
        """One batch: sync calls, a streamed call, tool calls, and failures."""
        cfg = self.config
        run_id = uuid4()
        self.answer.invoke(
            {"question": f"Capital of France? ({i})"}, config={**cfg, "run_id": run_id}
        )
        record_feedback(run_id, "helpfulness", 0.5 + (i % 5) / 10)
        with track_usage(max_tokens=1):  # the second call finds the budget reached: warned
            self.summarize.invoke({"question": f"Summarize order {i}"}, config=cfg)
            self.summarize.invoke({"question": f"Summarize order {i} again"}, config=cfg)
        self.summarize.invoke({"question": f"Where is order {i}?"}, config=cfg)
        for _chunk in self.answer.stream({"question": f"Stream it ({i})"}, config=cfg):
            pass
        get_weather.invoke({"city": "Paris"}, config=cfg)
        lookup_order.invoke({"order_id": f"A-{i}"}, config=cfg)
        try:
            lookup_order.invoke({"order_id": f"missing-{i}"}, config=cfg)
        except OrderNotFound:
            pass
        try:
            self.flaky.invoke({"question": "Escalate this"}, config=cfg)
        except RateLimitError:
            pass
