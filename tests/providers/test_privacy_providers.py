"""Real ChatOpenAI / ChatAnthropic against a local compatible API: keys, errors, messages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_anthropic import ChatAnthropic
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_openai import ChatOpenAI

from otel_langchain import _scrub
from otel_langchain._content import CAPTURE_ENV

from .scripted_api import INPUT_TOKENS, ScriptedAPI

pytestmark = pytest.mark.integration

ECHOED_KEY = "deadbeef" * 4  # 32 hex: no known key prefix, so only shape and value rules apply
GATEWAY_KEY = "gatewaykeyQ8w4e6r2"
CAPTURE = pytest.mark.parametrize("capture", [False, True], ids=["capture-off", "capture-on"])


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(CAPTURE_ENV, raising=False)
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "ANTHROPIC_OPEN_TELEMETRY"):
        monkeypatch.delenv(name, raising=False)
    _scrub.forget_learned()
    yield
    _scrub.forget_learned()


@pytest.fixture
def api() -> Iterator[ScriptedAPI]:
    with ScriptedAPI() as server:
        yield server


def _openai(api: ScriptedAPI, key: str = "sk-local-test-key", **kwargs: Any) -> ChatOpenAI:
    return ChatOpenAI(
        model="gpt-4o-mini", api_key=key, base_url=api.openai_url, max_retries=0, **kwargs
    )


def _anthropic(api: ScriptedAPI, key: str = "local-anthropic-key", **kwargs: Any) -> Any:
    return ChatAnthropic(
        model="claude-3-5-haiku-latest", api_key=key, base_url=api.url, max_retries=0, **kwargs
    )


def _everything(telemetry: Any) -> str:
    texts: list[str] = []
    for span in telemetry.spans():
        texts += [span.name, span.status.description or ""]
        texts += [str(v) for v in (span.attributes or {}).values()]
        for event in span.events:
            texts += [event.name, *(str(v) for v in (event.attributes or {}).values())]
    for points in telemetry.metrics().values():
        texts += [str(v) for p in points for v in (p.attributes or {}).values()]
    return "\n".join(texts)


@CAPTURE
def test_a_key_echoed_in_a_401_is_never_recorded(
    telemetry: Any, api: ScriptedAPI, capture: bool
) -> None:
    """OpenAI's 401 body quotes the key; status, exception event and stack trace mask it."""
    import openai

    api.rejected_keys.add(ECHOED_KEY)
    with pytest.raises(openai.AuthenticationError, match=ECHOED_KEY):  # the app sees it all
        _openai(api, ECHOED_KEY).invoke(
            "hi", config={"callbacks": [telemetry.handler(capture_content=capture)]}
        )

    span = telemetry.span("chat gpt-4o-mini")
    assert span.attributes["error.type"].endswith("AuthenticationError")
    assert "Incorrect API key provided: [REDACTED]" in span.status.description
    assert ECHOED_KEY not in _everything(telemetry)


def test_a_key_echoed_by_a_gateway_is_masked_by_value(telemetry: Any, api: ScriptedAPI) -> None:
    """A key of no known shape, quoted in a 403, is masked because it is the model's own key."""
    import openai

    api.forbidden_keys.add(GATEWAY_KEY)
    with pytest.raises(openai.PermissionDeniedError):
        _openai(api, GATEWAY_KEY).invoke("hi", config={"callbacks": [telemetry.handler()]})

    assert GATEWAY_KEY not in _everything(telemetry)
    assert (
        "API key [REDACTED] is not allowed" in telemetry.span("chat gpt-4o-mini").status.description
    )


def test_anthropic_key_is_masked_by_value(telemetry: Any, api: ScriptedAPI) -> None:
    """ChatAnthropic's SecretStr key is learned from the model object and masked."""
    import anthropic

    api.forbidden_keys.add(GATEWAY_KEY)
    with pytest.raises(anthropic.PermissionDeniedError):
        _anthropic(api, GATEWAY_KEY).invoke("hi", config={"callbacks": [telemetry.handler()]})

    assert GATEWAY_KEY not in _everything(telemetry)


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_anthropic_tool_use_is_one_tool_call_part(
    telemetry: Any, api: ScriptedAPI, stream: bool
) -> None:
    """An Anthropic tool_use block is the message's tool_call part, not an empty extra part."""
    api.anthropic_replies.append(
        api.anthropic_tool_use("get_weather", {"city": "Paris"}, text="Let me check.")
    )
    model = _anthropic(api).bind_tools(
        [{"name": "get_weather", "description": "Weather", "input_schema": {"type": "object"}}]
    )
    config: Any = {"callbacks": [telemetry.handler(capture_content=True)]}
    if stream:
        reply: Any = None
        for chunk in model.stream("Weather in Paris?", config=config):
            reply = chunk if reply is None else reply + chunk
    else:
        reply = model.invoke("Weather in Paris?", config=config)
    [call] = reply.tool_calls
    history = [
        HumanMessage("Weather in Paris?"),
        reply,
        ToolMessage("18C", tool_call_id=call["id"]),
    ]
    api.anthropic_replies.append(api.anthropic_text("It is 18C."))
    model.invoke(history, config=config)

    spans = [s for s in telemetry.spans() if s.name == "chat claude-3-5-haiku-latest"]
    assert len(spans) == 2
    [out] = json.loads(spans[0].attributes["gen_ai.output.messages"])
    assert out["parts"] == [
        {"type": "text", "content": "Let me check."},
        {
            "type": "tool_call",
            "id": call["id"],
            "name": "get_weather",
            "arguments": {"city": "Paris"},
        },
    ]
    second_input = json.loads(spans[1].attributes["gen_ai.input.messages"])
    assert [m["role"] for m in second_input] == ["user", "assistant", "tool"]
    assert second_input[1]["parts"] == out["parts"]
    assert second_input[2]["parts"] == [
        {"type": "tool_call_response", "id": call["id"], "response": "18C"}
    ]
    for span in spans:
        for key in ("gen_ai.input.messages", "gen_ai.output.messages"):
            for message in json.loads(span.attributes[key]):
                for part in message["parts"]:
                    assert len(part) > 1, part  # never a bare {"type": ...}


