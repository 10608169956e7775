"""Content capture: off by default, opt-in, semconv message schema, redaction, truncation,
and credentials that are never recorded whatever the setting."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fakes import FakeOpenAIChat, FakeOpenAILLM
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.load import dumpd
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool
from pydantic import BaseModel

from otel_langchain import _safety
from otel_langchain._content import CAPTURE_ENV, MAX_LENGTH_ENV, is_secret_key

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
TRUNCATED = "...[truncated]"
PLAIN_SECRET = "hunter2-plain-do-not-record"  # looks like no known key format


@pytest.fixture(autouse=True)
def _no_capture_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CAPTURE_ENV, raising=False)
    monkeypatch.delenv(MAX_LENGTH_ENV, raising=False)
    _safety._reported.discard("capture-env")  # each test sees the once-only warning


class ListRetriever(BaseRetriever):
    """A retriever returning fixed documents."""

    docs: list[str] = ["Paris is the capital of France."]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [Document(page_content=d, id=f"doc-{i}") for i, d in enumerate(self.docs)]


@tool
def lookup(query: str) -> str:
    """Look something up."""
    return f"found {query}"


@tool
def fetch(url: str, api_key: str) -> str:
    """Fetch a URL with a key."""
    return f"fetched {url}"


def _chain(model: Any) -> Any:
    prompt = ChatPromptTemplate.from_messages([("system", "Be brief."), ("human", "{q}")])
    return prompt | model | StrOutputParser()


def _values(telemetry: Any) -> Iterator[tuple[str, str, str]]:
    """(span name, attribute key, value as text) for every span and event attribute."""
    for span in telemetry.spans():
        yield span.name, "<name>", span.name
        yield span.name, "<status>", span.status.description or ""
        for key, value in (span.attributes or {}).items():
            yield span.name, key, str(value)
        for event in span.events:
            yield span.name, f"<event {event.name}>", event.name
            for key, value in (event.attributes or {}).items():
                yield span.name, f"{event.name}:{key}", str(value)


def _leaks(telemetry: Any, secret: str) -> list[tuple[str, str, str]]:
    """(span, key, surrounding text) wherever ``secret`` was recorded."""
    return [
        (span, key, value[max(value.find(secret) - 120, 0) : value.find(secret) + 40])
        for span, key, value in _values(telemetry)
        if secret in value
    ]


def _run_everything(handler: Any, question: str = "What is the capital of France?") -> None:
    config: Any = {"callbacks": [handler]}
    _chain(FakeOpenAIChat()).invoke({"q": question}, config=config)
    lookup.invoke(
        {"name": "lookup", "args": {"query": question}, "id": "call_1", "type": "tool_call"},
        config=config,
    )
    ListRetriever().invoke(question, config=config)


# -- on / off -----------------------------------------------------------------------------


def test_content_off_by_default(telemetry: Any) -> None:
    """Without opt-in no span carries messages, tool args/results, chain or retrieval content."""
    _run_everything(telemetry.handler(), question="What is the capital of Freedonia?")

    assert len(telemetry.spans()) == 6
    for span in telemetry.spans():
        assert not [k for k in CONTENT_KEYS if k in (span.attributes or {})], span.name
    assert _leaks(telemetry, "Freedonia") == []
    assert _leaks(telemetry, "Paris is the capital") == []
    assert _leaks(telemetry, "Hello from the fake model") == []


@pytest.mark.parametrize("how", ["argument", "env"])
def test_content_on_by_argument_or_env(
    telemetry: Any, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """capture_content=True or the standard env var turns content capture on."""
    if how == "env":
        monkeypatch.setenv(CAPTURE_ENV, "true")
        handler = telemetry.handler()
    else:
        handler = telemetry.handler(capture_content=True)
    _run_everything(handler, question="What is the capital of Freedonia?")

    chat = telemetry.span("chat gpt-4o-mini").attributes
    assert "Freedonia" in chat["gen_ai.input.messages"]
    assert "Hello from the fake model." in chat["gen_ai.output.messages"]
    seq = telemetry.span("RunnableSequence").attributes
    assert json.loads(seq["langchain.chain.inputs"]) == {"q": "What is the capital of Freedonia?"}
    assert seq["langchain.chain.outputs"] == "Hello from the fake model."  # strings as-is
    tool_span = telemetry.span("execute_tool lookup").attributes
    assert json.loads(tool_span["gen_ai.tool.call.arguments"]) == {
        "query": "What is the capital of Freedonia?"
    }
    assert "found What is the capital of Freedonia?" in tool_span["gen_ai.tool.call.result"]
    retrieval = telemetry.span("retrieval ListRetriever").attributes
    assert retrieval["gen_ai.retrieval.query.text"] == "What is the capital of Freedonia?"
    docs = json.loads(retrieval["gen_ai.retrieval.documents"])
    assert docs == [{"id": "doc-0", "content": "Paris is the capital of France."}]


@pytest.mark.parametrize("value", ["TRUE", "1", "yes"])
def test_env_true_spellings(telemetry: Any, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """The capture env var accepts the usual true spellings."""
    monkeypatch.setenv(CAPTURE_ENV, value)
    FakeOpenAIChat().invoke("hello", config={"callbacks": [telemetry.handler()]})

    assert "gen_ai.input.messages" in telemetry.span("chat gpt-4o-mini").attributes


def test_explicit_false_beats_env(telemetry: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """capture_content=False wins over the env var set to true."""
    monkeypatch.setenv(CAPTURE_ENV, "true")
    FakeOpenAIChat().invoke(
        "hello", config={"callbacks": [telemetry.handler(capture_content=False)]}
    )

    assert "gen_ai.input.messages" not in telemetry.span("chat gpt-4o-mini").attributes


@pytest.mark.parametrize("value", ["false", "true", "", 0, 1, "0"])
def test_capture_content_must_be_a_bool(telemetry: Any, value: Any) -> None:
    """capture_content="false" (or any non-bool) is rejected, naming the argument."""
    with pytest.raises(ValueError, match="capture_content"):
        telemetry.handler(capture_content=value)


@pytest.mark.parametrize("value", ["FALSE", "False", "0", " false "])
def test_env_false_spellings(telemetry: Any, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """The capture env var parses false spellings case-insensitively (capture stays off)."""
    monkeypatch.setenv(CAPTURE_ENV, value)
    FakeOpenAIChat().invoke("hello", config={"callbacks": [telemetry.handler()]})

    assert "gen_ai.input.messages" not in telemetry.span("chat gpt-4o-mini").attributes


def test_bad_env_value_warns_once(
    telemetry: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bad env value warns once, however many handlers read it."""
    monkeypatch.setenv(CAPTURE_ENV, "sometimes")
    with caplog.at_level(logging.WARNING):
        telemetry.handler()
        telemetry.handler()

    assert len([r for r in caplog.records if CAPTURE_ENV in r.getMessage()]) == 1


