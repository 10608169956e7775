"""LangChain messages -> the GenAI semconv message schema (``gen_ai.*.messages``).

Only called when content capture is on. Messages and their parts are produced
lazily and serialized by the bounded writer, so a long history costs what the
limit allows. Every text goes through the content policy (scrubbing, the user's
``redact``, the length limit) as it is written.

Provider content blocks are mapped to semconv parts (v1.41 JSON schema): text,
reasoning (Anthropic ``thinking``, OpenAI reasoning summaries), tool calls and
tool results (Anthropic ``tool_use`` / ``tool_result``), server tool calls and
their results, and media as ``blob`` (inline data), ``uri`` or ``file`` parts
(Anthropic ``image`` / ``document``, OpenAI ``image_url`` / ``input_audio`` /
``file``, LangChain's standard blocks). A block that repeats one of the
message's ``tool_calls`` is left out; an unknown block keeps its fields as a
generic part, and a block with nothing but a type is dropped.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import is_dataclass
from typing import Any

from pydantic import BaseModel

from otel_langchain._capture import NOT_CAPTURED
from otel_langchain._content import ContentPolicy, Piece, safe_str
from otel_langchain._json import dataclass_items, model_items
from otel_langchain._record import Captured

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
_TEXT_BLOCKS = frozenset({"text", "text-plain", "input_text", "output_text"})
_REASONING_BLOCKS = frozenset({"reasoning", "thinking"})
_DROPPED_BLOCKS = frozenset({"redacted_thinking", "tool_call_chunk", "invalid_tool_call"})
_CALL_BLOCKS = frozenset({"tool_use", "tool_call", "function_call"})
_SERVER_CALL_BLOCKS = frozenset({"server_tool_use", "server_tool_call"})
_MEDIA_BLOCKS = {"image": "image", "audio": "audio", "video": "video", "file": None}
_MEDIA_BLOCKS["document"] = None


class _Builder:
    """Builds message dicts for one attribute; strings pass through the policy.

    A tool result answering a call in ``withheld`` (its tool run captured nothing)
    is written as ``[not captured]``.
    """

    __slots__ = ("policy", "withheld")

    def __init__(self, policy: ContentPolicy, withheld: Container[str] = ()) -> None:
        self.policy = policy
        self.withheld = withheld

    def withholds(self, call_id: str | None) -> bool:
        return call_id is not None and bool(self.withheld) and call_id in self.withheld

    def text(self, value: Any) -> Piece:
        return self.policy.piece(value if isinstance(value, str) else safe_str(value))

    def data(self, value: Any, budget: list[int], depth: int = 0) -> Any:
        """A JSON-ready copy of tool arguments / results, texts through the policy (bounded)."""
        budget[0] -= 1
        if budget[0] < 0 or depth > 12:
            return "..."
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            out: dict[Any, Any] = {}
            for key, item in value.items():
                out[key] = self.data(item, budget, depth + 1)
                if budget[0] < 0:
                    break
            return out
        if isinstance(value, (list, tuple)):
            items = []
            for item in value:
                items.append(self.data(item, budget, depth + 1))
                if budget[0] < 0:
                    break
            return items
        if value is None or isinstance(value, (bool, int, float)):
            return value
        # An object (a pydantic model, a dataclass): its fields, their texts through the
        # policy like any other (the user's ``redact`` included); anything else as text.
        if isinstance(value, BaseModel):
            return self.data(dict(model_items(value, ())), budget, depth + 1)
        if is_dataclass(value) and not isinstance(value, type):
            return self.data(dict(dataclass_items(value)), budget, depth + 1)
        return self.text(value)

    def budget(self) -> list[int]:
        return [self.policy.limit]

    # -- parts -------------------------------------------------------------------------

    def parts(self, content: Any, call_ids: frozenset[str]) -> Iterable[dict[str, Any]]:
        """A message's content as parts: a text at once, a list of blocks lazily."""
        if isinstance(content, str):  # the usual case: one part, no generator to resume
            return [{"type": "text", "content": self.text(content)}] if content else []
        if not isinstance(content, list):
            return []
        return self._blocks(content, call_ids)

    def _blocks(self, content: list[Any], call_ids: frozenset[str]) -> Iterator[dict[str, Any]]:
        for block in content:
            if isinstance(block, str):
                if block:
                    yield {"type": "text", "content": self.text(block)}
            elif isinstance(block, Mapping):
                part = self.block(block, call_ids)
                if part is not None:
                    yield part

    def block(self, block: Mapping[str, Any], call_ids: frozenset[str]) -> dict[str, Any] | None:
        kind = block.get("type")
        if not isinstance(kind, str) or kind in _DROPPED_BLOCKS:
            return None
        if kind in _TEXT_BLOCKS:
            body = block.get("text")
            return {"type": "text", "content": self.text(body)} if body else None
        if kind in _REASONING_BLOCKS:
            body = _reasoning_text(block)
            return {"type": "reasoning", "content": self.text(body)} if body else None
        if kind == "refusal":
            body = block.get("refusal")
            return {"type": "refusal", "content": self.text(body)} if body else None
        if kind in _CALL_BLOCKS:
            if block.get("id") in call_ids or not block.get("name"):
                return None  # the same call is a tool_call part from message.tool_calls
            args = block.get("input", block.get("args", block.get("arguments")))
            return _tool_call(block.get("id"), block.get("name"), self.data(args, self.budget()))
        if kind == "tool_result":
            call_id = _opt_str(block.get("tool_use_id"))
            return {
                "type": "tool_call_response",
                "id": call_id,
                "response": NOT_CAPTURED
                if self.withholds(call_id)
                else self.data(_result_text(block.get("content")), self.budget()),
            }
        return self.other_block(kind, block)

    def other_block(self, kind: str, block: Mapping[str, Any]) -> dict[str, Any] | None:
        if kind in _SERVER_CALL_BLOCKS:
            args = block.get("input", block.get("args"))
            return {
                "type": "server_tool_call",
                "id": _opt_str(block.get("id")),
                "name": _opt_str(block.get("name")),
                "server_tool_call": {
                    "type": _opt_str(block.get("name")) or "unknown",
                    "arguments": self.data(args, self.budget()),
                },
            }
        if kind == "server_tool_result" or kind.endswith("_tool_result"):
            output = block.get("output", block.get("content"))
            return {
                "type": "server_tool_call_response",
                "id": _opt_str(block.get("tool_use_id", block.get("tool_call_id"))),
                "server_tool_call_response": {
                    "type": kind,
                    "content": self.data(output, self.budget()),
                },
            }
        media = _media(kind, block)
        if media is not None:
            return media
        # Unknown: keep what it carries (the writer drops credential keys, bounds it).
        rest = {k: v for k, v in block.items() if k != "type"}
        if not rest:
            return None
        return {"type": kind, **self.data(rest, self.budget())}

    # -- messages ---------------------------------------------------------------------

    def message(self, msg: Any) -> dict[str, Any]:
        kind = getattr(msg, "type", None)
        role = _ROLES.get(kind, "user") if isinstance(kind, str) else "user"
        if kind == "chat":
            role = safe_str(getattr(msg, "role", "user"))
        content = getattr(msg, "content", msg if isinstance(msg, str) else None)
        if role == "tool":
            call_id = _opt_str(getattr(msg, "tool_call_id", None))
            result = _result_text(content)
            if self.withholds(call_id):
                response: Any = NOT_CAPTURED
            elif isinstance(result, str):
                response = self.text(result)
            else:
                response = self.data(result, self.budget())
            return {
                "role": "tool",
                "parts": [{"type": "tool_call_response", "id": call_id, "response": response}],
            }
        calls = getattr(msg, "tool_calls", None)
        if not calls:  # most messages: no tool calls to chain after the content
            return {"role": role, "parts": self.parts(content, frozenset())}
        calls = [c for c in calls if isinstance(c, Mapping)] if isinstance(calls, list) else []
        call_ids = frozenset(c["id"] for c in calls if isinstance(c.get("id"), str))
        return {
            "role": role,
            "parts": _chain(self.parts(content, call_ids), self.tool_calls(calls)),
        }

    def tool_calls(self, calls: list[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
        for call in calls:
            yield _tool_call(
                call.get("id"), call.get("name"), self.data(call.get("args"), self.budget())
            )


def _chain(*parts: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for group in parts:
        yield from group


def _opt_str(value: Any) -> str | None:
    return value if value is None or isinstance(value, str) else safe_str(value)


def _tool_call(call_id: Any, name: Any, arguments: Any) -> dict[str, Any]:
    return {
        "type": "tool_call",
        "id": _opt_str(call_id),
        "name": _opt_str(name),
        "arguments": arguments,
    }


def _reasoning_text(block: Mapping[str, Any]) -> str:
    body = block.get("reasoning") or block.get("thinking")
    if isinstance(body, str):
        return body
    summary = block.get("summary")  # OpenAI Responses: [{"type": "summary_text", "text": ...}]
    if isinstance(summary, list):
        return "\n".join(
            s["text"]
            for s in summary[:64]
            if isinstance(s, Mapping) and isinstance(s.get("text"), str)
        )
    return "" if body is None else safe_str(body)


def _result_text(content: Any) -> Any:
    """A tool result: its text when it is a list of text blocks, else the content."""
    if isinstance(content, list) and all(
        isinstance(b, Mapping) and b.get("type") == "text" for b in content[:64]
    ):
        return "\n".join(safe_str(b.get("text", "")) for b in content[:64])
    return content


def _media(kind: str, block: Mapping[str, Any]) -> dict[str, Any] | None:
    """Image / audio / file blocks (Anthropic, OpenAI, LangChain standard) -> blob/uri/file."""
    if kind == "image_url":
        url = block.get("image_url")
        url = url.get("url") if isinstance(url, Mapping) else url
        return _from_url(url, "image", None) if isinstance(url, str) else None
    if kind == "input_audio":
        audio = block.get("input_audio")
        if isinstance(audio, Mapping) and isinstance(audio.get("data"), str):
            fmt = audio.get("format")
            mime = f"audio/{fmt}" if isinstance(fmt, str) else None
            return _blob("audio", mime, audio["data"])
        return None
    if kind not in _MEDIA_BLOCKS:
        return None
    source = block.get("source")
    if isinstance(source, Mapping):  # Anthropic: {"type": "base64" | "url" | "file", ...}
        return _from_anthropic_source(kind, source)
    if kind == "file" and isinstance(block.get("file"), Mapping):  # OpenAI file part
        return _from_openai_file(block["file"])
    return _from_standard(kind, block)


def _modality(kind: str, mime: Any) -> str:
    modality = _MEDIA_BLOCKS.get(kind)
    if modality:
        return modality
    if isinstance(mime, str) and "/" in mime:
        head = mime.split("/", 1)[0]
        if head in ("image", "audio", "video"):
            return head
    return "document" if kind == "document" else "file"


def _blob(modality: str, mime: Any, data: str) -> dict[str, Any]:
    return {"type": "blob", "modality": modality, "mime_type": _opt_str(mime), "content": data}


def _from_url(url: str, modality: str, mime: Any) -> dict[str, Any]:
    if url.startswith("data:") and "," in url:  # data:image/png;base64,....
        header, data = url[5:].split(",", 1)
        return _blob(modality, header.split(";", 1)[0] or mime, data)
    return {"type": "uri", "modality": modality, "mime_type": _opt_str(mime), "uri": url}


def _file(modality: str, mime: Any, file_id: Any) -> dict[str, Any]:
    return {
        "type": "file",
        "modality": modality,
        "mime_type": _opt_str(mime),
        "file_id": _opt_str(file_id),
    }


def _from_anthropic_source(kind: str, source: Mapping[str, Any]) -> dict[str, Any] | None:
    mime = source.get("media_type")
    modality = _modality(kind, mime)
    source_type = source.get("type")
    if source_type == "base64" and isinstance(source.get("data"), str):
        return _blob(modality, mime, source["data"])
    if source_type == "url" and isinstance(source.get("url"), str):
        return _from_url(source["url"], modality, mime)
    if source_type == "file" and source.get("file_id") is not None:
        return _file(modality, mime, source["file_id"])
    if source_type == "text" and isinstance(source.get("data"), str):
        return _blob(modality, mime or "text/plain", source["data"])
    return None


def _from_openai_file(file: Mapping[str, Any]) -> dict[str, Any] | None:
    if file.get("file_id") is not None:
        return _file("file", None, file["file_id"])
    data = file.get("file_data")
    if isinstance(data, str):
        return (
            _from_url(data, "file", None) if data.startswith("data:") else _blob("file", None, data)
        )
    return None


def _from_standard(kind: str, block: Mapping[str, Any]) -> dict[str, Any] | None:
    """LangChain's standard blocks: url / base64 (or data) / file_id (or id), ``mime_type``."""
    mime = block.get("mime_type")
    modality = _modality(kind, mime)
    source_type = block.get("source_type")
    data = block.get("base64", block.get("data"))
    if isinstance(data, str) and source_type in (None, "base64"):
        return _blob(modality, mime, data)
    url = block.get("url")
    if isinstance(url, str):
        return _from_url(url, modality, mime)
    file_id = block.get("file_id", block.get("id") if source_type == "id" else None)
    if file_id is not None:
        return _file(modality, mime, file_id)
    return None


# -- attributes -----------------------------------------------------------------------------


def input_messages(batches: Any, policy: ContentPolicy, withheld: Container[str] = ()) -> Captured:
    """``on_chat_model_start``'s ``messages`` (one list per prompt) as JSON.

    The results of the tool calls in ``withheld`` are written as ``[not captured]``.
    """
    builder = _Builder(policy, withheld)

    def messages() -> Iterator[dict[str, Any]]:
        if isinstance(batches, list):
            for batch in batches:
                if isinstance(batch, list):
                    for msg in batch:
                        yield builder.message(msg)

    return policy.messages(messages())


def prompt_messages(prompts: Any, policy: ContentPolicy) -> Captured:
    """A text LLM's prompts as user messages, JSON."""
    builder = _Builder(policy)
    items = prompts if isinstance(prompts, list) else []
    return policy.messages(
        {"role": "user", "parts": [{"type": "text", "content": builder.text(p)}]} for p in items
    )


def output_messages(response: Any, reasons: list[str], policy: ContentPolicy) -> Captured:
    """The generations of an ``LLMResult`` as assistant messages, JSON."""
    builder = _Builder(policy)

    def messages() -> Iterator[dict[str, Any]]:
        gens = getattr(response, "generations", None)
        index = 0
        for group in gens if isinstance(gens, list) else []:
            for gen in group if isinstance(group, list) else []:
                msg = getattr(gen, "message", None)
                if msg is not None:
                    entry = builder.message(msg)
                else:
                    entry = {
                        "role": "assistant",
                        "parts": builder.parts(getattr(gen, "text", ""), frozenset()),
                    }
                entry["role"] = "assistant"
                if index < len(reasons):
                    entry["finish_reason"] = reasons[index]
                index += 1
                yield entry

    return policy.messages(messages())
