"""Per-call and per-subtree content capture: metadata or tags switch capture for a run's subtree."""

from __future__ import annotations

import json
import logging
import warnings
from typing import Any

import pytest
from conftest import Telemetry
from fakes import FakeOpenAIChat
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableConfig, RunnableLambda
from langchain_core.tools import StructuredTool, tool
from langgraph.graph import END, START, MessagesState, StateGraph
from opentelemetry.sdk.trace import ReadableSpan

from otel_langchain import _safety
from otel_langchain._content import CAPTURE_ENV

KEY = "otel_langchain.capture_content"
TAG = "otel_langchain:capture_content="
CONTENT_KEYS = (
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "gen_ai.retrieval.query.text",
    "gen_ai.retrieval.documents",
    "langchain.chain.inputs",
    "langchain.chain.outputs",
)


@pytest.fixture(autouse=True)
def _no_capture_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CAPTURE_ENV, raising=False)


@pytest.fixture(autouse=True)
def _warnings_afresh() -> None:
    _safety._reported.discard("capture_metadata")
    _safety._reported.discard("capture_tag")


def _content(span: ReadableSpan) -> set[str]:
    return {k for k in CONTENT_KEYS if k in (span.attributes or {})}


def _captured(telemetry: Telemetry) -> dict[str, set[str]]:
    """span name -> the content attributes it carries (names unique in the test)."""
    return {s.name: _content(s) for s in telemetry.spans()}


def _chain(model: Any | None = None) -> Any:
    prompt = ChatPromptTemplate.from_messages([("human", "{q}")])
    return prompt | (model or FakeOpenAIChat()) | StrOutputParser()


def test_metadata_off_at_invoke_overrides_a_capturing_handler(telemetry: Telemetry) -> None:
    """config metadata False: no span of that call records content; other calls still do."""
    handler = telemetry.handler(capture_content=True)
    _chain().invoke({"q": "private"}, config={"callbacks": [handler], "metadata": {KEY: False}})
    assert all(not keys for keys in _captured(telemetry).values()), _captured(telemetry)
    telemetry.exporter.clear()
    _chain().invoke({"q": "public"}, config={"callbacks": [handler]})
    assert _captured(telemetry)["chat gpt-4o-mini"] == {
        "gen_ai.input.messages",
        "gen_ai.output.messages",
    }


def test_metadata_on_at_invoke_overrides_handler_off_and_still_scrubs(
    telemetry: Telemetry,
) -> None:
    """config metadata True captures that call only; credentials and redact still apply."""
    handler = telemetry.handler(redact=lambda s: s.replace("Alice", "[name]"))
    question = "Alice asks, key sk-proj-abcdefgh12345678"
    _chain().invoke({"q": question}, config={"callbacks": [handler], "metadata": {KEY: True}})
    chat = telemetry.span("chat gpt-4o-mini")
    assert _content(chat) == {"gen_ai.input.messages", "gen_ai.output.messages"}
    recorded = " ".join(str(v) for s in telemetry.spans() for v in (s.attributes or {}).values())
    assert "[name] asks" in recorded
    assert "Alice" not in recorded
    assert "sk-proj-abcdefgh12345678" not in recorded
    telemetry.exporter.clear()
    _chain().invoke({"q": "next"}, config={"callbacks": [handler]})
    assert all(not keys for keys in _captured(telemetry).values())


def test_with_config_turns_capture_off_for_a_subtree(telemetry: Telemetry) -> None:
    """A step's .with_config(metadata False) covers the step and the runs beneath it."""
    inner_model = FakeOpenAIChat(model_name="inner-model")

    def sensitive(text: str, config: RunnableConfig) -> str:
        return str(inner_model.invoke(f"secret about {text}", config).content)

    step = RunnableLambda(sensitive, name="sensitive").with_config(metadata={KEY: False})
    chain = _chain() | step | RunnableLambda(lambda s: s, name="after")
    handler = telemetry.handler(capture_content=True)
    chain.invoke({"q": "hello"}, config={"callbacks": [handler]})
    captured = _captured(telemetry)
    assert captured["sensitive"] == set()
    assert captured["chat inner-model"] == set()
    assert captured["chat gpt-4o-mini"] == {"gen_ai.input.messages", "gen_ai.output.messages"}
    assert captured["after"] == {"langchain.chain.inputs", "langchain.chain.outputs"}
    assert captured["RunnableSequence"] == {"langchain.chain.inputs", "langchain.chain.outputs"}