def test_bad_env_value_warns_and_stays_off(
    telemetry: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An unparsable env value logs one warning and leaves capture off."""
    monkeypatch.setenv(CAPTURE_ENV, "maybe")
    with caplog.at_level(logging.WARNING):
        handler = telemetry.handler()
    FakeOpenAIChat().invoke("hello", config={"callbacks": [handler]})

    assert "gen_ai.input.messages" not in telemetry.span("chat gpt-4o-mini").attributes
    assert len([r for r in caplog.records if CAPTURE_ENV in r.getMessage()]) == 1


# -- message schema -----------------------------------------------------------------------


def test_input_and_output_messages_follow_semconv_schema(telemetry: Any) -> None:
    """Roles, text parts, tool_call parts and tool_call_response parts as in the semconv schema."""
    history = [
        SystemMessage("You are terse."),
        HumanMessage("What is 6*7?"),
        AIMessage("", tool_calls=[{"name": "calc", "args": {"expr": "6*7"}, "id": "call_9"}]),
        ToolMessage("42", tool_call_id="call_9"),
    ]
    model = FakeOpenAIChat(responses=["It is 42."])
    model.invoke(history, config={"callbacks": [telemetry.handler(capture_content=True)]})

    attrs = telemetry.span("chat gpt-4o-mini").attributes
    assert json.loads(attrs["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "You are terse."}]},
        {"role": "user", "parts": [{"type": "text", "content": "What is 6*7?"}]},
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "id": "call_9", "name": "calc", "arguments": {"expr": "6*7"}},
            ],
        },
        {
            "role": "tool",
            "parts": [
                {"type": "tool_call_response", "id": "call_9", "response": "42"},
            ],
        },
    ]
    assert json.loads(attrs["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "It is 42."}],
            "finish_reason": "stop",
        },
    ]


def test_output_tool_calls_are_tool_call_parts(telemetry: Any) -> None:
    """A response calling a tool is an assistant message with a tool_call part."""
    call = {"name": "lookup", "args": {"query": "weather"}, "id": "call_5", "type": "tool_call"}
    model = FakeOpenAIChat(responses=[AIMessage(content="", tool_calls=[call])])
    model.invoke("hi", config={"callbacks": [telemetry.handler(capture_content=True)]})

    out = json.loads(telemetry.span("chat gpt-4o-mini").attributes["gen_ai.output.messages"])
    assert out == [
        {
            "role": "assistant",
            "parts": [
                {
                    "type": "tool_call",
                    "id": "call_5",
                    "name": "lookup",
                    "arguments": {"query": "weather"},
                }
            ],
            "finish_reason": "tool_calls",
        }
    ]


def test_tool_call_arguments_holding_objects_are_redacted(telemetry: Any) -> None:
    """A pydantic model or a dataclass in a tool call's arguments: its fields, redacted."""

    class Person(BaseModel):
        name: str

    @dataclass
    class Place:
        city: str

    args = {"who": Person(name="alice"), "where": Place(city="alice springs"), "n": 2}
    call = {"name": "lookup", "args": args, "id": "call_6", "type": "tool_call"}
    model = FakeOpenAIChat(responses=[AIMessage(content="", tool_calls=[call])])
    handler = telemetry.handler(capture_content=True, redact=lambda s: s.replace("alice", "[name]"))
    model.invoke("hi", config={"callbacks": [handler]})

    out = json.loads(telemetry.span("chat gpt-4o-mini").attributes["gen_ai.output.messages"])
    assert out[0]["parts"][0]["arguments"] == {
        "who": {"name": "[name]"},
        "where": {"city": "[name] springs"},
        "n": 2,
    }


def test_text_llm_prompt_and_completion_messages(telemetry: Any) -> None:
    """A text LLM's prompt is a user message and its completion an assistant message."""
    FakeOpenAILLM().invoke(
        "Tell a story", config={"callbacks": [telemetry.handler(capture_content=True)]}
    )

    attrs = telemetry.span("text_completion gpt-3.5-turbo-instruct").attributes
    assert json.loads(attrs["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Tell a story"}]},
    ]
    assert json.loads(attrs["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Once upon a time."}]},
    ]


