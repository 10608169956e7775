"""Retriever runs: ``retrieval {name}`` spans, the document count, (content) query and documents."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from opentelemetry.trace import SpanKind

from otel_langchain import _attributes as attributes
from otel_langchain import _semconv as sc
from otel_langchain._content import safe_str
from otel_langchain.runs._base import Run, Tracing

_INTERNAL = SpanKind.INTERNAL  # an enum member read once (3.11: 1 k instructions a read)


class RetrieverRun(Run):
    """A retrieval; its documents are counted, and recorded with content capture."""

    __slots__ = ()

    def __init__(
        self,
        tracing: Tracing,
        run_id: UUID,
        parent_run_id: UUID | None,
        *,
        serialized: dict[str, Any] | None,
        query: str,
        tags: list[str] | None,
        metadata: dict[str, Any] | None,
        name: str | None,
    ) -> None:
        if type(name) is not str or not name:  # LangChain names nearly every run: no call then
            name = attributes.run_name(serialized, name, "retriever")
        attrs = attributes.common(run_id, "retriever", name, tags, metadata, tracing.user_ids)
        attrs[sc.GEN_AI_OPERATION_NAME] = sc.OP_RETRIEVAL
        Run.__init__(
            self,
            tracing,
            run_id,
            parent_run_id,
            span_name=f"{sc.OP_RETRIEVAL} {name}",
            kind=_INTERNAL,
            run_type="retriever",
            name=name,
            attrs=attrs,
            tags=tags,
            metadata=metadata,
            inputs=query,
        )

    def input_content(self, attrs: dict[str, Any], inputs: Any) -> None:
        """``gen_ai.retrieval.query.text``."""
        attrs[sc.GEN_AI_RETRIEVAL_QUERY_TEXT] = self.tracing.content.text(safe_str(inputs))

    def end_attributes(self, outputs: Any) -> dict[str, Any] | None:
        """``langchain.retrieval.documents.count``; the documents with content capture."""
        if not isinstance(outputs, Sequence):
            return None
        attrs: dict[str, Any] = {sc.LANGCHAIN_RETRIEVAL_DOCUMENT_COUNT: len(outputs)}
        if self.capture.on:
            documents = [{"id": getattr(d, "id", None), "content": _content(d)} for d in outputs]
            attrs[sc.GEN_AI_RETRIEVAL_DOCUMENTS] = self.tracing.content.json(documents)
        return attrs


def _content(document: Any) -> Any:
    """A document's ``page_content``; the whole object as text only when it has none."""
    content = getattr(document, "page_content", None)
    return safe_str(document) if content is None else content
