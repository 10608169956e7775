"""Extractors: arbitrary payloads never raise and yield valid OTel attribute values;
provider usage spellings are normalised."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, Generation, LLMResult

from otel_langchain import _attributes, _content, _events, _json, _llm_result, _messages, _record
from otel_langchain._content import MASK, ContentPolicy

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SCALARS = (str, bool, int, float)


def valid_attribute(value: Any) -> bool:
    """An OTel attribute value: a scalar or a homogeneous sequence of scalars."""
    if isinstance(value, SCALARS):
        return True
    if isinstance(value, (list, tuple)):
        return all(isinstance(v, SCALARS) for v in value) and len({type(v) for v in value}) <= 1
    return False


def assert_valid_attributes(attrs: Any) -> None:
    assert isinstance(attrs, dict)
    for key, value in attrs.items():
        assert isinstance(key, str) and key
        assert valid_attribute(value), (key, value)


class Unprintable:
    """An object whose str() raises (repr() works, so hypothesis can report examples)."""

    def __str__(self) -> str:
        raise RuntimeError("str() refused")

    def __format__(self, spec: str) -> str:
        raise RuntimeError("format() refused")

    def __repr__(self) -> str:
        return "Unprintable()"


# -- strategies ---------------------------------------------------------------------------

KNOWN_KEYS = [
    "ls_provider",
    "ls_model_name",
    "ls_temperature",
    "ls_max_tokens",
    "ls_stop",
    "ls_integration",
    "langgraph_node",
    "langgraph_step",
    "thread_id",
    "session_id",
    "conversation_id",
    "_type",
    "model",
    "model_name",
    "model_id",
    "modelId",
    "temperature",
    "max_tokens",
    "top_p",
    "top_k",
    "seed",
    "n",
    "stop",
    "stop_sequences",
    "api_key",
    "password",
    "token_usage",
    "usage",
    "usage_metadata",
    "input_tokens",
    "output_tokens",
    "prompt_tokens",
    "completion_tokens",
    "prompt_tokens_details",
    "cached_tokens",
    "completion_tokens_details",
    "reasoning_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "inputTokens",
    "outputTokens",
    "prompt_eval_count",
    "eval_count",
    "input_token_details",
    "output_token_details",
    "cache_read",
    "cache_creation",
    "reasoning",
    "id",
    "finish_reason",
    "stop_reason",
    "name",
    "type",
    "text",
    "content",
    "args",
    "role",
]
keys = st.sampled_from(KNOWN_KEYS) | st.text(max_size=12)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from(["sk-proj-abcdefghijklmnop", "Bearer abcdefghijk", "openai", ""])
)
json_like = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=12,
)
odd_keys = st.sampled_from([Unprintable(), object(), b"bytes", (1, "a"), uuid4(), 3.5, None])
odd = odd_keys | st.sampled_from([{1, 2}, bytearray(b"x")])
RUN_ID = uuid4()

anything = st.recursive(
    scalars | odd,
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children, children)
        | st.dictionaries(keys, children, max_size=5)
        | st.dictionaries(st.integers() | odd_keys, children, max_size=2)
    ),
    max_leaves=12,
)
mappings = st.none() | st.dictionaries(keys, anything, max_size=8)
counts = st.none() | st.integers(min_value=0, max_value=10**7)


@st.composite
def usage_metadata(draw: Any) -> dict[str, Any]:
    inp = draw(st.integers(0, 10**6))
    out = draw(st.integers(0, 10**6))
    usage: dict[str, Any] = {"input_tokens": inp, "output_tokens": out, "total_tokens": inp + out}
    if draw(st.booleans()):
        usage["input_token_details"] = {
            "cache_read": draw(st.integers(0, inp)),
            "cache_creation": draw(st.integers(0, inp)),
        }
    if draw(st.booleans()):
        usage["output_token_details"] = {"reasoning": draw(st.integers(0, out))}
    return usage


tool_calls = st.lists(
    st.fixed_dictionaries(
        {
            "name": st.text(min_size=1, max_size=8),
            "args": st.dictionaries(keys, json_like, max_size=3),
            "id": st.none() | st.text(max_size=8),
        }
    ),
    max_size=2,
)
ai_messages = st.builds(
    AIMessage,
    content=st.text(max_size=30)
    | st.lists(
        st.text(max_size=10)
        | st.fixed_dictionaries(
            {
                "type": st.sampled_from(["text", "reasoning", "thinking", "image"]),
                "text": st.text(max_size=10),
            }
        ),
        max_size=3,
    ),
    response_metadata=st.dictionaries(keys, json_like, max_size=5),
    usage_metadata=st.none() | usage_metadata(),
    tool_calls=tool_calls,
    id=st.none() | st.text(max_size=12),
)
real_messages = (
    ai_messages
    | st.builds(HumanMessage, content=st.text(max_size=30))
    | st.builds(SystemMessage, content=st.text(max_size=30))
    | st.builds(ToolMessage, content=st.text(max_size=30), tool_call_id=st.text(max_size=8))
)
generations = st.builds(
    ChatGeneration,
    message=ai_messages,
    generation_info=st.none() | st.dictionaries(keys, json_like, max_size=3),
) | st.builds(
    Generation,
    text=st.text(max_size=20),
    generation_info=st.none() | st.dictionaries(keys, json_like, max_size=3),
)
llm_results = st.builds(
    LLMResult,
    generations=st.lists(st.lists(generations, max_size=3), max_size=3),
    llm_output=st.none() | st.dictionaries(keys, json_like, max_size=5),
)
# Duck-typed look-alikes with arbitrary field values (third-party integrations).
fake_messages = st.builds(
    SimpleNamespace,
    type=st.sampled_from(["human", "ai", "system", "tool", "chat", "function", "x"]) | anything,
    content=anything,
    role=anything,
    tool_call_id=anything,
    tool_calls=anything,
    response_metadata=mappings | anything,
    usage_metadata=mappings | anything,
    id=anything,
)
fake_generations = st.builds(
    SimpleNamespace, message=fake_messages | st.none(), generation_info=anything, text=anything
)
fake_results = st.builds(
    SimpleNamespace,
    generations=st.lists(st.lists(fake_generations | anything, max_size=3) | anything, max_size=3)
    | anything,
    llm_output=mappings | anything,
)
responses = llm_results | fake_results | anything


# -- _attributes --------------------------------------------------------------------------


@SETTINGS
@given(metadata=mappings | anything.filter(lambda v: not v), invocation=mappings)
def test_provider_and_model_never_raise(metadata: Any, invocation: Any) -> None:
    """provider_name / request_model return a non-empty str or None for any payload."""
    for fn in (_attributes.provider_name, _attributes.request_model):
        value = fn(metadata, invocation)
        assert value is None or (isinstance(value, str) and value)


@SETTINGS
@given(metadata=mappings, invocation=mappings)
@example(metadata={"ls_max_tokens": math.inf}, invocation=None)
@example(metadata=None, invocation={"max_tokens": math.nan})
@example(metadata={"ls_stop": [Unprintable()]}, invocation=None)
def test_request_params_never_raise(metadata: Any, invocation: Any) -> None:
    """request_params returns valid gen_ai.request.* attributes for any payload."""
    attrs = _attributes.request_params(metadata, invocation)
    assert_valid_attributes(attrs)
    assert all(k.startswith("gen_ai.request.") for k in attrs)


def test_request_params_skip_non_finite_max_tokens() -> None:
    """A non-finite max_tokens is not recorded (and does not raise)."""
    assert _attributes.request_params({"ls_max_tokens": math.inf}, None) == {}
    assert _attributes.request_params(None, {"max_tokens": math.nan}) == {}
    assert _attributes.request_params(None, {"temperature": math.inf}) == {}
    assert _attributes.request_params({"ls_temperature": math.nan}, None) == {}


def test_request_params_first_spelling_wins() -> None:
    """Of two spellings of one parameter, the one listed first is recorded."""
    attrs = _attributes.request_params(None, {"max_output_tokens": 5, "max_tokens": 7, "n": 2})
    assert attrs == {"gen_ai.request.max_tokens": 7, "gen_ai.request.choice.count": 2}


def test_metadata_keys_give_the_same_attributes_every_time() -> None:
    """A key's fate is decided once: the second run with it records the same, no credential."""
    metadata = {"team": "search", "ls_provider": "openai", "api_key": "sk-live-0123456789", 7: "x"}
    first = _attributes.common(RUN_ID, "chain", "n", None, metadata)
    second = _attributes.common(RUN_ID, "chain", "n", None, dict(metadata, team="ads"))
    assert first["langchain.metadata.team"] == "search"
    assert second["langchain.metadata.team"] == "ads"
    assert not [k for k in {*first, *second} if "api_key" in k or "ls_" in k or k.endswith("7")]


