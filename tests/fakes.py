"""Fake models that report usage, provider and model names exactly as real integrations do.

``FakeOpenAIChat`` mirrors langchain-openai's ``ChatOpenAI``: ``ls_provider="openai"``,
``usage_metadata`` on the ``AIMessage`` (on the last chunk when streaming),
``response_metadata`` with ``model_name``/``finish_reason``/``id`` and ``llm_output``
with ``token_usage``. ``FakeAnthropicChat`` mirrors langchain-anthropic's shape
(``model``, ``stop_reason``, cache creation tokens). ``FakeOpenAILLM`` is a text
completion model whose usage only arrives in ``llm_output["token_usage"]``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.chat_models import LangSmithParams
from langchain_core.language_models.llms import LLM
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable

_ids = itertools.count(1)


def _usage(
    inp: int, out: int, cache_read: int = 0, cache_creation: int = 0, reasoning: int = 0
) -> dict[str, Any]:
    usage: dict[str, Any] = {"input_tokens": inp, "output_tokens": out, "total_tokens": inp + out}
    details = {}
    if cache_read:
        details["cache_read"] = cache_read
    if cache_creation:
        details["cache_creation"] = cache_creation
    if details:
        usage["input_token_details"] = details
    if reasoning:
        usage["output_token_details"] = {"reasoning": reasoning}
    return usage


class FakeOpenAIChat(BaseChatModel):
    """A scripted chat model shaped like ``ChatOpenAI``."""

    model_name: str = "gpt-4o-mini"
    response_model: str = "gpt-4o-mini-2024-07-18"
    temperature: float | None = 0.2
    max_tokens: int | None = 256
    responses: list[Any] = ["Hello from the fake model."]
    input_tokens: int = 12
    output_tokens: int = 7
    cache_read: int = 0
    reasoning: int = 0
    report_usage: bool = True
    error: BaseException | None = None
    openai_api_key: str = "sk-test-SECRET-do-not-record"
    _cursor: int = 0

    @property
    def _llm_type(self) -> str:
        return "openai-chat"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "temperature": self.temperature}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="openai", ls_model_name=self.model_name, ls_model_type="chat"
        )
        if self.temperature is not None:
            params["ls_temperature"] = self.temperature
        if self.max_tokens is not None:
            params["ls_max_tokens"] = self.max_tokens
        if stop:
            params["ls_stop"] = stop
        return params

    def bind_tools(
        self, tools: Sequence[Any], **kwargs: Any
    ) -> Runnable[LanguageModelInput, BaseMessage]:
        return self.bind(tools=[getattr(t, "name", str(t)) for t in tools], **kwargs)

    def _next(self) -> AIMessage:
        if self.error is not None:
            raise self.error
        item = self.responses[self._cursor % len(self.responses)]
        self._cursor += 1
        return item if isinstance(item, AIMessage) else AIMessage(content=item)

    def _metadata(self, msg: AIMessage, rid: str) -> dict[str, Any]:
        finish = "tool_calls" if msg.tool_calls else "stop"
        return {
            "model_name": self.response_model,
            "finish_reason": finish,
            "id": rid,
            "system_fingerprint": "fp_test",
            "service_tier": "default",
        }

    def _token_usage(self) -> dict[str, Any]:
        usage: dict[str, Any] = {
            "prompt_tokens": self.input_tokens,
            "completion_tokens": self.output_tokens,
            "total_tokens": self.input_tokens + self.output_tokens,
        }
        if self.cache_read:
            usage["prompt_tokens_details"] = {"cached_tokens": self.cache_read}
        return usage

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        msg = self._next()
        rid = f"chatcmpl-{next(_ids)}"
        out = AIMessage(
            content=msg.content,
            tool_calls=msg.tool_calls,
            id=rid,
            response_metadata={**self._metadata(msg, rid), "token_usage": self._token_usage()},
            usage_metadata=_usage(
                self.input_tokens, self.output_tokens, self.cache_read, reasoning=self.reasoning
            )
            if self.report_usage
            else None,
        )
        gen = ChatGeneration(
            message=out, generation_info={"finish_reason": out.response_metadata["finish_reason"]}
        )
        llm_output = {"model_name": self.response_model, "system_fingerprint": "fp_test", "id": rid}
        if self.report_usage:
            llm_output["token_usage"] = self._token_usage()
        return ChatResult(generations=[gen], llm_output=llm_output)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        msg = self._next()
        rid = f"chatcmpl-{next(_ids)}"
        text = msg.content if isinstance(msg.content, str) else ""
        pieces = [p + " " for p in text.split(" ")] if text else []
        if pieces:
            pieces[-1] = pieces[-1][:-1]
        for piece in pieces:
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece, id=rid))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk
        if msg.tool_calls:
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    content="",
                    id=rid,
                    tool_call_chunks=[
                        {
                            "name": tc["name"],
                            "args": __import__("json").dumps(tc["args"]),
                            "id": tc["id"],
                            "index": i,
                        }
                        for i, tc in enumerate(msg.tool_calls)
                    ],
                )
            )
        last = AIMessageChunk(
            content="",
            id=rid,
            chunk_position="last",
            response_metadata=self._metadata(msg, rid),
            usage_metadata=_usage(
                self.input_tokens, self.output_tokens, self.cache_read, reasoning=self.reasoning
            )
            if self.report_usage
            else None,
        )
        yield ChatGenerationChunk(
            message=last, generation_info={"finish_reason": last.response_metadata["finish_reason"]}
        )


class FakeAnthropicChat(FakeOpenAIChat):
    """A scripted chat model shaped like ``ChatAnthropic`` (prompt caching included)."""

    model_name: str = "claude-sonnet-4-5"
    response_model: str = "claude-sonnet-4-5-20250929"
    cache_creation: int = 0
    anthropic_api_key: str = "sk-ant-SECRET-do-not-record"

    @property
    def _llm_type(self) -> str:
        return "anthropic-chat"

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "anthropic"
        return params

    def _metadata(self, msg: AIMessage, rid: str) -> dict[str, Any]:
        stop = "tool_use" if msg.tool_calls else "end_turn"
        return {
            "model": self.response_model,
            "model_name": self.response_model,
            "stop_reason": stop,
            "id": rid,
        }

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        msg = self._next()
        rid = f"msg_{next(_ids)}"
        total_in = self.input_tokens + self.cache_read + self.cache_creation
        out = AIMessage(
            content=msg.content,
            tool_calls=msg.tool_calls,
            id=rid,
            response_metadata={
                **self._metadata(msg, rid),
                "usage": {
                    "input_tokens": self.input_tokens,
                    "output_tokens": self.output_tokens,
                    "cache_read_input_tokens": self.cache_read,
                    "cache_creation_input_tokens": self.cache_creation,
                },
            },
            usage_metadata=_usage(
                total_in, self.output_tokens, self.cache_read, self.cache_creation
            ),
        )
        return ChatResult(
            generations=[ChatGeneration(message=out)],
            llm_output={"id": rid, "model": self.response_model},
        )


class FakeOpenAILLM(LLM):
    """A text completion model shaped like langchain-openai's ``OpenAI`` (usage in llm_output)."""

    model_name: str = "gpt-3.5-turbo-instruct"
    responses: list[str] = ["Once upon a time."]
    openai_api_key: str = "sk-test-SECRET-do-not-record"

    @property
    def _llm_type(self) -> str:
        return "openai"

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        return LangSmithParams(
            ls_provider="openai",
            ls_model_name=self.model_name,
            ls_model_type="llm",
            ls_temperature=0.7,
            ls_max_tokens=64,
        )

    def _call(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> str:
        return self.responses[0]

    def _generate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Any:
        result = super()._generate(prompts, stop=stop, run_manager=run_manager, **kwargs)
        result.llm_output = {
            "token_usage": {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9},
            "model_name": self.model_name,
        }
        return result