def test_tag_form_is_case_insensitive_both_ways(telemetry: Telemetry) -> None:
    """The tag otel_langchain:capture_content=FALSE / =True overrides the handler either way."""
    on = telemetry.handler(capture_content=True)
    _chain().invoke({"q": "x"}, config={"callbacks": [on], "tags": [f"{TAG}FALSE"]})
    assert all(not keys for keys in _captured(telemetry).values())
    telemetry.exporter.clear()
    off = telemetry.handler()
    _chain().invoke({"q": "x"}, config={"callbacks": [off], "tags": [f"{TAG}True"]})
    assert _content(telemetry.span("chat gpt-4o-mini")) == {
        "gen_ai.input.messages",
        "gen_ai.output.messages",
    }


def test_metadata_wins_over_a_tag(telemetry: Telemetry) -> None:
    """When a run carries both forms, the metadata key decides."""
    handler = telemetry.handler()
    config: RunnableConfig = {
        "callbacks": [handler],
        "metadata": {KEY: True},
        "tags": [f"{TAG}false"],
    }
    _chain().invoke({"q": "x"}, config=config)
    assert _content(telemetry.span("chat gpt-4o-mini"))


@pytest.mark.parametrize(
    ("config", "warning"),
    [
        ({"metadata": {KEY: "false"}}, "is not a boolean"),
        ({"metadata": {KEY: 0}}, "is not a boolean"),
        ({"tags": [f"{TAG}maybe"]}, "is not"),
    ],
)
def test_a_value_not_boolean_warns_once_and_is_ignored(
    telemetry: Telemetry, caplog: pytest.LogCaptureFixture, config: dict[str, Any], warning: str
) -> None:
    """Anything but a bool (or true/false in a tag) is logged once and the handler decides."""
    handler = telemetry.handler(capture_content=True)
    with caplog.at_level(logging.WARNING, logger="otel_langchain"):
        for _ in range(2):
            _chain().invoke({"q": "x"}, config={"callbacks": [handler], **config})
    assert len(telemetry.spans()) == 8
    chats = [s for s in telemetry.spans() if s.name == "chat gpt-4o-mini"]
    assert all(_content(s) for s in chats)
    messages = [r.getMessage() for r in caplog.records if warning in r.getMessage()]
    assert len(messages) == 1, messages
    assert "otel_langchain" in messages[0] and "capture_content" in messages[0]


def _agent(tools: Any, calls: list[tuple[str, dict[str, Any]]]) -> Any:
    """LangGraph's prebuilt ReAct agent over a fake model that calls ``calls`` then answers."""
    from langgraph.prebuilt import create_react_agent

    tool_calls = [
        {"name": name, "args": args, "id": f"call-{i}"} for i, (name, args) in enumerate(calls)
    ]
    model = FakeOpenAIChat(responses=[AIMessage(content="", tool_calls=tool_calls), "done"])
    with warnings.catch_warnings():  # moved to langchain.agents in langgraph 1.0
        warnings.simplefilter("ignore", DeprecationWarning)
        return create_react_agent(model, tools)


