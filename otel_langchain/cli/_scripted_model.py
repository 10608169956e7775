"""A chat model that replies from a script and reports usage exactly like ``ChatOpenAI``.

It lets the demo run offline while the telemetry looks like a real provider's:
``usage_metadata`` (with cached input tokens), ``response_metadata`` with the
dated response model, ``finish_reason`` and a ``chatcmpl-`` id, LangSmith
params naming the provider, and streamed chunks with usage on the last one.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool

_FALLBACK = AIMessage(content="Sorry, I don't have an answer for that yet.")


def _text(message: BaseMessage) -> str:
    content = message.content
    return content if isinstance(content, str) else json.dumps(content)


def _tokens(text: str) -> int:
    """A rough tokenizer: about four characters per token, as for English text."""
    return max(1, (len(text) + 3) // 4)


class ScriptedChatModel(BaseChatModel):
    """Replies from ``script``: the user's question -> the replies for that turn, in order."""

    model_name: str = "gpt-4o-mini"
    response_model: str = "gpt-4o-mini-2024-07-18"
    temperature: float = 0.2
    script: dict[str, list[AIMessage]] = {}
    latency_s: float = 0.04
    chunk_delay_s: float = 0.004

    @property
    def _llm_type(self) -> str:
        return "openai-chat"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "temperature": self.temperature}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="openai",
            ls_model_name=self.model_name,
            ls_model_type="chat",
            ls_temperature=self.temperature,
        )
        if stop:
            params["ls_stop"] = stop
        return params

    def bind_tools(
        self, tools: Sequence[Any], **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools as OpenAI function schemas (they count towards input tokens)."""
        return self.bind(tools=[convert_to_openai_tool(tool) for tool in tools], **kwargs)

    def _reply(self, messages: list[BaseMessage]) -> AIMessage:
        """The scripted reply for the current turn of the conversation."""
        last_human = max(
            (i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1
        )
        if last_human < 0:
            return _FALLBACK
        replies = self.script.get(_text(messages[last_human]).strip(), [])
        step = sum(1 for m in messages[last_human:] if isinstance(m, AIMessage))
        return replies[step] if step < len(replies) else _FALLBACK

    def _usage(self, messages: list[BaseMessage], reply: AIMessage, **kwargs: Any) -> UsageMetadata:
        prompt = sum(_tokens(_text(m)) + 4 for m in messages) + 3
        prompt += sum(_tokens(json.dumps(tool)) for tool in kwargs.get("tools", []))
        output = _tokens(_text(reply)) + sum(
            _tokens(json.dumps(call["args"])) + 8 for call in reply.tool_calls
        )
        # Like OpenAI's prompt caching: the prefix seen in an earlier turn is cached.
        seen_before = any(isinstance(m, AIMessage) for m in messages)
        cached = (prompt // 2 // 64) * 64 if seen_before else 0
        return UsageMetadata(
            input_tokens=prompt,
            output_tokens=output,
            total_tokens=prompt + output,
            input_token_details={"cache_read": cached},
            output_token_details={"reasoning": 0},
        )

    def _metadata(self, reply: AIMessage, response_id: str) -> dict[str, Any]:
        return {
            "model_name": self.response_model,
            "finish_reason": "tool_calls" if reply.tool_calls else "stop",
            "id": response_id,
            "system_fingerprint": "fp_demo",
            "service_tier": "default",
            "model_provider": "openai",
        }

    @staticmethod
    def _response_id(messages: list[BaseMessage]) -> str:
        digest = zlib.crc32("".join(_text(m) for m in messages).encode())
        return f"chatcmpl-demo{digest:08x}"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        time.sleep(self.latency_s)
        reply = self._reply(messages)
        response_id = self._response_id(messages)
        message = AIMessage(
            content=reply.content,
            tool_calls=reply.tool_calls,
            id=response_id,
            response_metadata=self._metadata(reply, response_id),
            usage_metadata=self._usage(messages, reply, **kwargs),
        )
        finish = message.response_metadata["finish_reason"]
        return ChatResult(
            generations=[
                ChatGeneration(message=message, generation_info={"finish_reason": finish})
            ],
            llm_output={"model_name": self.response_model, "id": response_id},
        )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        time.sleep(self.latency_s)
        reply = self._reply(messages)
        response_id = self._response_id(messages)
        for piece in _pieces(_text(reply)):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece, id=response_id))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk
            time.sleep(self.chunk_delay_s)
        if reply.tool_calls:
            calls = [
                tool_call_chunk(name=c["name"], args=json.dumps(c["args"]), id=c["id"], index=i)
                for i, c in enumerate(reply.tool_calls)
            ]
            yield ChatGenerationChunk(
                message=AIMessageChunk(content="", id=response_id, tool_call_chunks=calls)
            )
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                id=response_id,
                chunk_position="last",
                response_metadata=self._metadata(reply, response_id),
                usage_metadata=self._usage(messages, reply, **kwargs),
            )
        )


def _pieces(text: str) -> list[str]:
    """Word-sized chunks that join back into ``text``."""
    words = text.split(" ")
    return [w + " " for w in words[:-1]] + [words[-1]] if text else []
