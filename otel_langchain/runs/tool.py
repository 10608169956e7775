"""Tool runs: ``execute_tool {name}`` spans: call id, description, (content) arguments, result.

A tool run for a call id links to the chat span that asked for it (``tool_call``),
and is remembered for the chat run that reads its result (``_links``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from opentelemetry.trace import Link, SpanKind

from otel_langchain import _attributes as attributes
from otel_langchain import _record as record
from otel_langchain import _semconv as sc
from otel_langchain._links import ToolCalls
from otel_langchain._secrets import learn_from_mapping
from otel_langchain.runs._base import Run, Tracing

_INTERNAL = SpanKind.INTERNAL  # an enum member read once (3.11: 1 k instructions a read)


class ToolRun(Run):
    """A tool call; its result is recorded with content capture."""

    __slots__ = ("call_id",)

    def __init__(
        self,
        tracing: Tracing,
        run_id: UUID,
        parent_run_id: UUID | None,
        *,
        serialized: dict[str, Any] | None,
        input_str: str,
        inputs: dict[str, Any] | None,
        tags: list[str] | None,
        metadata: dict[str, Any] | None,
        name: str | None,
        call_id: Any,
    ) -> None:
        if type(name) is not str or not name:  # LangChain names nearly every run: no call then
            name = attributes.run_name(serialized, name, "tool")
        attrs = attributes.common(run_id, "tool", name, tags, metadata, tracing.user_ids)
        attrs[sc.GEN_AI_OPERATION_NAME] = sc.OP_EXECUTE_TOOL
        attrs[sc.GEN_AI_TOOL_NAME] = name
        attrs[sc.GEN_AI_TOOL_TYPE] = "function"
        if isinstance(call_id, str) and call_id:
            attrs[sc.GEN_AI_TOOL_CALL_ID] = call_id
        else:
            call_id = None
        #: The tool call this run answers (from LangChain, an agent, or its result).
        self.call_id: str | None = call_id
        if type(serialized) is dict or isinstance(serialized, Mapping):
            description = serialized.get("description")
            if isinstance(description, str) and description:
                attrs[sc.GEN_AI_TOOL_DESCRIPTION] = description[:1024]
        if inputs:  # a credential argument is masked wherever it is echoed (result, errors)
            learn_from_mapping(inputs)
        Run.__init__(
            self,
            tracing,
            run_id,
            parent_run_id,
            span_name=f"{sc.OP_EXECUTE_TOOL} {name}",
            kind=_INTERNAL,
            run_type="tool",
            name=name,
            attrs=attrs,
            tags=tags,
            metadata=metadata,
            inputs=inputs if inputs is not None else input_str,
        )
        calls = self.owner.tool_calls
        if calls is not None and self.call_id is not None:
            calls.ran(self.call_id, self.span.get_span_context())
        capture = tracing.capture
        if capture.maybe and not self.capture.on:
            # Its result goes on as a tool message: withheld there too. Older
            # langchain-core (0.3) passes no call id here, only with the result.
            capture.withhold(self.call_id)

    def input_content(self, attrs: dict[str, Any], inputs: Any) -> None:
        """``gen_ai.tool.call.arguments``."""
        attrs[sc.GEN_AI_TOOL_CALL_ARGUMENTS] = self.tracing.content.json(inputs)

    def start_links(
        self, calls: ToolCalls, attrs: dict[str, Any], inputs: Any
    ) -> list[Link] | None:
        """The ``tool_call`` link to the chat span that asked for this call.

        Without a call id from LangChain, the one ``AgentExecutor`` announced in
        ``on_agent_action`` for the next run of this tool.
        """
        call_id = self.call_id
        if call_id is None:
            call_id = calls.claim_announced(self.name)
            if call_id is None:
                return None
            self.call_id = attrs[sc.GEN_AI_TOOL_CALL_ID] = call_id
        link = calls.tool_started(call_id)
        return None if link is None else [link]

    def _link(self, calls: ToolCalls, call_id: str) -> None:
        """Link to the asking chat span; be the span the result's reader links to."""
        self.call_id = call_id
        link = calls.tool_started(call_id)
        if link is not None:
            record.add_links(self.span, [link])
        calls.ran(call_id, self.span.get_span_context())

    def finish(self, outputs: Any) -> None:
        """Where ``on_tool_start`` gets no call id (langchain-core 0.3), the result names it."""
        try:
            if self.call_id is None:
                call_id = getattr(outputs, "tool_call_id", None)
                calls = self.owner.tool_calls
                if isinstance(call_id, str) and call_id and calls is not None:
                    record.set_attribute(self.span, sc.GEN_AI_TOOL_CALL_ID, call_id)
                    self._link(calls, call_id)
        finally:
            Run.finish(self, outputs)

    def end_attributes(self, outputs: Any) -> dict[str, Any] | None:
        """``gen_ai.tool.call.result`` with content capture (a ``ToolMessage``'s content)."""
        if self.capture.on:
            result = getattr(outputs, "content", outputs)
            return {sc.GEN_AI_TOOL_CALL_RESULT: self.tracing.content.json(result)}
        capture = self.tracing.capture
        if capture.maybe:
            capture.withhold(getattr(outputs, "tool_call_id", None))
        return None