def test_prebuilt_agent_captures_all_but_the_sensitive_tool(telemetry: Telemetry) -> None:
    """A tool built with metadata False records no arguments or result; the rest is captured."""

    @tool
    def weather(city: str) -> str:
        """The weather in a city."""
        return f"sunny in {city}"

    def _account(user: str) -> str:
        return f"balance of {user}: 1234"

    account = StructuredTool.from_function(
        _account, name="account", description="A user's balance.", metadata={KEY: False}
    )
    agent = _agent(
        [weather, account], [("weather", {"city": "Paris"}), ("account", {"user": "u1"})]
    )
    handler = telemetry.handler(capture_content=True)
    agent.invoke({"messages": [("user", "hi")]}, config={"callbacks": [handler]})
    captured = _captured(telemetry)
    assert captured["execute_tool account"] == set()
    assert captured["execute_tool weather"] == {
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
    }
    chats = [s for s in telemetry.spans() if s.name == "chat gpt-4o-mini"]
    assert len(chats) == 2
    assert all("gen_ai.input.messages" in _content(s) for s in chats)
    account_span = telemetry.span("execute_tool account")
    assert "1234" not in " ".join(str(v) for v in (account_span.attributes or {}).values())
    # The tool's result reaches the next model call as a tool message: withheld there too.
    second = json.loads(str(chats[1].attributes["gen_ai.input.messages"]))
    responses = {
        part["id"]: part["response"]
        for msg in second
        if msg["role"] == "tool"
        for part in msg["parts"]
    }
    assert responses == {"call-0": "sunny in Paris", "call-1": "[not captured]"}


