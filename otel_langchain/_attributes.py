"""Pure functions: LangChain callback payloads -> semconv attribute values.

Strings are bounded here and scrubbed by the recording layer (``_record``).

Every function here accepts whatever LangChain (or a third-party integration)
hands it and returns ``None``/empty for shapes it does not know; none raises on
odd input (property-tested).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from otel_langchain import _semconv as sc
from otel_langchain._json import TRUNCATED
from otel_langchain._scrub import is_secret_key, learn, scrub_head

_LLM_TYPE_PROVIDERS = {
    "openai": "openai",
    "openai-chat": "openai",
    "azure-openai-chat": "azure.ai.openai",
    "azure-openai": "azure.ai.openai",
    "anthropic-chat": "anthropic",
    "anthropic": "anthropic",
    "amazon_bedrock": "aws.bedrock",
    "amazon_bedrock_chat": "aws.bedrock",
    "amazon_bedrock_converse_chat": "aws.bedrock",
    "vertexai": "gcp.vertex_ai",
    "chat-google-generative-ai": "gcp.gen_ai",
    "mistralai-chat": "mistral_ai",
    "cohere-chat": "cohere",
    "groq-chat": "groq",
    "chat-deepseek": "deepseek",
    "xai-chat": "x_ai",
}
_MODEL_KEYS = ("model", "model_name", "model_id", "modelId", "deployment_name", "azure_deployment")
_REQUEST_PARAMS: tuple[tuple[str, str, type], ...] = (
    ("temperature", sc.GEN_AI_REQUEST_TEMPERATURE, float),
    ("max_tokens", sc.GEN_AI_REQUEST_MAX_TOKENS, int),
    ("max_completion_tokens", sc.GEN_AI_REQUEST_MAX_TOKENS, int),
    ("max_output_tokens", sc.GEN_AI_REQUEST_MAX_TOKENS, int),
    ("maxTokens", sc.GEN_AI_REQUEST_MAX_TOKENS, int),
    ("num_predict", sc.GEN_AI_REQUEST_MAX_TOKENS, int),
    ("top_p", sc.GEN_AI_REQUEST_TOP_P, float),
    ("topP", sc.GEN_AI_REQUEST_TOP_P, float),
    ("top_k", sc.GEN_AI_REQUEST_TOP_K, float),
    ("frequency_penalty", sc.GEN_AI_REQUEST_FREQUENCY_PENALTY, float),
    ("presence_penalty", sc.GEN_AI_REQUEST_PRESENCE_PENALTY, float),
    ("seed", sc.GEN_AI_REQUEST_SEED, int),
    ("random_seed", sc.GEN_AI_REQUEST_SEED, int),
    ("n", sc.GEN_AI_REQUEST_CHOICE_COUNT, int),
)
_PARAMS = {key: (attr, kind) for key, attr, kind in _REQUEST_PARAMS}
_PARAM_KEYS = frozenset(_PARAMS)
# Each parameter's place in the list: of several spellings of one, the first wins.
_PARAM_ORDER = {key: i for i, (key, _, _) in enumerate(_REQUEST_PARAMS)}
#: Longest metadata string recorded (``langchain.metadata.*``); longer ones are cut, marked.
_MAX_METADATA = 1024
_CONVERSATION_KEYS = ("thread_id", "session_id", "conversation_id")
# Personal data: recorded as user.id only when capture_user_id is on, never as langchain.metadata.*.
_USER_KEYS = ("user_id", "user.id")
_RESERVED_KEYS = frozenset(_CONVERSATION_KEYS + _USER_KEYS)
USER_ID_ENV = "OTEL_LANGCHAIN_CAPTURE_USER_ID"
AGENT_NAMES = frozenset({"AgentExecutor", "LangGraph"})
_INTERNAL_METADATA = ("ls_", "langgraph_", "lc_", "checkpoint_")
# Tags LangChain and LangGraph add for their own bookkeeping (steps, branches, retries).
_INTERNAL_TAGS = (
    "seq:step:",
    "graph:step:",
    "map:key:",
    "retry:attempt:",
    "branch:",
    "condition:",
    "langsmith:",
)


logger = logging.getLogger(__name__)


def user_id_enabled(explicit: bool | None) -> bool:
    """``capture_user_id``: explicit argument, else ``OTEL_LANGCHAIN_CAPTURE_USER_ID``, else off."""
    if explicit is not None:
        if not isinstance(explicit, bool):
            raise ValueError(f"capture_user_id must be True, False or None, got {explicit!r}")
        return explicit
    raw = os.environ.get(USER_ID_ENV, "").strip().lower()
    if raw in ("true", "1", "yes", "on"):
        return True
    if raw not in ("", "false", "0", "no", "off"):
        logger.warning("%s=%r is not true/false; user ids are not recorded", USER_ID_ENV, raw)
    return False


def provider_name(
    metadata: Mapping[str, Any] | None, invocation: Mapping[str, Any] | None
) -> str | None:
    """gen_ai.provider.name from ``ls_provider`` (mapped to semconv), else the ``_type``."""
    raw = metadata.get("ls_provider") if metadata else None
    if isinstance(raw, str) and raw:
        key = raw.lower()
        return sc.PROVIDER_NAMES.get(key, key)
    llm_type = invocation.get("_type") if invocation else None
    if isinstance(llm_type, str):
        return _LLM_TYPE_PROVIDERS.get(llm_type.lower())
    return None


def request_model(
    metadata: Mapping[str, Any] | None, invocation: Mapping[str, Any] | None
) -> str | None:
    """gen_ai.request.model from ``ls_model_name``, else the invocation params."""
    name = metadata.get("ls_model_name") if metadata else None
    if isinstance(name, str) and name:
        return name
    if invocation:
        for key in _MODEL_KEYS:
            value = invocation.get(key)
            if isinstance(value, str) and value:
                return value
    return None


def _number(value: Any, kind: type) -> float | int | None:
    if type(value) is float and kind is float:  # the usual cases first
        return value if math.isfinite(value) else None
    if type(value) is int and kind is int:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return int(value) if kind is int else float(value)


def request_params(
    metadata: Mapping[str, Any] | None, invocation: Mapping[str, Any] | None
) -> dict[str, Any]:
    """gen_ai.request.* parameters (an allow-list: nothing else of the params is read)."""
    attrs: dict[str, Any] = {}
    if invocation:
        # The invocation params hold few of the listed keys: found with one set operation.
        present = _PARAM_KEYS.intersection(invocation)
        for key in sorted(present, key=_PARAM_ORDER.__getitem__) if len(present) > 1 else present:
            attr, kind = _PARAMS[key]
            if attr not in attrs:
                value = _number(invocation[key], kind)
                if value is not None:
                    attrs[attr] = value
        stop = invocation.get("stop") or invocation.get("stop_sequences")
        if isinstance(stop, str):
            attrs[sc.GEN_AI_REQUEST_STOP_SEQUENCES] = [stop]
        elif (
            stop is not None  # the usual case: no stop (the ABC check is slow)
            and isinstance(stop, Sequence)
            and stop
            and all(isinstance(s, str) for s in stop)
        ):
            attrs[sc.GEN_AI_REQUEST_STOP_SEQUENCES] = list(stop)
    if metadata:
        if sc.GEN_AI_REQUEST_TEMPERATURE not in attrs:
            value = _number(metadata.get("ls_temperature"), float)
            if value is not None:
                attrs[sc.GEN_AI_REQUEST_TEMPERATURE] = value
        if sc.GEN_AI_REQUEST_MAX_TOKENS not in attrs:
            value = _number(metadata.get("ls_max_tokens"), int)
            if value is not None:
                attrs[sc.GEN_AI_REQUEST_MAX_TOKENS] = value
        stop = metadata.get("ls_stop")
        if sc.GEN_AI_REQUEST_STOP_SEQUENCES not in attrs and isinstance(stop, list) and stop:
            attrs[sc.GEN_AI_REQUEST_STOP_SEQUENCES] = [s for s in stop if isinstance(s, str)]
    return attrs


def run_name(serialized: Mapping[str, Any] | None, name: object, default: str) -> str:
    """The run's name: the ``name=`` LangChain passes the start hook, else the serialized
    name or class id, else ``default``."""
    if isinstance(name, str) and name:
        return name
    if type(serialized) is dict or isinstance(serialized, Mapping):
        name = serialized.get("name")
        if isinstance(name, str) and name:
            return name
        ident = serialized.get("id")
        if isinstance(ident, list) and ident and isinstance(ident[-1], str):
            return ident[-1]
    return default


def is_agent(name: str, metadata: Mapping[str, Any] | None) -> bool:
    """A LangGraph graph's root run (or a legacy AgentExecutor) is an agent invocation."""
    if name in AGENT_NAMES:
        return True
    return bool(
        metadata
        and metadata.get("ls_integration") == "langgraph"
        and "langgraph_node" not in metadata
    )


