"""A scripted OpenAI- and Anthropic-compatible HTTP API on 127.0.0.1, for real clients.

``langchain-openai``'s ``ChatOpenAI`` and ``langchain-anthropic``'s ``ChatAnthropic``
(and the ``openai`` / ``anthropic`` SDKs under them) talk to it as they talk to the
real APIs: ``POST /v1/chat/completions`` and ``POST /v1/messages``, plain JSON or
server-sent events when the request asks to stream. Each request takes the next
scripted reply (text, tool calls, Anthropic ``tool_use`` blocks; a fixed text reply
when none is left), every request is kept for the test to assert on, and chosen keys
get the providers' authentication errors, which quote the key.

    with ScriptedAPI() as api:
        api.openai_replies.append(api.openai_text("Hello"))
        ChatOpenAI(base_url=api.openai_url, api_key="k").invoke("hi")
        assert len(api.requests) == 1

Responses have the shape the real APIs return (ids, usage, finish reasons,
``tool_calls`` / ``tool_use`` blocks, server-sent events when ``stream`` is
set). A key in ``rejected_keys`` gets the provider's 401, which (as OpenAI's
does) echoes the key; a key in ``forbidden_keys`` gets a 403 naming the key,
as some API gateways do.
"""

from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

INPUT_TOKENS = 11
OUTPUT_TOKENS = 5
REPLY = "Hello from the local API."

_ids = itertools.count(1)