def test_a_node_with_metadata_off_in_a_state_graph(telemetry: Telemetry) -> None:
    """LangGraph node metadata False covers the node and the model call inside it."""
    model = FakeOpenAIChat()

    def private(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("private", private, metadata={KEY: False})
    graph.add_node("public", RunnableLambda(lambda s: {"messages": []}, name="public"))
    graph.add_edge(START, "private")
    graph.add_edge("private", "public")
    graph.add_edge("public", END)
    handler = telemetry.handler(capture_content=True)
    graph.compile().invoke({"messages": [("user", "hi")]}, config={"callbacks": [handler]})
    captured = _captured(telemetry)
    assert captured["private"] == set()
    assert captured["chat gpt-4o-mini"] == set()
    assert captured["public"] == {"langchain.chain.inputs", "langchain.chain.outputs"}


def _tool_calling(model: FakeOpenAIChat, *, metadata: dict[str, Any]) -> Any:
    # No config passed on: LangChain hands a tool its caller's config, and runs the
    # tool's body with the tool's own child config current.
    def lookup(query: str) -> str:
        return str(model.invoke(f"look up {query}").content)

    return StructuredTool.from_function(
        lookup, name="lookup", description="Looks up.", metadata=metadata
    )


def test_a_tools_own_metadata_off_covers_its_child_runs(telemetry: Telemetry) -> None:
    """metadata= on a tool reaches that run only in LangChain; the handler extends it below."""
    lookup = _tool_calling(FakeOpenAIChat(model_name="inner-model"), metadata={KEY: False})
    handler = telemetry.handler(capture_content=True)
    lookup.invoke({"query": "q"}, config={"callbacks": [handler]})
    assert _captured(telemetry) == {"execute_tool lookup": set(), "chat inner-model": set()}


def test_an_invoke_time_on_does_not_leak_past_a_tools_own_off(telemetry: Telemetry) -> None:
    """Invoke-time True, tool metadata False: the model inside the tool is not captured."""
    lookup = _tool_calling(FakeOpenAIChat(model_name="inner-model"), metadata={KEY: False})
    chain = RunnableLambda(lambda q: lookup.invoke({"query": q}), name="outer")
    handler = telemetry.handler()
    chain.invoke("q", config={"callbacks": [handler], "metadata": {KEY: True}})
    captured = _captured(telemetry)
    assert captured["outer"] == {"langchain.chain.inputs", "langchain.chain.outputs"}
    assert captured["execute_tool lookup"] == set()
    assert captured["chat inner-model"] == set()


def test_a_tools_own_metadata_on_covers_its_child_runs(telemetry: Telemetry) -> None:
    """A tool with metadata True under a handler that captures nothing: it and its children."""
    lookup = _tool_calling(FakeOpenAIChat(model_name="inner-model"), metadata={KEY: True})
    chain = RunnableLambda(lambda q: lookup.invoke({"query": q}), name="outer")
    chain.invoke("q", config={"callbacks": [telemetry.handler()]})
    captured = _captured(telemetry)
    assert captured["outer"] == set()
    assert captured["execute_tool lookup"] == {
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
    }
    assert captured["chat inner-model"] == {"gen_ai.input.messages", "gen_ai.output.messages"}


def _nested() -> Any:
    """first | middle (off by tag) = (middle_step | inner (on by tag))."""
    inner = RunnableLambda(lambda s: s, name="inner").with_config(tags=[f"{TAG}true"])
    middle = (RunnableLambda(lambda s: s, name="middle_step") | inner).with_config(
        run_name="middle", tags=[f"{TAG}false"]
    )
    return RunnableLambda(lambda s: s, name="first") | middle


def test_capture_back_on_inside_an_off_subtree(telemetry: Telemetry) -> None:
    """Handler on, a subtree off by tag, a run inside it on again by tag: that run is captured."""
    handler = telemetry.handler(capture_content=True)
    _nested().invoke("x", config={"callbacks": [handler]})
    captured = _captured(telemetry)
    assert captured["first"] and captured["RunnableSequence"]
    assert captured["middle"] == set()
    assert captured["middle_step"] == set()
    assert captured["inner"] == {"langchain.chain.inputs", "langchain.chain.outputs"}


def test_back_on_below_an_off_below_an_invoke_time_on_stays_off(telemetry: Telemetry) -> None:
    """Tags true, then false, then true again: the last adds nothing new, so it stays off."""
    handler = telemetry.handler()
    _nested().invoke("x", config={"callbacks": [handler], "tags": [f"{TAG}true"]})
    captured = _captured(telemetry)
    assert captured["first"] and captured["RunnableSequence"]
    assert captured["middle"] == set()
    assert captured["middle_step"] == set()
    assert captured["inner"] == set()


def test_invoke_time_metadata_wins_over_with_config_metadata(telemetry: Telemetry) -> None:
    """LangChain merges the caller's metadata over a bound runnable's: the bound value yields."""
    step = RunnableLambda(lambda s: s, name="step").with_config(metadata={KEY: False})
    chain = RunnableLambda(lambda s: s, name="first") | step
    handler = telemetry.handler()
    chain.invoke("x", config={"callbacks": [handler], "metadata": {KEY: True}})
    assert _captured(telemetry)["step"] == {"langchain.chain.inputs", "langchain.chain.outputs"}
    telemetry.exporter.clear()
    chain.invoke("x", config={"callbacks": [handler], "tags": [f"{TAG}true"]})
    assert _captured(telemetry)["first"]
    assert _captured(telemetry)["step"] == set()


def _all_recorded(telemetry: Telemetry, spans: list[ReadableSpan] | None = None) -> str:
    """Every attribute and event attribute value of the spans (default all), as one string."""
    values: list[str] = []
    for span in telemetry.spans() if spans is None else spans:
        values.extend(str(v) for v in (span.attributes or {}).values())
        for event in span.events:
            values.extend(str(v) for v in (event.attributes or {}).values())
    return "\n".join(values)


def _balance_tool(**kwargs: Any) -> Any:
    def _account(user: str) -> str:
        return f"balance of {user}: 1234"

    return StructuredTool.from_function(
        _account, name="account", description="A user's balance.", metadata={KEY: False}, **kwargs
    )


def test_a_withheld_tool_result_is_in_no_span_of_the_agent(telemetry: Telemetry) -> None:
    """The sensitive tool's result is absent from node and graph inputs and outputs too."""

    @tool
    def weather(city: str) -> str:
        """The weather in a city."""
        return f"sunny in {city}"

    agent = _agent(
        [weather, _balance_tool()], [("weather", {"city": "Paris"}), ("account", {"user": "u1"})]
    )
    handler = telemetry.handler(capture_content=True)
    agent.invoke({"messages": [("user", "hi")]}, config={"callbacks": [handler]})
    recorded = _all_recorded(telemetry)
    assert "1234" not in recorded
    assert "sunny in Paris" in recorded
    tools_node = [s for s in telemetry.spans() if s.name == "tools"]
    outputs = " ".join(str((s.attributes or {}).get("langchain.chain.outputs")) for s in tools_node)
    assert "[not captured]" in outputs and "sunny in Paris" in outputs


def _call_id_reaches_tool_start() -> bool:
    """Whether this langchain-core passes a tool call's id to on_tool_start (newer releases)."""
    seen: list[Any] = []

    class Probe(BaseCallbackHandler):
        def on_tool_start(self, serialized: Any, input_str: str, **kwargs: Any) -> None:
            seen.append(kwargs.get("tool_call_id"))

    @tool
    def probe(x: str) -> str:
        """Echo."""
        return x

    call = {"name": "probe", "args": {"x": "1"}, "id": "probe-call", "type": "tool_call"}
    probe.invoke(call, config={"callbacks": [Probe()]})
    return seen == ["probe-call"]


def test_a_failed_withheld_tools_error_message_is_not_shown_to_later_inputs(
    telemetry: Telemetry,
) -> None:
    """ToolNode turns the capture-off tool's exception into a tool message: withheld as well.

    Older langchain-core (0.3) gives a tool's callbacks its call id only with a
    result, so there a failed tool's error message cannot be told apart and shows.
    """
    from langgraph.prebuilt import ToolNode

    def _fail(user: str) -> str:
        raise ValueError(f"no account for {user}, card 4111-1111")

    failing = StructuredTool.from_function(
        _fail, name="account", description="A user's balance.", metadata={KEY: False}
    )
    agent = _agent(ToolNode([failing], handle_tool_errors=True), [("account", {"user": "u1"})])
    handler = telemetry.handler(capture_content=True)
    agent.invoke({"messages": [("user", "hi")]}, config={"callbacks": [handler]})
    chats = [s for s in telemetry.spans() if s.name == "chat gpt-4o-mini"]
    second = json.loads(str(chats[1].attributes["gen_ai.input.messages"]))
    tool_parts = [p for m in second if m["role"] == "tool" for p in m["parts"]]
    assert [(p["type"], p["id"]) for p in tool_parts] == [("tool_call_response", "call-0")]
    # The tool's own span records its error, as any failed run's does; no other span has it.
    others = [s for s in telemetry.spans() if s.name != "execute_tool account"]
    if _call_id_reaches_tool_start():
        assert tool_parts[0]["response"] == "[not captured]"
        assert "4111-1111" not in _all_recorded(telemetry, others)
    else:
        assert "4111-1111" in tool_parts[0]["response"]


def test_nothing_is_withheld_when_no_run_captures(telemetry: Telemetry) -> None:
    """A handler that captures nothing keeps no tool call ids (and records no content)."""
    agent = _agent([_balance_tool()], [("account", {"user": "u1"})])
    handler = telemetry.handler()
    agent.invoke({"messages": [("user", "hi")]}, config={"callbacks": [handler]})
    assert len(handler._tracing.capture.withheld) == 0
    assert all(not keys for keys in _captured(telemetry).values())


def test_withheld_call_ids_are_bounded() -> None:
    """The withheld tool call ids keep the newest 4096; the oldest are forgotten."""
    from otel_langchain._capture import WithheldCalls

    withheld = WithheldCalls()
    for i in range(5000):
        withheld.add(f"call-{i}")
    assert len(withheld) == 4096
    assert "call-0" not in withheld and "call-4999" in withheld
    assert ["unhashable"] not in withheld