def test_a_secret_under_a_known_key_shape_is_learned_every_time() -> None:
    """Runs with the same metadata keys share one decision; each run's secret is still learned."""
    for value in ("sk-live-first0123456789", "sk-live-second987654321"):
        attrs = _attributes.common(RUN_ID, "chain", "n", None, {"team": value, "api_key": value})
        assert attrs["langchain.metadata.team"] == value  # recorded as is, scrubbed when written
        assert _record.clean(dict(attrs))["langchain.metadata.team"] == MASK


class _OddKeys(Mapping[Any, Any]):
    """Metadata whose keys are not all hashable (not a dict)."""

    def __iter__(self) -> Iterator[Any]:
        return iter(["team", ["not", "hashable"]])

    def __len__(self) -> int:
        return 2

    def __getitem__(self, key: Any) -> Any:
        if key == "team":
            return "search"
        raise KeyError(key)


def test_metadata_with_an_unhashable_key_is_read() -> None:
    for _ in range(2):
        attrs = _attributes.common(RUN_ID, "chain", "n", None, _OddKeys())
        assert attrs["langchain.metadata.team"] == "search"


def test_request_params_allow_list_only() -> None:
    """Only allow-listed request params are read; keys in invocation params are ignored."""
    attrs = _attributes.request_params(
        {"ls_temperature": 0.5, "ls_max_tokens": 10, "ls_stop": ["x"]},
        {"api_key": "sk-proj-abcdefghijklmnop", "top_p": 0.9, "seed": 7, "n": 2, "stop": "END"},
    )
    assert attrs == {
        "gen_ai.request.temperature": 0.5,
        "gen_ai.request.max_tokens": 10,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.seed": 7,
        "gen_ai.request.choice.count": 2,
        "gen_ai.request.stop_sequences": ["END"],
    }