def agent(name: str) -> tuple[str, dict[str, Any]]:
    """Span name and attributes of an agent invocation named ``name``."""
    return (
        f"{sc.OP_INVOKE_AGENT} {name}",
        {sc.GEN_AI_OPERATION_NAME: sc.OP_INVOKE_AGENT, sc.GEN_AI_AGENT_NAME: name},
    )


def common(
    run_id: UUID,
    run_type: str,
    name: str,
    tags: Sequence[str] | None,
    metadata: Mapping[str, Any] | None,
    user_ids: bool = False,
) -> dict[str, Any]:
    """Attributes every span carries: run id/type/name, tags, metadata, LangGraph, conversation.

    ``user_ids``: record ``user_id`` / ``user.id`` metadata as ``user.id`` (personal data, opt-in).

    ``langchain.run.id`` is ``str(run_id)`` made without ``UUID.__str__`` (a Python method
    formatting ``'%032x' % int`` and joining five slices of it, 7.6 k instructions): the
    16 bytes hexed as 4, 2-2-2 (``bytes.hex`` puts a dash between each two) and 6, 4.7 k.
    (A traced run's id is a UUID: the hooks trace no other.)
    """
    b = run_id.int.to_bytes(16, "big")
    attrs: dict[str, Any] = {
        sc.LANGCHAIN_RUN_ID: f"{b[:4].hex()}-{b[4:10].hex('-', 2)}-{b[10:].hex()}",
        sc.LANGCHAIN_RUN_TYPE: run_type,
        sc.LANGCHAIN_RUN_NAME: name,
    }
    if tags:
        # Most runs carry only LangChain's bookkeeping tags: looked at without building a list.
        for tag in tags:
            if type(tag) is not str or not tag.startswith(_INTERNAL_TAGS):
                clean = [t for t in tags if isinstance(t, str) and not t.startswith(_INTERNAL_TAGS)]
                if clean:
                    attrs[sc.LANGCHAIN_RUN_TAGS] = clean
                break
    if metadata:
        _metadata_attrs(metadata, attrs, user_ids)
    return attrs


