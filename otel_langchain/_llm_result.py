"""Pure functions: an ``LLMResult`` -> response model, id, finish reasons, token usage.

Usage comes from ``AIMessage.usage_metadata`` (LangChain's normalised form, also
on streamed results, where it is summed over the chunks), else from
``llm_output["token_usage"]`` / ``["usage"]`` in the spellings of the major
providers. A count nobody reported stays ``None``: we never invent one.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

_RESPONSE_MODEL_KEYS = ("model_name", "model", "model_id", "modelId")
_FINISH_KEYS = ("finish_reason", "stop_reason", "stopReason", "done_reason")
_LANGCHAIN_ID_PREFIXES = ("run-", "lc_run-", "lc_")

# (input, output, cache_read, cache_creation, reasoning) spellings in llm_output usage dicts.
_INPUT_KEYS = (
    "input_tokens",
    "prompt_tokens",
    "inputTokens",
    "prompt_token_count",
    "promptTokenCount",
    "prompt_eval_count",
)
_OUTPUT_KEYS = (
    "output_tokens",
    "completion_tokens",
    "outputTokens",
    "candidates_token_count",
    "candidatesTokenCount",
    "eval_count",
    "generated_tokens",
)
_CACHE_READ_KEYS = (
    "cache_read_input_tokens",
    "cacheReadInputTokens",
    "cached_content_token_count",
    "cachedContentTokenCount",
    "prompt_cache_hit_tokens",
)
_CACHE_WRITE_KEYS = ("cache_creation_input_tokens", "cacheWriteInputTokens")
_REASONING_KEYS = ("reasoning_tokens", "thoughts_token_count", "thoughtsTokenCount")


class TokenCounts:
    """Token counts of one model call; ``None`` means not reported."""

    __slots__ = ("cache_creation", "cache_read", "input", "output", "reasoning")

    def __init__(self) -> None:
        self.input: int | None = None
        self.output: int | None = None
        self.cache_read: int | None = None
        self.cache_creation: int | None = None
        self.reasoning: int | None = None

    def add(self, name: str, value: Any) -> None:
        """Add a reported count (ignores anything that is not a non-negative int)."""
        if value is None:  # the common "not reported", before the checks
            return
        if type(value) is not int and (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            return
        if value < 0:
            return
        current = getattr(self, name)
        setattr(self, name, int(value) if current is None else current + int(value))

    @property
    def reported(self) -> bool:
        """Whether the provider reported input or output tokens."""
        return self.input is not None or self.output is not None


def _generations(response: Any) -> Iterator[Any]:
    gens = getattr(response, "generations", None)
    if not isinstance(gens, list):
        return
    for group in gens:
        if isinstance(group, list):
            yield from group


def _message(gen: Any) -> Any:
    return getattr(gen, "message", None)


_EMPTY: Mapping[str, Any] = {}


def _mapping(value: Any) -> Mapping[str, Any]:
    if type(value) is dict:  # the usual case; the ABC check below is slow
        return value
    return value if isinstance(value, Mapping) else _EMPTY


def llm_output(response: Any) -> Mapping[str, Any]:
    """``response.llm_output`` as a mapping (empty when absent)."""
    return _mapping(getattr(response, "llm_output", None))


def response_model(response: Any) -> str | None:
    """The model that answered: message ``response_metadata``, else ``llm_output``."""
    for gen in _generations(response):
        meta = _mapping(getattr(_message(gen), "response_metadata", None))
        for key in _RESPONSE_MODEL_KEYS:
            value = meta.get(key)
            if isinstance(value, str) and value:
                return value
    out = llm_output(response)
    for key in _RESPONSE_MODEL_KEYS:
        value = out.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def response_id(response: Any) -> str | None:
    """The provider's response id (LangChain's own ``run-...`` ids are not one)."""
    for gen in _generations(response):
        msg = _message(gen)
        value = _mapping(getattr(msg, "response_metadata", None)).get("id")
        if isinstance(value, str) and value:
            return value
        value = getattr(msg, "id", None)
        if isinstance(value, str) and value and not value.startswith(_LANGCHAIN_ID_PREFIXES):
            return value
    value = llm_output(response).get("id")
    return value if isinstance(value, str) and value else None


def finish_reasons(response: Any) -> list[str]:
    """One finish reason per generation that reported one."""
    reasons: list[str] = []
    for gen in _generations(response):
        found = _finish_reason(_mapping(getattr(_message(gen), "response_metadata", None)))
        if not found:
            found = _finish_reason(_mapping(getattr(gen, "generation_info", None)))
        if found:
            reasons.append(found)
    return reasons


def _finish_reason(source: Mapping[str, Any]) -> str | None:
    for key in _FINISH_KEYS:
        value = source.get(key)
        if isinstance(value, str):
            return value
    return None


def usage(response: Any) -> TokenCounts:
    """Token usage of the call, from ``usage_metadata`` else ``llm_output``."""
    result = TokenCounts()
    for gen in _generations(response):
        meta = getattr(_message(gen), "usage_metadata", None)
        if type(meta) is dict or isinstance(meta, Mapping):
            result.add("input", meta.get("input_tokens"))
            result.add("output", meta.get("output_tokens"))
            inp = _mapping(meta.get("input_token_details"))
            result.add("cache_read", inp.get("cache_read"))
            result.add("cache_creation", inp.get("cache_creation"))
            result.add("reasoning", _mapping(meta.get("output_token_details")).get("reasoning"))
    if result.reported:
        return result
    out = llm_output(response)
    raw = out.get("token_usage") or out.get("usage") or out.get("usage_metadata")
    if isinstance(raw, Mapping):
        _from_provider_dict(raw, result)
    return result


def _first(raw: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    return next((raw[k] for k in keys if k in raw), None)


def _from_provider_dict(raw: Mapping[str, Any], result: TokenCounts) -> None:
    result.add("input", _first(raw, _INPUT_KEYS))
    result.add("output", _first(raw, _OUTPUT_KEYS))
    result.add("cache_read", _first(raw, _CACHE_READ_KEYS))
    result.add("cache_creation", _first(raw, _CACHE_WRITE_KEYS))
    result.add("reasoning", _first(raw, _REASONING_KEYS))
    prompt_details = _mapping(raw.get("prompt_tokens_details") or raw.get("input_tokens_details"))
    result.add("cache_read", prompt_details.get("cached_tokens"))
    completion_details = _mapping(
        raw.get("completion_tokens_details") or raw.get("output_tokens_details")
    )
    result.add("reasoning", completion_details.get("reasoning_tokens"))
    # Anthropic reports input_tokens *without* the cached parts; LangChain's
    # normalised input count includes them, and so does ours.
    if "cache_read_input_tokens" in raw or "cache_creation_input_tokens" in raw:
        for part in (result.cache_read, result.cache_creation):
            if part and result.input is not None:
                result.input += part