# -- redaction and truncation -------------------------------------------------------------


def test_redact_applies_to_every_captured_string(telemetry: Any) -> None:
    """The user's redact function runs on messages, chain I/O, tool I/O and retrieval."""
    handler = telemetry.handler(capture_content=True, redact=lambda s: s.replace("alice", "[name]"))
    config: Any = {"callbacks": [handler]}
    _chain(FakeOpenAIChat(responses=["hi alice"])).invoke({"q": "I am alice"}, config=config)
    lookup.invoke(
        {"name": "lookup", "args": {"query": "alice"}, "id": "call_1", "type": "tool_call"},
        config=config,
    )
    ListRetriever(docs=["alice's file"]).invoke("where is alice", config=config)

    assert _leaks(telemetry, "alice") == []
    redacted = {key for _, key, value in _values(telemetry) if "[name]" in value}
    assert redacted >= set(CONTENT_KEYS)


def test_truncation_to_max_content_length(telemetry: Any) -> None:
    """Captured strings longer than max_content_length are cut and marked."""
    handler = telemetry.handler(capture_content=True, max_content_length=40)
    _chain(FakeOpenAIChat(responses=["y" * 300])).invoke(
        {"q": "x" * 500}, config={"callbacks": [handler]}
    )

    attrs = telemetry.span("chat gpt-4o-mini").attributes
    [_system, user] = json.loads(attrs["gen_ai.input.messages"])
    assert user["parts"][0]["content"] == "x" * 40 + TRUNCATED
    [out] = json.loads(attrs["gen_ai.output.messages"])
    assert out["parts"][0]["content"] == "y" * 40 + TRUNCATED
    inputs = telemetry.span("RunnableSequence").attributes["langchain.chain.inputs"]
    assert len(inputs) <= 40 + len(TRUNCATED) + 2  # the closing '"}'
    value = json.loads(inputs)["q"]  # still JSON: cut inside the string
    assert value.endswith(TRUNCATED) and set(value.removesuffix(TRUNCATED)) == {"x"}


