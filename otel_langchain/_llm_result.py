"""An ``LLMResult`` -> response model, id, finish reasons, token usage, tool calls (``Response``).

Usage comes from ``AIMessage.usage_metadata`` (LangChain's normalised form, also
on streamed results, where it is summed over the chunks), else from
``llm_output["token_usage"]`` / ``["usage"]`` in the spellings of the major
providers. A count nobody reported stays ``None``: we never invent one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
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


def _generations(response: Any) -> list[Any]:
    """The generations of every prompt, in order (a list: a generator's steps cost resumes)."""
    gens = getattr(response, "generations", None)
    if not isinstance(gens, list):
        return []
    if len(gens) == 1 and type(gens[0]) is list:  # one prompt: the usual case
        return gens[0]
    out: list[Any] = []
    for group in gens:
        if isinstance(group, list):
            out.extend(group)
    return out


_EMPTY: Mapping[str, Any] = {}


def _mapping(value: Any) -> Mapping[str, Any]:
    if type(value) is dict:  # the usual case; the ABC check below is slow
        return value
    return value if isinstance(value, Mapping) else _EMPTY


def llm_output(response: Any) -> Mapping[str, Any]:
    """``response.llm_output`` as a mapping (empty when absent)."""
    return _mapping(getattr(response, "llm_output", None))


class Response:
    """What a model response says about the call, read in one walk over its generations.

    ``model``: the model that answered (message ``response_metadata``, else
    ``llm_output``); ``id``: the provider's response id (LangChain's own ``run-...``
    ids are not one); ``finish_reasons``: one per generation that reported one;
    ``usage``: the token counts (``usage_metadata``, else ``llm_output``);
    ``tool_call_ids``: the ids of the tool calls it asks for, in order.
    """

    __slots__ = ("finish_reasons", "id", "model", "tool_call_ids", "usage")

    def __init__(self, response: Any) -> None:
        model: str | None = None
        response_id: str | None = None
        reasons: list[str] = []
        calls: list[str] = []
        counts = TokenCounts()
        for gen in _generations(response):
            message = getattr(gen, "message", None)
            meta = _mapping(getattr(message, "response_metadata", None))
            if model is None:
                for key in _RESPONSE_MODEL_KEYS:
                    value = meta.get(key)
                    if isinstance(value, str) and value:
                        model = value
                        break
            if response_id is None:
                value = meta.get("id")
                if isinstance(value, str) and value:
                    response_id = value
                else:
                    value = getattr(message, "id", None)
                    if (
                        isinstance(value, str)
                        and value
                        and not value.startswith(_LANGCHAIN_ID_PREFIXES)
                    ):
                        response_id = value
            found = _finish_reason(meta) or _finish_reason(
                _mapping(getattr(gen, "generation_info", None))
            )
            if found:
                reasons.append(found)
            used = getattr(message, "usage_metadata", None)
            if type(used) is dict or isinstance(used, Mapping):
                _from_usage_metadata(used, counts)
            tool_calls = getattr(message, "tool_calls", None)
            if tool_calls and isinstance(tool_calls, list):
                for call in tool_calls:
                    call_id = (
                        call.get("id") if type(call) is dict or isinstance(call, Mapping) else None
                    )
                    if isinstance(call_id, str) and call_id:
                        calls.append(call_id)
        self.model = model
        self.id = response_id
        self.finish_reasons = reasons
        self.usage = counts
        self.tool_call_ids = calls
        if model is None or response_id is None or not counts.reported:
            out = llm_output(response)
            if out:
                self._from_llm_output(out)

    def _from_llm_output(self, out: Mapping[str, Any]) -> None:
        """What the generations left unsaid, from ``llm_output``."""
        if self.model is None:
            for key in _RESPONSE_MODEL_KEYS:
                value = out.get(key)
                if isinstance(value, str) and value:
                    self.model = value
                    break
        if self.id is None:
            value = out.get("id")
            self.id = value if isinstance(value, str) and value else None
        if not self.usage.reported:
            raw = out.get("token_usage") or out.get("usage") or out.get("usage_metadata")
            if type(raw) is dict or isinstance(raw, Mapping):
                _from_provider_dict(raw, self.usage)


def _finish_reason(source: Mapping[str, Any]) -> str | None:
    for key in _FINISH_KEYS:
        value = source.get(key)
        if isinstance(value, str):
            return value
    return None


def _from_usage_metadata(meta: Mapping[str, Any], result: TokenCounts) -> None:
    """LangChain's ``usage_metadata``; the counts are ints in the usual case, checked inline."""
    value = meta.get("input_tokens")
    if type(value) is int and value >= 0:
        result.input = value if result.input is None else result.input + value
    else:
        result.add("input", value)
    value = meta.get("output_tokens")
    if type(value) is int and value >= 0:
        result.output = value if result.output is None else result.output + value
    else:
        result.add("output", value)
    details = meta.get("input_token_details")
    if details:
        inp = _mapping(details)
        result.add("cache_read", inp.get("cache_read"))
        result.add("cache_creation", inp.get("cache_creation"))
    details = meta.get("output_token_details")
    if details:
        result.add("reasoning", _mapping(details).get("reasoning"))


def _first(raw: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if key in raw:
            return raw[key]
    return None


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