@SETTINGS
@given(
    serialized=mappings | anything.filter(lambda v: not v),
    given_name=anything,
    default=st.text(min_size=1, max_size=10),
)
def test_run_name_never_raises(serialized: Any, given_name: Any, default: str) -> None:
    """run_name always returns a non-empty string, whatever LangChain passes as ``name=``."""
    name = _attributes.run_name(serialized, given_name, default)
    assert isinstance(name, str) and name


@SETTINGS
@given(
    name=st.text(max_size=12) | st.sampled_from(["LangGraph", "AgentExecutor"]), metadata=mappings
)
def test_is_agent_never_raises(name: str, metadata: Any) -> None:
    """is_agent returns a bool for any metadata."""
    assert isinstance(_attributes.is_agent(name, metadata), bool)


@SETTINGS
@given(
    run_type=st.sampled_from(["chain", "llm", "tool", "prompt", "parser"]),
    name=st.text(min_size=1, max_size=10),
    tags=st.none() | st.lists(anything, max_size=4),
    metadata=mappings,
)
def test_common_attributes_are_valid(run_type: str, name: str, tags: Any, metadata: Any) -> None:
    """common returns valid attributes, never a secret-named metadata key."""
    attrs = _record.clean(_attributes.common(uuid4(), run_type, name, tags, metadata))
    assert_valid_attributes(attrs)
    for key in attrs:
        if key.startswith("langchain.metadata."):
            assert not _content.is_secret_key(key.removeprefix("langchain.metadata."))
    for value in attrs.values():
        assert "sk-proj-abcdefghijklmnop" not in str(value)


def test_tags_are_scrubbed() -> None:
    """A credential inside a tag is masked like every other recorded string."""
    attrs = _record.clean(
        _attributes.common(uuid4(), "chain", "c", ["ok", "key=sk-proj-abcdefghijklmnop"], None)
    )
    assert attrs["langchain.run.tags"][0] == "ok"
    assert "sk-proj-abcdefghijklmnop" not in attrs["langchain.run.tags"][1]


# -- _llm_result --------------------------------------------------------------------------