def identifier(metadata: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    """The first of ``keys`` whose value is a non-empty string or an integer, as text."""
    for key in keys:
        value = metadata.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and value != "":
            return str(value)
    return None


def _metadata_attrs(metadata: Mapping[str, Any], attrs: dict[str, Any], user_ids: bool) -> None:
    keys = tuple(metadata)
    shape = None
    if len(keys) <= _MAX_SHAPE_KEYS:
        try:  # noqa: SIM105 (a try costs nothing here; contextlib.suppress builds an object)
            shape = _shapes.get(keys)
        except TypeError:  # an unhashable key (a mapping that is not a dict)
            pass
    if shape is None:
        shape = _metadata_shape(keys)
    kept, conversation, langgraph = shape
    if conversation:
        found = identifier(metadata, _CONVERSATION_KEYS)
        if found is not None:
            attrs[sc.GEN_AI_CONVERSATION_ID] = found
    if user_ids:
        user = identifier(metadata, _USER_KEYS)
        if user is not None:
            attrs[sc.USER_ID] = scrub_head(user, 256)[0]
    if langgraph:
        node = metadata.get("langgraph_node")
        if isinstance(node, str):
            attrs[sc.LANGGRAPH_NODE] = node
        step = metadata.get("langgraph_step")
        if isinstance(step, int) and not isinstance(step, bool):
            attrs[sc.LANGGRAPH_STEP] = step
    for key, attr in kept:
        value = metadata.get(key)
        if attr is _SECRET:
            if isinstance(value, str):
                learn((value,), recent=True)  # masked wherever else it shows up
        elif isinstance(value, str):
            attrs[attr] = (
                value
                if len(value) <= _MAX_METADATA
                else scrub_head(value, _MAX_METADATA)[0] + TRUNCATED
            )
        elif isinstance(value, (bool, int, float)):
            attrs[attr] = value


# What a metadata key is: skipped (LangChain's and LangGraph's own keys, the reserved
# ones, keys that are not strings), a credential's name, or the attribute it becomes.
# Decided once per shape (the keys of a metadata mapping, in order): LangChain and
# LangGraph give the runs of one kind the same keys, most of them their own.
_SKIP = ""
_SECRET = "secret"
_MAX_SHAPES = 256
_MAX_SHAPE_KEYS = 64
#: Keys -> (the keys recorded or learned, with their attribute; any conversation key;
#: a LangGraph node or step key).
_Shape = tuple[tuple[tuple[Any, str], ...], bool, bool]
_shapes: dict[tuple[Any, ...], _Shape] = {}


def _metadata_shape(keys: tuple[Any, ...]) -> _Shape:
    kept = tuple((key, attr) for key in keys if (attr := _metadata_key(key)) is not _SKIP)
    shape = (
        kept,
        any(key in keys for key in _CONVERSATION_KEYS),  # by equality: keys may not hash
        "langgraph_node" in keys or "langgraph_step" in keys,
    )
    if len(keys) <= _MAX_SHAPE_KEYS:
        if len(_shapes) >= _MAX_SHAPES:
            _shapes.clear()
        with contextlib.suppress(TypeError):  # an unhashable key
            _shapes[keys] = shape
    return shape


def _metadata_key(key: Any) -> str:
    if not isinstance(key, str) or key.startswith(_INTERNAL_METADATA) or key in _RESERVED_KEYS:
        attr = _SKIP
    elif is_secret_key(key):
        attr = _SECRET
    else:
        attr = sc.LANGCHAIN_METADATA_PREFIX + key
    return attr
