"""LangChain messages -> the GenAI semconv message schema (``gen_ai.*.messages``).

Only called when content capture is on. Every text goes through the content
policy (credential scrubbing, the user's ``redact``, truncation) before it is
serialized.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from otel_langchain._content import drop_secrets, safe_str

Text = Callable[[str], str]

_ROLES = {
    "human": "user",
    "HumanMessageChunk": "user",
    "ai": "assistant",
    "AIMessageChunk": "assistant",
    "system": "system",
    "SystemMessageChunk": "system",
    "tool": "tool",
    "ToolMessageChunk": "tool",
    "function": "tool",
    "developer": "system",
}


def _parts(content: Any, text: Text) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "content": text(content)}] if content else []
    parts: list[dict[str, Any]] = []
    if isinstance(content, list):
        for block in content:
            if isinstance(block, str):
                parts.append({"type": "text", "content": text(block)})
            elif isinstance(block, Mapping):
                kind = block.get("type")
                if kind == "text" and isinstance(block.get("text"), str):
                    parts.append({"type": "text", "content": text(block["text"])})
                elif kind in ("reasoning", "thinking"):
                    body = block.get("reasoning") or block.get("thinking") or ""
                    parts.append({"type": "reasoning", "content": text(safe_str(body))})
                elif isinstance(kind, str):
                    parts.append({"type": kind})
    return parts


def _opt_str(value: Any) -> str | None:
    return value if value is None or isinstance(value, str) else safe_str(value)


def _texts(value: Any, text: Text) -> Any:
    """Apply the content policy to every string inside a JSON-ready value."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict):
        return {k: _texts(v, text) for k, v in value.items()}
    if isinstance(value, list):
        return [_texts(v, text) for v in value]
    return value


def _tool_calls(message: Any, text: Text) -> list[dict[str, Any]]:
    calls = getattr(message, "tool_calls", None)
    if not isinstance(calls, list):
        return []
    return [
        {
            "type": "tool_call",
            "id": _opt_str(call.get("id")),
            "name": _opt_str(call.get("name")),
            "arguments": _texts(drop_secrets(call.get("args")), text),
        }
        for call in calls
        if isinstance(call, Mapping)
    ]


def message(msg: Any, text: Text) -> dict[str, Any]:
    """One LangChain message as a semconv chat message."""
    kind = getattr(msg, "type", None)
    role = _ROLES.get(kind, "user") if isinstance(kind, str) else "user"
    if kind == "chat":
        role = safe_str(getattr(msg, "role", "user"))
    content = getattr(msg, "content", msg if isinstance(msg, str) else None)
    if role == "tool":
        return {
            "role": "tool",
            "parts": [
                {
                    "type": "tool_call_response",
                    "id": _opt_str(getattr(msg, "tool_call_id", None)),
                    "response": text(content if isinstance(content, str) else safe_str(content)),
                }
            ],
        }
    return {"role": role, "parts": _parts(content, text) + _tool_calls(msg, text)}


def input_messages(batches: Any, text: Text) -> str:
    """``on_chat_model_start``'s ``messages`` (one list per prompt) as JSON."""
    out: list[dict[str, Any]] = []
    if isinstance(batches, list):
        for batch in batches:
            if isinstance(batch, list):
                out.extend(message(m, text) for m in batch)
    return json.dumps(out, ensure_ascii=False, default=safe_str)


def prompt_messages(prompts: Iterable[Any], text: Text) -> str:
    """A text LLM's prompts as user messages, JSON."""
    return json.dumps(
        [
            {"role": "user", "parts": [{"type": "text", "content": text(safe_str(p))}]}
            for p in prompts
        ],
        ensure_ascii=False,
    )


def output_messages(response: Any, reasons: list[str], text: Text) -> str:
    """The generations of an ``LLMResult`` as assistant messages, JSON."""
    out: list[dict[str, Any]] = []
    gens = getattr(response, "generations", None)
    index = 0
    for group in gens if isinstance(gens, list) else []:
        for gen in group if isinstance(group, list) else []:
            msg = getattr(gen, "message", None)
            entry = (
                message(msg, text)
                if msg is not None
                else {"role": "assistant", "parts": _parts(getattr(gen, "text", ""), text)}
            )
            entry["role"] = "assistant"
            if index < len(reasons):
                entry["finish_reason"] = reasons[index]
            index += 1
            out.append(entry)
    return json.dumps(out, ensure_ascii=False, default=safe_str)