@SETTINGS
@given(response=responses)
@example(
    response=LLMResult(
        generations=[[Generation(text="x")]],
        llm_output={"token_usage": {"prompt_tokens": math.nan}},
    )
)
@example(
    response=LLMResult(
        generations=[[Generation(text="x")]], llm_output={"usage": {"input_tokens": math.inf}}
    )
)
def test_llm_result_extractors_never_raise(response: Any) -> None:
    """usage / response_model / response_id / finish_reasons accept any response."""
    usage = _llm_result.Response(response).usage
    for name in ("input", "output", "cache_read", "cache_creation", "reasoning"):
        value = getattr(usage, name)
        assert value is None or (type(value) is int and value >= 0)
    facts = _llm_result.Response(response)
    for value in (facts.model, facts.id):
        assert value is None or (isinstance(value, str) and value)
    reasons = _llm_result.Response(response).finish_reasons
    assert isinstance(reasons, list) and valid_attribute(reasons)


def test_usage_ignores_non_finite_counts() -> None:
    """NaN / infinite token counts are ignored, not converted."""
    response = LLMResult(
        generations=[[Generation(text="x")]],
        llm_output={"token_usage": {"prompt_tokens": math.nan, "completion_tokens": math.inf}},
    )
    usage = _llm_result.Response(response).usage
    assert usage.input is None
    assert usage.output is None


def _result(llm_output: dict[str, Any]) -> LLMResult:
    return LLMResult(generations=[[Generation(text="x")]], llm_output=llm_output)


def _usage_tuple(response: Any) -> tuple[Any, ...]:
    u = _llm_result.Response(response).usage
    return (u.input, u.output, u.cache_read, u.cache_creation, u.reasoning)


@pytest.mark.parametrize(
    ("llm_output", "expected"),
    [
        pytest.param(
            {
                "token_usage": {
                    "prompt_tokens": 100,
                    "completion_tokens": 20,
                    "total_tokens": 120,
                    "prompt_tokens_details": {"cached_tokens": 40},
                    "completion_tokens_details": {"reasoning_tokens": 5},
                }
            },
            (100, 20, 40, None, 5),
            id="openai",
        ),
        pytest.param(
            {
                "usage": {
                    "input_tokens": 10,
                    "output_tokens": 20,
                    "cache_read_input_tokens": 100,
                    "cache_creation_input_tokens": 50,
                }
            },
            (160, 20, 100, 50, None),
            id="anthropic",
        ),
        pytest.param(
            {
                "usage": {
                    "input_tokens": 10,
                    "output_tokens": 20,
                    "cache_read_input_tokens": 0,
                    "cache_creation_input_tokens": 0,
                }
            },
            (10, 20, 0, 0, None),
            id="anthropic-no-cache",
        ),
        pytest.param(
            {
                "usage_metadata": {
                    "prompt_token_count": 30,
                    "candidates_token_count": 8,
                    "cached_content_token_count": 10,
                    "thoughts_token_count": 4,
                }
            },
            (30, 8, 10, None, 4),
            id="google",
        ),
        pytest.param(
            {
                "usage_metadata": {
                    "promptTokenCount": 30,
                    "candidatesTokenCount": 8,
                    "cachedContentTokenCount": 10,
                    "thoughtsTokenCount": 4,
                }
            },
            (30, 8, 10, None, 4),
            id="google-camel",
        ),
        pytest.param(
            {"usage": {"inputTokens": 7, "outputTokens": 3, "totalTokens": 10}},
            (7, 3, None, None, None),
            id="bedrock",
        ),
        pytest.param(
            {"token_usage": {"prompt_eval_count": 9, "eval_count": 11}},
            (9, 11, None, None, None),
            id="ollama",
        ),
        pytest.param(
            {"token_usage": {"prompt_tokens": 0, "completion_tokens": 0}},
            (0, 0, None, None, None),
            id="zero-is-reported",
        ),
        pytest.param({"model_name": "m"}, (None, None, None, None, None), id="none"),
    ],
)
def test_llm_output_usage_spellings(llm_output: dict[str, Any], expected: tuple[Any, ...]) -> None:
    """Provider usage spellings in llm_output normalise to input/output/cache/reasoning."""
    assert _usage_tuple(_result(llm_output)) == expected
    assert _llm_result.Response(_result(llm_output)).usage.reported is (expected[0] is not None)


