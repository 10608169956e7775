"""The demo's support agent: a LangGraph graph with a scripted model, two tools and a retriever.

One weather lookup fails on its first attempt and is retried (LangChain emits
``on_retry``); the docs tool dispatches a custom ``progress`` event and calls
the retriever. Everything runs offline and deterministically.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

from langchain_core.callbacks import CallbackManagerForRetrieverRun, dispatch_custom_event
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage, ToolMessage
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, StructuredTool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages

from otel_langchain.cli._scripted_model import ScriptedChatModel

SYSTEM_PROMPT = (
    "You are the otel-langchain support agent. Answer briefly. Use search_docs for "
    "questions about otel-langchain and get_weather for the weather."
)
DOCS = [
    Document(
        page_content="Set OTEL_EXPORTER_OTLP_ENDPOINT (e.g. http://localhost:4317) or call "
        "configure(endpoint=...) to send traces and metrics to an OpenTelemetry Collector.",
        metadata={"source": "docs/configure.md"},
    ),
    Document(
        page_content="Every model span carries gen_ai.usage.input_tokens, output_tokens and "
        "langchain.llm.cost_usd; track_usage() sums them per model in your code.",
        metadata={"source": "docs/cost.md"},
    ),
    Document(
        page_content="Prompts and completions are not recorded unless "
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true; redact= filters them.",
        metadata={"source": "docs/content.md"},
    ),
    Document(
        page_content="LangGraph graphs become invoke_agent spans, nodes become child spans, "
        "and thread_id becomes gen_ai.conversation.id.",
        metadata={"source": "docs/langgraph.md"},
    ),
]
WEATHER = {"lisbon": "21 °C and sunny", "oslo": "4 °C, light rain", "paris": "16 °C, cloudy"}


class DocsRetriever(BaseRetriever):
    """Keyword-overlap search over a small in-memory list of documents."""

    docs: list[Document]
    k: int = 2

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        words = {w.strip("?,.").lower() for w in query.split()}

        def score(doc: Document) -> int:
            return len(words & {w.strip("?,.()").lower() for w in doc.page_content.split()})

        return sorted(self.docs, key=score, reverse=True)[: self.k]


def build_tools(retriever: BaseRetriever) -> list[BaseTool]:
    """``search_docs`` (retriever + progress event) and a flaky ``get_weather``."""
    attempts = itertools.count()

    def search_docs(query: str) -> str:
        """Search the otel-langchain documentation."""
        dispatch_custom_event("progress", {"stage": "retrieving", "query": query})
        docs = retriever.invoke(query)
        dispatch_custom_event("progress", {"stage": "done", "documents": len(docs)})
        return "\n".join(f"[{d.metadata['source']}] {d.page_content}" for d in docs)

    def get_weather(city: str) -> str:
        """Current weather for a city."""
        if next(attempts) == 0:  # the first call of the demo fails, as flaky APIs do
            raise TimeoutError("weather API did not answer within 2.0 s")
        return f"{city}: {WEATHER.get(city.lower(), '18 °C, clear')}"

    return [
        StructuredTool.from_function(search_docs),
        StructuredTool.from_function(get_weather),
    ]


class AgentState(TypedDict):
    """The conversation so far."""

    messages: Annotated[list[BaseMessage], add_messages]


def build_agent(model: ScriptedChatModel, tools: list[BaseTool]) -> Any:
    """Compile the agent graph: model -> tools (each retried once) -> model, until done."""
    bound = model.bind_tools(tools)
    # RunnableRetry tags attempt N > 1 "retry:attempt:N"; the handler records a retry event.
    by_name = {
        tool.name: tool.with_retry(stop_after_attempt=2, wait_exponential_jitter=False)
        for tool in tools
    }

    def agent(state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        reply = bound.invoke([SystemMessage(SYSTEM_PROMPT), *state["messages"]], config)
        return {"messages": [reply]}

    def run_tools(state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        last = state["messages"][-1]
        calls = last.tool_calls if isinstance(last, AIMessage) else []
        results: list[ToolMessage] = [
            by_name[call["name"]].invoke({**call, "type": "tool_call"}, config) for call in calls
        ]
        return {"messages": results}

    def route(state: AgentState) -> str:
        last = state["messages"][-1]
        return "tools" if isinstance(last, AIMessage) and last.tool_calls else END

    graph = StateGraph(AgentState)
    graph.add_node("agent", agent)
    graph.add_node("tools", run_tools)
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", route, ["tools", END])
    graph.add_edge("tools", "agent")
    return graph.compile(checkpointer=InMemorySaver(), name="support_agent")


@dataclass(frozen=True)
class Turn:
    """One user message in a conversation, and the model's scripted replies to it."""

    thread_id: str
    question: str
    replies: list[AIMessage]
    #: The user's thumbs up (1) or down (0) on the answer, recorded with record_feedback().
    rating: int = 1


def _call(name: str, call_id: str, **args: Any) -> dict[str, Any]:
    return {"name": name, "args": args, "id": call_id, "type": "tool_call"}


TURNS = [
    Turn(
        "demo-1",
        "What's the weather in Lisbon right now?",
        [
            AIMessage(content="", tool_calls=[_call("get_weather", "call_w1", city="Lisbon")]),
            AIMessage(content="It is 21 °C and sunny in Lisbon - a good afternoon for a walk."),
        ],
    ),
    Turn(
        "demo-2",
        "How do I send traces to my own OpenTelemetry Collector?",
        [
            AIMessage(
                content="",
                tool_calls=[
                    _call("search_docs", "call_d1", query="send traces collector endpoint")
                ],
            ),
            AIMessage(
                content="Set OTEL_EXPORTER_OTLP_ENDPOINT, for example http://localhost:4317, "
                "or call configure(endpoint=...); traces and metrics then go to your Collector."
            ),
        ],
    ),
    Turn(
        "demo-2",
        "And how can I see what each model call costs?",
        [
            AIMessage(
                content="",
                tool_calls=[_call("search_docs", "call_d2", query="cost tokens per model")],
            ),
            AIMessage(
                content="Each model span has token counts and langchain.llm.cost_usd; "
                "wrap your code in track_usage() for totals per model."
            ),
        ],
    ),
    Turn(
        "demo-3",
        "Is it warm enough in Oslo for a picnic, and are my prompts recorded?",
        [
            AIMessage(
                content="",
                tool_calls=[
                    _call("get_weather", "call_w2", city="Oslo"),
                    _call("search_docs", "call_d3", query="prompts recorded capture content"),
                ],
            ),
            AIMessage(
                content="Not really: Oslo has 4 °C and light rain. Prompts are not recorded "
                "unless you set OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true."
            ),
        ],
        rating=0,
    ),
]
