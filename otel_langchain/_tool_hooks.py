"""Hooks for tools and retrievers: ``execute_tool`` and ``retrieval`` spans."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from opentelemetry.trace import SpanKind

from otel_langchain import _attributes as attributes
from otel_langchain import _semconv as sc
from otel_langchain._content import safe_str
from otel_langchain._hook_base import HookBase, reject_run_id
from otel_langchain._safety import guarded
from otel_langchain._secrets import learn_from_mapping


class ToolHooks(HookBase):
    """``on_tool_*`` / ``on_retriever_*`` (their errors go through ``on_chain_error``)."""

    @guarded
    def on_tool_start(
        self,
        serialized: dict[str, Any] | None,
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Start an ``execute_tool {name}`` span."""
        if not isinstance(run_id, UUID):
            reject_run_id(run_id)
            return
        name = attributes.run_name(serialized, kwargs, "tool")
        attrs = attributes.common(run_id, "tool", name, tags, metadata, self._user_ids)
        attrs[sc.GEN_AI_OPERATION_NAME] = sc.OP_EXECUTE_TOOL
        attrs[sc.GEN_AI_TOOL_NAME] = name
        attrs[sc.GEN_AI_TOOL_TYPE] = "function"
        call_id = kwargs.get("tool_call_id")
        if isinstance(call_id, str) and call_id:
            attrs[sc.GEN_AI_TOOL_CALL_ID] = call_id
        if isinstance(serialized, Mapping):
            description = serialized.get("description")
            if isinstance(description, str) and description:
                attrs[sc.GEN_AI_TOOL_DESCRIPTION] = description[:1024]
        if inputs:  # a credential argument is masked wherever it is echoed (result, errors)
            learn_from_mapping(inputs)
        if self._content.enabled:
            attrs[sc.GEN_AI_TOOL_CALL_ARGUMENTS] = self._content.json(
                inputs if inputs is not None else input_str
            )
        self._start(
            run_id,
            parent_run_id,
            f"{sc.OP_EXECUTE_TOOL} {name}",
            SpanKind.INTERNAL,
            "tool",
            name,
            attrs,
            tags,
        )

    @guarded
    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """End a tool span."""
        state = self._runs.pop(run_id)
        if state is not None:
            extra = None
            if self._content.enabled:
                content = getattr(output, "content", output)
                extra = {sc.GEN_AI_TOOL_CALL_RESULT: self._content.json(content)}
            self._finisher.close(state, None, extra)

    @guarded
    def on_retriever_start(
        self,
        serialized: dict[str, Any] | None,
        query: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Start a ``retrieval {name}`` span."""
        if not isinstance(run_id, UUID):
            reject_run_id(run_id)
            return
        name = attributes.run_name(serialized, kwargs, "retriever")
        attrs = attributes.common(run_id, "retriever", name, tags, metadata, self._user_ids)
        attrs[sc.GEN_AI_OPERATION_NAME] = sc.OP_RETRIEVAL
        if self._content.enabled:
            attrs[sc.GEN_AI_RETRIEVAL_QUERY_TEXT] = self._content.text(safe_str(query))
        self._start(
            run_id,
            parent_run_id,
            f"{sc.OP_RETRIEVAL} {name}",
            SpanKind.INTERNAL,
            "retriever",
            name,
            attrs,
        )

    @guarded
    def on_retriever_end(self, documents: Sequence[Any], *, run_id: UUID, **kwargs: Any) -> None:
        """End a retriever span (documents recorded only with content capture)."""
        state = self._runs.pop(run_id)
        if state is not None:
            extra: dict[str, Any] = {}
            if isinstance(documents, Sequence):
                extra[sc.LANGCHAIN_RETRIEVAL_DOCUMENT_COUNT] = len(documents)
                if self._content.enabled:
                    extra[sc.GEN_AI_RETRIEVAL_DOCUMENTS] = self._content.json(
                        [
                            {
                                "id": getattr(d, "id", None),
                                "content": getattr(d, "page_content", safe_str(d)),
                            }
                            for d in documents
                        ]
                    )
            self._finisher.close(state, None, extra)