def test_usage_metadata_wins_over_llm_output() -> None:
    """usage_metadata on the messages is used and llm_output is not added on top."""
    msg = AIMessage("x", usage_metadata={"input_tokens": 5, "output_tokens": 2, "total_tokens": 7})
    response = LLMResult(
        generations=[[ChatGeneration(message=msg)]],
        llm_output={"token_usage": {"prompt_tokens": 500, "completion_tokens": 200}},
    )
    assert _usage_tuple(response) == (5, 2, None, None, None)


def test_usage_summed_over_generations() -> None:
    """Usage of several generations (n > 1, batched prompts) is summed."""

    def gen(i: int, o: int) -> ChatGeneration:
        return ChatGeneration(
            message=AIMessage(
                "x",
                usage_metadata={
                    "input_tokens": i,
                    "output_tokens": o,
                    "total_tokens": i + o,
                    "input_token_details": {"cache_read": 1},
                },
            )
        )

    response = LLMResult(generations=[[gen(3, 4)], [gen(10, 20), gen(1, 1)]])
    assert _usage_tuple(response) == (14, 25, 3, None, None)


def test_response_facts_from_message_then_llm_output() -> None:
    """Response model, id and finish reasons come from the messages, else llm_output."""
    msg = AIMessage(
        "x",
        id="run-123",
        response_metadata={"model_name": "gpt-4o-2024", "finish_reason": "length"},
    )
    response = LLMResult(
        generations=[[ChatGeneration(message=msg)]],
        llm_output={"model_name": "other", "id": "chatcmpl-9"},
    )
    assert _llm_result.Response(response).model == "gpt-4o-2024"
    assert _llm_result.Response(response).id == "chatcmpl-9"  # run-* ids are LangChain's
    assert _llm_result.Response(response).finish_reasons == ["length"]
    bedrock = AIMessage(
        "x", response_metadata={"modelId": "anthropic.claude", "stopReason": "end_turn"}
    )
    response = LLMResult(generations=[[ChatGeneration(message=bedrock)]])
    assert _llm_result.Response(response).model == "anthropic.claude"
    assert _llm_result.Response(response).finish_reasons == ["end_turn"]


# -- _events ------------------------------------------------------------------------------


@SETTINGS
@given(data=anything)
@example(data={"a": {"b": {"c": {"d": {"e": 1}}}}, "api_key": "x", "l": [1, "a"], "e": []})
def test_event_attributes_are_valid(data: Any) -> None:
    """event_attributes flattens any data to valid, bounded attributes without secret keys."""
    attrs = _events.event_attributes(data)
    assert_valid_attributes(attrs)
    assert len(attrs) <= 64
    for key in attrs:
        assert not any(_content.is_secret_key(part) for part in key.split("."))
    assert not [v for v in attrs.values() if "sk-proj-abcdefghijklmnop" in str(v)]


def test_event_attributes_flatten_nested_data() -> None:
    """Nested mappings become dotted keys; homogeneous lists stay lists."""
    attrs = _events.event_attributes(
        {
            "step": 2,
            "doc": {"id": "d1", "score": 0.5},
            "tags": ["a", "b"],
            "mixed": [1, "a"],
            "password": "p",
        }
    )
    assert attrs == {
        "step": 2,
        "doc.id": "d1",
        "doc.score": 0.5,
        "tags": ["a", "b"],
        "mixed": '[1, "a"]',
    }
    assert _events.event_attributes("plain") == {"data": "plain"}


@SETTINGS
@given(
    state=st.builds(
        SimpleNamespace,
        attempt_number=anything,
        outcome=st.none()
        | anything
        | st.builds(
            SimpleNamespace,
            failed=anything,
            exception=st.sampled_from([lambda: None, lambda: ValueError("v"), Unprintable]),
        ),
    )
    | anything
)
def test_retry_attributes_are_valid(state: Any) -> None:
    """retry_attributes returns valid attributes for any retry state."""
    assert_valid_attributes(_events.retry_attributes(state))


# -- _content -----------------------------------------------------------------------------


@SETTINGS
@given(text=st.text())
def test_scrub_never_raises_and_masks_keys(text: str) -> None:
    """scrub returns a string and masks embedded credentials."""
    out = _content.scrub(text + " sk-proj-abcdefghijklmnop")
    assert isinstance(out, str)
    assert "sk-proj-abcdefghijklmnop" not in out
    assert MASK in out


