"""Chain runs: sequences, prompts, parsers, lambdas, LangGraph nodes and agents.

A LangGraph graph's root run (or a legacy ``AgentExecutor``) is an agent
invocation: span ``invoke_agent {name}``. Other chain runs are named after the
run. ``langchain.run.duration`` is recorded for the chain runs worth a series of
their own: a root run, an agent, a LangGraph node; the inner steps of a chain
(prompts, parsers, lambdas, a node's inner runnables: often sub-millisecond, one
series per name) get none unless ``run_duration="all"``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from opentelemetry.trace import SpanKind

from otel_langchain import _attributes as attributes
from otel_langchain import _record as record
from otel_langchain import _semconv as sc
from otel_langchain._content import safe_str
from otel_langchain.runs._base import Run, Tracing, note_retry


class ChainRun(Run):
    """A chain, prompt, parser or graph-node run, or an agent invocation."""

    __slots__ = ("agent", "maybe_graph", "node")

    def __init__(
        self,
        tracing: Tracing,
        run_id: UUID,
        parent_run_id: UUID | None,
        *,
        serialized: dict[str, Any] | None,
        inputs: Any,
        tags: list[str] | None,
        metadata: dict[str, Any] | None,
        kwargs: dict[str, Any],
    ) -> None:
        run_type = kwargs.get("run_type") or "chain"
        name = attributes.run_name(serialized, kwargs, run_type)
        attrs = attributes.common(run_id, run_type, name, tags, metadata, tracing.user_ids)
        span_name = name
        self.agent = run_type == "chain" and attributes.is_agent(name, metadata)
        if self.agent:
            span_name, agent_attrs = attributes.agent(name)
            attrs.update(agent_attrs)
        #: A LangGraph node's own run (not one of the runnables inside it).
        self.node = attrs.get(sc.LANGGRAPH_NODE) == name
        # LangGraph before 1.1 marks a named graph's root run in no way: a chain run
        # outside any node becomes an agent when a node run starts under it.
        self.maybe_graph = not self.agent and run_type == "chain" and sc.LANGGRAPH_NODE not in attrs
        content = tracing.content
        if content.enabled:
            attrs[sc.LANGCHAIN_CHAIN_INPUTS] = content.json(inputs)
        super().__init__(
            tracing,
            run_id,
            parent_run_id,
            span_name=span_name,
            kind=SpanKind.INTERNAL,
            run_type=run_type,
            name=name,
            attrs=attrs,
            tags=tags,
        )

    def child_started(self, tags: list[str] | None, attrs: dict[str, Any]) -> None:
        """A retry is noted; a graph's root run becomes an agent when its first node starts."""
        if tags:
            note_retry(self, tags)
        if self.maybe_graph and sc.LANGGRAPH_NODE in attrs:
            self.maybe_graph = False
            self.agent = True
            span_name, agent_attrs = attributes.agent(self.name)
            record.rename(self.span, span_name)
            record.set_attributes(self.span, agent_attrs)

    def timed(self) -> bool:
        """A root run, an agent or a graph node; not the inner steps of a chain."""
        return self.root or self.agent or self.node

    def end_attributes(self, outputs: Any) -> dict[str, Any] | None:
        """``langchain.chain.outputs`` with content capture."""
        content = self.tracing.content
        if content.enabled:
            return {sc.LANGCHAIN_CHAIN_OUTPUTS: content.json(outputs)}
        return None

    def agent_action(self, action: Any) -> None:
        """An agent's tool choice: a ``gen_ai.agent.action`` event."""
        attrs: dict[str, Any] = {sc.GEN_AI_TOOL_NAME: safe_str(getattr(action, "tool", ""))}
        content = self.tracing.content
        if content.enabled:
            attrs[sc.GEN_AI_TOOL_CALL_ARGUMENTS] = content.json(getattr(action, "tool_input", None))
        record.add_event(self.span, sc.EVENT_AGENT_ACTION, attrs)

    def agent_finish(self, finish: Any) -> None:
        """An agent's final answer: a ``gen_ai.agent.finish`` event."""
        attrs: dict[str, Any] = {}
        content = self.tracing.content
        if content.enabled:
            attrs[sc.GEN_AI_OUTPUT_MESSAGES] = content.json(getattr(finish, "return_values", None))
        record.add_event(self.span, sc.EVENT_AGENT_FINISH, attrs)