class ScriptedAPI:
    """Serves /v1/chat/completions (OpenAI) and /v1/messages (Anthropic) until stopped."""

    def __init__(self) -> None:
        self.openai_replies: list[dict[str, Any]] = []
        self.anthropic_replies: list[dict[str, Any]] = []
        self.rejected_keys: set[str] = set()
        self.forbidden_keys: set[str] = set()
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                server._serve(self, body)

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        self.openai_url = f"{self.url}/v1"  # OpenAI clients take the base with /v1
        self.anthropic_url = self.url  # the Anthropic SDK appends /v1/messages

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def __enter__(self) -> ScriptedAPI:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- replies ------------------------------------------------------------------------

    @staticmethod
    def openai_text(text: str) -> dict[str, Any]:
        return {"message": {"role": "assistant", "content": text}, "finish_reason": "stop"}

    @staticmethod
    def openai_tool_call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        call = {
            "id": f"call_{next(_ids)}",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments)},
        }
        return {
            "message": {"role": "assistant", "content": None, "tool_calls": [call]},
            "finish_reason": "tool_calls",
        }

    @staticmethod
    def anthropic_text(text: str) -> dict[str, Any]:
        return {"content": [{"type": "text", "text": text}], "stop_reason": "end_turn"}

    @staticmethod
    def anthropic_tool_use(name: str, arguments: dict[str, Any], text: str = "") -> dict[str, Any]:
        blocks: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
        blocks.append(
            {"type": "tool_use", "id": f"toolu_{next(_ids):04d}", "name": name, "input": arguments}
        )
        return {"content": blocks, "stop_reason": "tool_use"}

    # -- serving ------------------------------------------------------------------------

    def _next(self, replies: list[dict[str, Any]], default: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return replies.pop(0) if replies else default

    def _serve(self, request: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append({"path": request.path, "body": body})
        if request.path.endswith("/chat/completions"):
            auth = request.headers.get("authorization", "")
            key = auth.removeprefix("Bearer ").strip()
            if not self._authorized(request, key, _openai_401):
                return
            reply = self._next(self.openai_replies, self.openai_text(REPLY))
            if body.get("stream"):
                _send_sse(request, _openai_chunks(body, reply))
            else:
                _send_json(request, 200, _openai_completion(body, reply))
        elif request.path.endswith("/messages"):
            bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            key = request.headers.get("x-api-key") or bearer  # anthropic 2.x sends either
            if not self._authorized(request, key, _anthropic_401):
                return
            reply = self._next(self.anthropic_replies, self.anthropic_text(REPLY))
            if body.get("stream"):
                _send_sse(request, _anthropic_events(body, reply), named=True)
            else:
                _send_json(request, 200, _anthropic_message(body, reply))
        else:
            _send_json(request, 404, {"error": {"message": f"no route {request.path}"}})

    def _authorized(self, request: BaseHTTPRequestHandler, key: str, unauthorized: Any) -> bool:
        if key in self.rejected_keys:
            _send_json(request, 401, unauthorized(key))
            return False
        if key in self.forbidden_keys:
            message = f"API key {key} is not allowed to use this model"
            _send_json(request, 403, {"error": {"message": message, "type": "permission_error"}})
            return False
        return True


def _openai_401(key: str) -> dict[str, Any]:
    return {
        "error": {
            "message": f"Incorrect API key provided: {key}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_api_key",
        }
    }


def _anthropic_401(key: str) -> dict[str, Any]:
    return {
        "type": "error",
        "error": {"type": "authentication_error", "message": f"invalid x-api-key {key}"},
    }


def _usage_openai() -> dict[str, Any]:
    return {
        "prompt_tokens": INPUT_TOKENS,
        "completion_tokens": OUTPUT_TOKENS,
        "total_tokens": INPUT_TOKENS + OUTPUT_TOKENS,
    }


def _pieces(text: str) -> list[str]:
    """``text`` in streamed pieces that join back to it."""
    words = text.split(" ")
    return [word + " " for word in words[:-1]] + words[-1:]


def _openai_completion(body: dict[str, Any], reply: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{next(_ids)}",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": f"{body.get('model', 'gpt-4o-mini')}-2024-07-18",
        "choices": [{"index": 0, "logprobs": None, **reply}],
        "usage": _usage_openai(),
    }


def _openai_chunks(body: dict[str, Any], reply: dict[str, Any]) -> list[dict[str, Any]]:
    base = {
        "id": f"chatcmpl-{next(_ids)}",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": f"{body.get('model', 'gpt-4o-mini')}-2024-07-18",
    }
    message = reply["message"]
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    if message.get("content"):
        deltas += [{"content": piece} for piece in _pieces(message["content"])]
    for index, call in enumerate(message.get("tool_calls") or []):
        deltas.append({"tool_calls": [{"index": index, **call}]})
    chunks = [
        {**base, "choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas
    ]
    chunks.append(
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": reply["finish_reason"]}]}
    )
    if (body.get("stream_options") or {}).get("include_usage"):
        chunks.append({**base, "choices": [], "usage": _usage_openai()})
    return chunks


def _anthropic_message(body: dict[str, Any], reply: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"msg_{next(_ids):04d}",
        "type": "message",
        "role": "assistant",
        "model": body.get("model", "claude-3-5-haiku-latest"),
        "content": reply["content"],
        "stop_reason": reply["stop_reason"],
        "stop_sequence": None,
        "usage": {"input_tokens": INPUT_TOKENS, "output_tokens": OUTPUT_TOKENS},
    }


def _anthropic_events(body: dict[str, Any], reply: dict[str, Any]) -> list[dict[str, Any]]:
    message = _anthropic_message(body, reply)
    events: list[dict[str, Any]] = [
        {
            "type": "message_start",
            "message": {
                **message,
                "content": [],
                "stop_reason": None,
                "usage": {"input_tokens": INPUT_TOKENS, "output_tokens": 1},
            },
        }
    ]
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            events.append(
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {"type": "text", "text": ""},
                }
            )
            events.append(
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "text_delta", "text": block["text"]},
                }
            )
        else:
            start = {**block, "input": {}}
            events.append({"type": "content_block_start", "index": index, "content_block": start})
            partial = json.dumps(block["input"])
            events.append(
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "input_json_delta", "partial_json": partial},
                }
            )
        events.append({"type": "content_block_stop", "index": index})
    events.append(
        {
            "type": "message_delta",
            "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
            # Cumulative, as the API sends it today (langchain-anthropic reads it here).
            "usage": message["usage"],
        }
    )
    events.append({"type": "message_stop"})
    return events


def _send_json(request: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
    data = json.dumps(payload).encode()
    request.send_response(status)
    request.send_header("content-type", "application/json")
    request.send_header("content-length", str(len(data)))
    request.end_headers()
    request.wfile.write(data)


def _send_sse(
    request: BaseHTTPRequestHandler, events: list[dict[str, Any]], *, named: bool = False
) -> None:
    request.send_response(200)
    request.send_header("content-type", "text/event-stream")
    request.send_header("cache-control", "no-cache")
    request.end_headers()
    for event in events:
        prefix = f"event: {event['type']}\n" if named else ""
        request.wfile.write(f"{prefix}data: {json.dumps(event)}\n\n".encode())
    if not named:
        request.wfile.write(b"data: [DONE]\n\n")
    request.wfile.flush()
    request.close_connection = True