def _dumps(value: Any, limit: int = 8192) -> str:
    out, _cut = _json.dumps(value, limit=limit, text=_content.scrub)
    return out


@SETTINGS
@given(value=anything)
def test_bounded_json_is_json_without_secret_keys(value: Any) -> None:
    """The bounded serializer writes valid JSON without secret-named keys, for any value."""
    clean = json.loads(_dumps(value))

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for k, item in v.items():
                assert isinstance(k, str) and not _content.is_secret_key(k)
                walk(item)
        elif isinstance(v, list):
            for item in v:
                walk(item)

    walk(clean)


def test_bounded_json_with_unprintable_keys() -> None:
    """Keys whose str() raises do not make the serializer raise; secret keys still go."""
    clean = json.loads(_dumps({Unprintable(): 1, "api_key": "x", "ok": 2}))
    assert "api_key" not in clean
    assert clean["ok"] == 2
    assert len(clean) == 2


def test_bounded_json_writes_pydantic_models_without_warnings() -> None:
    """A pydantic model is written as data (no deprecated instance access, no repr fallback)."""
    msg = AIMessage("hi", additional_kwargs={"api_key": "secret-value"})
    clean = json.loads(_dumps(msg))  # filterwarnings=error: any warning fails here
    assert isinstance(clean, dict)
    assert clean["content"] == "hi"
    assert clean["additional_kwargs"] == {}


def test_bounded_json_bounds_depth() -> None:
    """Deeply nested or self-referencing data is cut off instead of recursing forever."""
    loop: list[Any] = []
    loop.append(loop)
    json.loads(_dumps(loop))
    deep: Any = "leaf"
    for _ in range(50):
        deep = {"k": deep}
    assert "leaf" not in _dumps(deep)


# -- _messages ----------------------------------------------------------------------------


_POLICY = ContentPolicy(enabled=True, redact=None, limit=None)


@SETTINGS
@given(
    batches=st.lists(st.lists(real_messages | fake_messages | anything, max_size=4), max_size=3)
    | anything
)
@example(batches=[[SimpleNamespace(type="tool", content="x", tool_call_id=object())]])
@example(batches=[[SimpleNamespace(type="ai", content="", tool_calls=[{"id": object()}])]])
def test_input_messages_never_raise(batches: Any) -> None:
    """input_messages returns a JSON list of messages with role and parts for any input."""
    out = json.loads(_messages.input_messages(batches, _POLICY).text)
    assert isinstance(out, list)
    for message in out:
        assert isinstance(message["role"], str)
        assert isinstance(message["parts"], list)


@SETTINGS
@given(response=responses, reasons=st.lists(st.text(max_size=8), max_size=3))
def test_output_messages_never_raise(response: Any, reasons: list[str]) -> None:
    """output_messages returns a JSON list of assistant messages for any response."""
    out = json.loads(_messages.output_messages(response, reasons, _POLICY).text)
    assert isinstance(out, list)
    assert all(m["role"] == "assistant" for m in out)


def test_tool_messages_with_non_string_ids_serialize() -> None:
    """Non-string tool call ids and names from duck-typed messages do not break serialisation."""
    tool = SimpleNamespace(type="tool", content="42", tool_call_id=object())
    ai = SimpleNamespace(
        type="ai",
        content="",
        tool_calls=[
            {"id": {Unprintable(): 1}, "name": 7, "args": {Unprintable(): "v", "password": "p"}}
        ],
    )
    out = json.loads(_messages.input_messages([[tool, ai]], _POLICY).text)
    assert [m["role"] for m in out] == ["tool", "assistant"]
    assert "password" not in json.dumps(out)


@given(run_id=st.uuids() | st.just(uuid4()))
@example(run_id=UUID(int=0))
@example(run_id=UUID(int=2**128 - 1))
def test_the_run_id_attribute_is_the_uuids_canonical_form(run_id: UUID) -> None:
    """``langchain.run.id`` is exactly ``str(run_id)``, whatever the UUID."""
    attrs = _attributes.common(run_id, "chain", "step", None, None)
    assert attrs["langchain.run.id"] == str(run_id)