def test_truncation_length_from_env(telemetry: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """OTEL_LANGCHAIN_MAX_CONTENT_LENGTH sets the limit when no argument is given."""
    monkeypatch.setenv(MAX_LENGTH_ENV, "25")
    FakeOpenAIChat().invoke(
        "z" * 100, config={"callbacks": [telemetry.handler(capture_content=True)]}
    )

    [user] = json.loads(telemetry.span("chat gpt-4o-mini").attributes["gen_ai.input.messages"])
    assert user["parts"][0]["content"] == "z" * 25 + TRUNCATED


def test_short_content_is_not_truncated(telemetry: Any) -> None:
    """Strings within the limit are recorded whole."""
    FakeOpenAIChat().invoke(
        "z" * 100, config={"callbacks": [telemetry.handler(capture_content=True)]}
    )

    [user] = json.loads(telemetry.span("chat gpt-4o-mini").attributes["gen_ai.input.messages"])
    assert user["parts"][0]["content"] == "z" * 100


# -- credentials --------------------------------------------------------------------------

CAPTURE = pytest.mark.parametrize("capture", [False, True], ids=["capture-off", "capture-on"])


@CAPTURE
def test_model_constructor_keys_never_recorded(telemetry: Any, capture: bool) -> None:
    """API keys in model constructor params (and so in serialized repr) are never recorded."""
    default_key = FakeOpenAIChat().openai_api_key
    plain = FakeOpenAIChat(openai_api_key=PLAIN_SECRET)
    serialized = json.dumps(dumpd(plain))
    assert PLAIN_SECRET in serialized  # LangChain hands us the key in serialized["repr"]
    handler = telemetry.handler(capture_content=capture)
    config: Any = {"callbacks": [handler]}
    _chain(FakeOpenAIChat()).invoke({"q": "hi"}, config=config)
    _chain(plain).invoke({"q": "hi"}, config=config)
    list(_chain(plain).stream({"q": "hi"}, config=config))

    assert _leaks(telemetry, default_key) == []
    assert _leaks(telemetry, PLAIN_SECRET) == []


@CAPTURE
def test_secret_metadata_never_recorded(telemetry: Any, capture: bool) -> None:
    """api_key / authorization metadata is dropped; other metadata is recorded."""
    metadata = {
        "api_key": PLAIN_SECRET,
        "authorization": "Bearer abc123-token-do-not-record",
        "user_tier": "gold",
    }
    handler = telemetry.handler(capture_content=capture)
    _chain(FakeOpenAIChat()).invoke(
        {"q": "hi"}, config={"callbacks": [handler], "metadata": metadata}
    )

    assert _leaks(telemetry, PLAIN_SECRET) == []
    assert _leaks(telemetry, "abc123-token-do-not-record") == []
    for span in telemetry.spans():
        assert span.attributes["langchain.metadata.user_tier"] == "gold", span.name
        assert "langchain.metadata.api_key" not in span.attributes
        assert "langchain.metadata.authorization" not in span.attributes


@CAPTURE
def test_secret_chain_inputs_never_recorded(telemetry: Any, capture: bool) -> None:
    """A password in chain inputs is never recorded; the other inputs are (when captured)."""
    chain = RunnableLambda(lambda d: d["q"]) | FakeOpenAIChat()
    chain.invoke(
        {"q": "hi there", "password": PLAIN_SECRET, "db": {"passwd": PLAIN_SECRET}},
        config={"callbacks": [telemetry.handler(capture_content=capture)]},
    )

    assert _leaks(telemetry, PLAIN_SECRET) == []
    if capture:
        inputs = json.loads(telemetry.span("RunnableSequence").attributes["langchain.chain.inputs"])
        assert inputs == {"q": "hi there", "db": {}}


@CAPTURE
def test_secret_tool_arguments_never_recorded(telemetry: Any, capture: bool) -> None:
    """An api_key tool argument is never recorded, in the tool span or in model messages."""
    call = {
        "name": "fetch",
        "args": {"url": "https://example.com", "api_key": PLAIN_SECRET},
        "id": "call_7",
        "type": "tool_call",
    }
    handler = telemetry.handler(capture_content=capture)
    config: Any = {"callbacks": [handler]}
    model = FakeOpenAIChat(responses=[AIMessage(content="", tool_calls=[call])])
    msg = model.invoke("fetch it", config=config)
    fetch.invoke(msg.tool_calls[0], config=config)
    model.invoke(
        [HumanMessage("fetch it"), msg, ToolMessage("done", tool_call_id="call_7")], config=config
    )

    assert _leaks(telemetry, PLAIN_SECRET) == []
    if capture:
        args = json.loads(
            telemetry.span("execute_tool fetch").attributes["gen_ai.tool.call.arguments"]
        )
        assert args == {"url": "https://example.com"}


@CAPTURE
def test_secret_tool_arguments_never_recorded_when_streamed(telemetry: Any, capture: bool) -> None:
    """A streamed tool call's api_key argument is never recorded, chain outputs included."""
    call = {
        "name": "fetch",
        "args": {"url": "https://example.com", "api_key": PLAIN_SECRET},
        "id": "call_8",
        "type": "tool_call",
    }
    model = FakeOpenAIChat(responses=[AIMessage(content="", tool_calls=[call])])
    chain = RunnableLambda(lambda x: x) | model
    list(
        chain.stream("fetch it", config={"callbacks": [telemetry.handler(capture_content=capture)]})
    )

    assert _leaks(telemetry, PLAIN_SECRET) == []


@CAPTURE
def test_key_inside_prompt_text_never_recorded(telemetry: Any, capture: bool) -> None:
    """A credential-shaped string inside prompt text is masked in every captured string."""
    key = "sk-proj-abcdefghijklmnop"
    handler = telemetry.handler(capture_content=capture)
    _chain(FakeOpenAIChat(responses=[f"noted, your key is {key}"])).invoke(
        {"q": f"my key is {key}"}, config={"callbacks": [handler]}
    )

    assert _leaks(telemetry, key) == []
    assert _leaks(telemetry, "abcdefghijklmnop") == []
    if capture:
        assert (
            "my key is [REDACTED]"
            in telemetry.span("chat gpt-4o-mini").attributes["gen_ai.input.messages"]
        )


@CAPTURE
def test_key_in_error_message_never_recorded(telemetry: Any, capture: bool) -> None:
    """A credential inside an exception message is masked in status and exception event."""
    key = "sk-proj-abcdefghijklmnop"
    err = PermissionError(f"invalid api key {key}")
    with pytest.raises(PermissionError):
        FakeOpenAIChat(error=err).invoke(
            "hi", config={"callbacks": [telemetry.handler(capture_content=capture)]}
        )

    assert _leaks(telemetry, key) == []


def test_message_objects_in_chain_inputs_are_data_not_repr(telemetry: Any) -> None:
    """Pydantic objects in chain I/O are dumped as data (secret keys dropped), never as repr."""
    msg = AIMessage("hello", additional_kwargs={"api_key": PLAIN_SECRET})
    RunnableLambda(lambda d: d["msg"].content).invoke(
        {"msg": msg}, config={"callbacks": [telemetry.handler(capture_content=True)]}
    )

    inputs = json.loads(telemetry.span("RunnableLambda").attributes["langchain.chain.inputs"])
    assert inputs["msg"]["content"] == "hello"
    assert inputs["msg"]["additional_kwargs"] == {}
    assert _leaks(telemetry, PLAIN_SECRET) == []


def test_non_secret_metadata_recorded(telemetry: Any) -> None:
    """Ordinary metadata is recorded as langchain.metadata.<key> on every span."""
    FakeOpenAIChat().invoke(
        "hi",
        config={
            "callbacks": [telemetry.handler()],
            "metadata": {"user_tier": "gold", "max_tokens": 5, "beta": True},
        },
    )

    attrs = telemetry.span("chat gpt-4o-mini").attributes
    assert attrs["langchain.metadata.user_tier"] == "gold"
    assert attrs["langchain.metadata.max_tokens"] == 5
    assert attrs["langchain.metadata.beta"] is True


def test_long_metadata_string_is_cut_and_marked(telemetry: Any) -> None:
    """A metadata string over 1024 characters keeps its first 1024, then the truncation marker."""
    FakeOpenAIChat().invoke(
        "hi", config={"callbacks": [telemetry.handler()], "metadata": {"note": "n" * 5000}}
    )

    assert telemetry.span("chat gpt-4o-mini").attributes["langchain.metadata.note"] == (
        "n" * 1024 + "...[truncated]"
    )


@pytest.mark.parametrize(
    "key",
    [
        "max_tokens",
        "max_output_tokens",
        "max_completion_tokens",
        "maxTokens",
        "input_tokens",
        "total_tokens",
        "token_count",
        "max_new_tokens",
        "num_tokens",
        "promptTokenCount",
        "cacheReadInputTokens",
    ],
)
def test_token_count_keys_are_not_secret(telemetry: Any, key: str) -> None:
    """Token-count-like keys are not treated as credentials and are recorded."""
    assert not is_secret_key(key)
    FakeOpenAIChat().invoke(
        "hi", config={"callbacks": [telemetry.handler()], "metadata": {key: 64}}
    )

    assert telemetry.span("chat gpt-4o-mini").attributes[f"langchain.metadata.{key}"] == 64


@pytest.mark.parametrize(
    "key",
    [
        "api_key",
        "openai_api_key",
        "x-api-key",
        "Authorization",
        "password",
        "passwd",
        "access_token",
        "refresh_token",
        "session_token",
        "client_secret",
        "aws_secret_access_key",
        "cookie",
        "private_key",
    ],
)
def test_secret_keys_are_dropped(telemetry: Any, key: str) -> None:
    """Keys naming a credential are treated as secret and never recorded."""
    assert is_secret_key(key)
    FakeOpenAIChat().invoke(
        "hi", config={"callbacks": [telemetry.handler()], "metadata": {key: PLAIN_SECRET}}
    )

    assert _leaks(telemetry, PLAIN_SECRET) == []


@tool
def login(username: str, password: str) -> str:
    """Log in."""
    return f"welcome {username}, password {password} accepted"


@tool
def run_query(query: str) -> str:
    """Run a query given as one string."""
    return "ok"


def test_credentials_in_tool_and_prompt_content_are_masked(telemetry: Any) -> None:
    """With capture on: an echoed password argument, password= in a string input, prose."""
    from otel_langchain import _scrub

    _scrub.forget_learned()
    config: Any = {"callbacks": [telemetry.handler(capture_content=True)]}
    login.invoke({"username": "ann", "password": "echoedPW42x"}, config=config)
    run_query.invoke("select * where password=strinputPW9", config=config)
    _chain(FakeOpenAIChat()).invoke({"q": "my password is prosePW77q"}, config=config)

    for secret in ("echoedPW42x", "strinputPW9", "prosePW77q"):
        assert _leaks(telemetry, secret) == []
    result = telemetry.span("execute_tool login").attributes["gen_ai.tool.call.result"]
    assert result == "welcome ann, password [REDACTED] accepted"
    assert (
        "my password is [REDACTED]"
        in telemetry.span("chat gpt-4o-mini").attributes["gen_ai.input.messages"]
    )


def test_unknown_content_blocks_keep_their_content_or_are_dropped(telemetry: Any) -> None:
    """An unknown block keeps its fields; a block with only a type is dropped, never empty."""
    message = HumanMessage(
        [
            {"type": "text", "text": "hi"},
            {"type": "citation", "source": "doc-1", "api_key": "blockKEY123x"},
            {"type": "mystery"},
            {"type": "tool_use"},
        ]
    )
    FakeOpenAIChat().invoke(
        [message], config={"callbacks": [telemetry.handler(capture_content=True)]}
    )

    [user] = json.loads(telemetry.span("chat gpt-4o-mini").attributes["gen_ai.input.messages"])
    assert user["parts"] == [
        {"type": "text", "content": "hi"},
        {"type": "citation", "source": "doc-1"},
    ]
    assert _leaks(telemetry, "blockKEY123x") == []