def test_openai_content_parts_are_semconv_parts(telemetry: Any, api: ScriptedAPI) -> None:
    """OpenAI image_url / input_audio parts become blob and uri parts, text stays text."""
    message = HumanMessage(
        [
            {"type": "text", "text": "What is in these?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
            {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
        ]
    )
    _openai(api).invoke([message], config={"callbacks": [telemetry.handler(capture_content=True)]})

    [user] = json.loads(telemetry.span("chat gpt-4o-mini").attributes["gen_ai.input.messages"])
    assert user["parts"] == [
        {"type": "text", "content": "What is in these?"},
        {"type": "blob", "modality": "image", "mime_type": "image/png", "content": "iVBORw0KGgo="},
        {
            "type": "uri",
            "modality": "image",
            "mime_type": None,
            "uri": "https://example.com/cat.png",
        },
        {"type": "blob", "modality": "audio", "mime_type": "audio/wav", "content": "UklGRg=="},
    ]


def test_openai_streamed_tool_call_and_usage(telemetry: Any, api: ScriptedAPI) -> None:
    """A streamed ChatOpenAI tool call is one tool_call part; usage is recorded."""
    api.openai_replies.append(
        api.openai_tool_call("lookup", {"query": "otel", "token": "tk-1234567"})
    )
    model = _openai(api, stream_usage=True).bind_tools(
        [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    )
    chunks = list(
        model.stream("look it up", config={"callbacks": [telemetry.handler(capture_content=True)]})
    )

    assert chunks
    attrs = telemetry.span("chat gpt-4o-mini").attributes
    assert attrs["gen_ai.usage.input_tokens"] == INPUT_TOKENS
    [out] = json.loads(attrs["gen_ai.output.messages"])
    [part] = out["parts"]
    assert part["type"] == "tool_call" and part["name"] == "lookup"
    assert part["arguments"] == {"query": "otel"}  # the credential argument is dropped
    assert "tk-1234567" not in _everything(telemetry)


def test_anthropic_history_blocks_are_mapped(telemetry: Any, api: ScriptedAPI) -> None:
    """Anthropic-format history blocks (thinking, tool_use, tool_result, image) map to parts."""
    history = [
        HumanMessage(
            [
                {"type": "text", "text": "Look"},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"},
                },
            ]
        ),
        AIMessage(
            [
                {"type": "thinking", "thinking": "The user wants a lookup.", "signature": "sig"},
                {"type": "redacted_thinking", "data": "opaque"},
                {"type": "tool_use", "id": "toolu_9", "name": "lookup", "input": {"q": "x"}},
            ]
        ),
        HumanMessage([{"type": "tool_result", "tool_use_id": "toolu_9", "content": "found x"}]),
    ]
    _anthropic(api).invoke(history, config={"callbacks": [telemetry.handler(capture_content=True)]})

    messages = json.loads(
        telemetry.span("chat claude-3-5-haiku-latest").attributes["gen_ai.input.messages"]
    )
    assert messages == [
        {
            "role": "user",
            "parts": [
                {"type": "text", "content": "Look"},
                {
                    "type": "blob",
                    "modality": "image",
                    "mime_type": "image/jpeg",
                    "content": "/9j/4AAQ",
                },
            ],
        },
        {
            "role": "assistant",
            "parts": [
                {"type": "reasoning", "content": "The user wants a lookup."},
                {"type": "tool_call", "id": "toolu_9", "name": "lookup", "arguments": {"q": "x"}},
            ],
        },
        {
            "role": "user",
            "parts": [{"type": "tool_call_response", "id": "toolu_9", "response": "found x"}],
        },
    ]
