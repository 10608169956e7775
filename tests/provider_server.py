"""A local OpenAI- and Anthropic-compatible HTTP API on 127.0.0.1, for real provider clients.

``langchain-openai``'s ``ChatOpenAI`` and ``langchain-anthropic``'s ``ChatAnthropic``
(and the ``openai`` / ``anthropic`` SDKs under them) talk to it exactly as they
talk to the real APIs: ``POST /v1/chat/completions`` and ``POST /v1/messages``,
plain JSON or server-sent events when the request asks to stream. Every request
body is kept, so a test can assert what was (or was not) sent.

    with ProviderServer() as api:
        ChatOpenAI(base_url=api.openai_url, api_key="sk-test").invoke("hi")
        assert len(api.requests) == 1
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


def _words(text: str) -> list[str]:
    """``text`` in streamed pieces that join back to it."""
    words = text.split(" ")
    return [w + " " for w in words[:-1]] + words[-1:]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.requests.append((self.path, body))
        if self.path.endswith("/chat/completions"):
            self._openai(body)
        elif self.path.endswith("/messages"):
            self._anthropic(body)
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})

    # -- OpenAI -------------------------------------------------------------------

    def _openai(self, body: dict[str, Any]) -> None:
        rid = f"chatcmpl-local-{next(_ids)}"
        model = body.get("model", "gpt-4o-mini")
        usage = {
            "prompt_tokens": INPUT_TOKENS,
            "completion_tokens": OUTPUT_TOKENS,
            "total_tokens": INPUT_TOKENS + OUTPUT_TOKENS,
        }
        if not body.get("stream"):
            self._json(
                200,
                {
                    "id": rid,
                    "object": "chat.completion",
                    "created": 1,
                    "model": f"{model}-2024-07-18",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": REPLY},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                },
            )
            return
        base = {"id": rid, "object": "chat.completion.chunk", "created": 1, "model": model}
        events = [
            {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": word}}]}
            for word in _words(REPLY)
        ]
        events.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append({**base, "choices": [], "usage": usage})
        self._sse([(None, json.dumps(e)) for e in events] + [(None, "[DONE]")])

    # -- Anthropic ----------------------------------------------------------------

    def _anthropic(self, body: dict[str, Any]) -> None:
        rid = f"msg_local_{next(_ids)}"
        model = body.get("model", "claude-sonnet-4-5")
        usage = {"input_tokens": INPUT_TOKENS, "output_tokens": OUTPUT_TOKENS}
        message = {
            "id": rid,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": REPLY}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": usage,
        }
        if not body.get("stream"):
            self._json(200, message)
            return
        start = {
            **message,
            "content": [],
            "stop_reason": None,
            "usage": {**usage, "output_tokens": 1},
        }
        events = [
            ("message_start", {"type": "message_start", "message": start}),
            (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            ),
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": REPLY},
                },
            ),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    # Cumulative, as the API sends it today (langchain-anthropic reads it here).
                    "usage": usage,
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
        self._sse([(name, json.dumps(data)) for name, data in events])

    # -- wire ---------------------------------------------------------------------

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("request-id", "req_local")
        self.end_headers()
        self.wfile.write(data)

    def _sse(self, events: list[tuple[str | None, str]]) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        for name, data in events:
            chunk = (f"event: {name}\n" if name else "") + f"data: {data}\n\n"
            self.wfile.write(chunk.encode())
            self.wfile.flush()
        self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    requests: list[tuple[str, dict[str, Any]]]


class ProviderServer:
    """The local API, serving on a free port of 127.0.0.1 while the ``with`` block runs."""

    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.requests = []
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def requests(self) -> list[tuple[str, dict[str, Any]]]:
        """(path, JSON body) of every request received, in order."""
        return self._server.requests

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def openai_url(self) -> str:
        """The ``base_url`` for OpenAI clients (``.../v1``)."""
        return f"{self.url}/v1"

    @property
    def anthropic_url(self) -> str:
        """The ``base_url`` for Anthropic clients (the SDK appends ``/v1/messages``)."""
        return self.url

    def __enter__(self) -> ProviderServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
