"""Chain runs: sequences, prompts, parsers, lambdas, LangGraph nodes and agents.

A LangGraph graph's root run (or a legacy ``AgentExecutor``) is an agent
invocation: span ``invoke_agent {name}``. Other chain runs are named after the
run. ``langchain.run.duration`` is recorded for the chain runs worth a series of
their own: a root run, an agent, a LangGraph node; the inner steps of a chain
(prompts, parsers, lambdas, a node's inner runnables: often sub-millisecond, one
series per name) get none unless ``run_duration="all"``.

Agents and nodes also carry the usage rolled up from the model calls beneath them
(``_rollup``); a node links to the parallel nodes of the step before (``fan_in``),
and a graph run that resumes an interrupted thread to the interrupted run
(``resume``; see ``_links``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from opentelemetry.trace import SpanKind

from otel_langchain import _attributes as attributes
from otel_langchain import _record as record
from otel_langchain import _semconv as sc
from otel_langchain import checkpoints
from otel_langchain._content import safe_str
from otel_langchain._context import leave_run
from otel_langchain._links import Steps, ToolCalls, is_resume_input, resume_link
from otel_langchain._rollup import RunTotals
from otel_langchain.runs._base import Run, Tracing, is_one_of

# LangGraph's interrupt exceptions (``interrupt()``, ``NodeInterrupt``), by class name.
_INTERRUPTS = frozenset({"GraphInterrupt", "NodeInterrupt"})
_INTERNAL = SpanKind.INTERNAL  # an enum member read once (3.11: 1 k instructions a read)


class _Graph:
    """What an agent (or a root run with a ``thread_id``) keeps for links and resumes."""

    __slots__ = ("interrupted", "outer", "resume_pending", "resuming", "steps", "thread")

    def __init__(self, thread: str | None, resuming: bool) -> None:
        #: The root run's ``thread_id``, and whether its input continues the thread.
        self.thread = thread
        self.resuming = resuming
        #: A resume whose interrupted run is not known yet: looked up when a node starts.
        self.resume_pending = False
        #: The owner run above this agent, which an interrupt of this one interrupts too.
        self.outer: Run | None = None
        #: The node runs of this graph run's steps (made when its first node starts).
        self.steps: Steps | None = None
        #: A run beneath ended in a LangGraph interrupt.
        self.interrupted = False


class ChainRun(Run):
    """A chain, prompt, parser or graph-node run, or an agent invocation."""

    __slots__ = ("agent", "graph", "maybe_graph", "node", "totals")

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
        name: str | None,
        run_type: str | None,
    ) -> None:
        run_type = run_type or "chain"
        if type(name) is not str or not name:  # LangChain names nearly every run: no call then
            name = attributes.run_name(serialized, name, run_type)
        attrs = attributes.common(run_id, run_type, name, tags, metadata, tracing.user_ids)
        span_name = name
        agent = False
        if run_type == "chain" and (metadata or name in attributes.AGENT_NAMES):  # most: no call
            agent = attributes.is_agent(name, metadata)
            if agent:
                span_name, agent_attrs = attributes.agent(name)
                attrs.update(agent_attrs)
        self.agent = agent
        node = attrs.get(sc.LANGGRAPH_NODE)  # a string when set
        #: A LangGraph node's own run (not one of the runnables inside it, nor
        #: LangGraph's own ``__start__`` node, which LangGraph before 1.0 traces).
        self.node = is_node = node == name and not name.startswith("__")
        # LangGraph before 1.1 marks a named graph's root run in no way: a chain run
        # outside any node becomes an agent when a node run starts under it.
        self.maybe_graph = node is None and not agent and run_type == "chain"
        Run.__init__(
            self,
            tracing,
            run_id,
            parent_run_id,
            span_name=span_name,
            kind=_INTERNAL,
            run_type=run_type,
            name=name,
            attrs=attrs,
            tags=tags,
            metadata=metadata,
            inputs=inputs,
        )
        #: Usage of the model calls beneath (agents and nodes only).
        self.totals: RunTotals | None = None
        #: Links and resumes of an agent, or of a root run with a ``thread_id``.
        self.graph: _Graph | None = None
        if self.root and metadata:
            thread = attributes.identifier(metadata, ("thread_id",))
            if thread is not None:
                self.graph = _Graph(thread, is_resume_input(inputs))
        if agent:
            self._became_agent()
        if is_node:
            self._node_started(parent_run_id, metadata)

    def _became_agent(self) -> None:
        """Own the tool calls and usage beneath; a resume links to the interrupted run."""
        graph = self.graph
        if graph is None:
            graph = self.graph = _Graph(None, False)
        if self.owner is not self:
            graph.outer = self.owner
            self.owner = self
        self.totals = RunTotals()
        self.rollup = (*self.rollup, self.totals)
        if graph.resuming and graph.thread is not None:
            record.set_attribute(self.span, sc.LANGGRAPH_RESUMED, True)
            found = self.tracing.interrupts.resumed(graph.thread)
            if found is None:  # maybe in the checkpoint LangGraph is about to load
                graph.resume_pending = True
            else:
                record.add_links(self.span, [resume_link(graph.thread, *found)])

    def _node_started(self, parent_run_id: UUID | None, metadata: dict[str, Any] | None) -> None:
        """A LangGraph node: its own totals; ``fan_in`` links after a parallel step."""
        self.totals = RunTotals()
        self.rollup = (*self.rollup, self.totals)
        parent = self.tracing.runs.get(parent_run_id)
        graph = parent.graph if isinstance(parent, ChainRun) else None
        if parent is None or graph is None:
            return
        if graph.resume_pending and graph.thread is not None:  # the checkpoint is loaded now
            graph.resume_pending = False
            found = checkpoints.loaded_run(graph.thread)
            if found is not None:
                record.add_links(parent.span, [resume_link(graph.thread, *found)])
        step = metadata.get("langgraph_step") if metadata else None
        if not isinstance(step, int) or isinstance(step, bool):
            return
        steps = graph.steps
        if steps is None:
            steps = graph.steps = Steps()
        links = steps.node_started(step)
        if links:
            record.add_links(self.span, links)
        steps.add(step, self.span.get_span_context(), self.name)

    def input_content(self, attrs: dict[str, Any], inputs: Any) -> None:
        """``langchain.chain.inputs``."""
        tracing = self.tracing
        attrs[sc.LANGCHAIN_CHAIN_INPUTS] = tracing.content.json(inputs, tracing.capture.withheld)

    def node_run_started(self) -> None:
        """A graph's root run becomes an agent when its first node starts."""
        if self.maybe_graph:
            self.maybe_graph = False
            self.agent = True
            span_name, agent_attrs = attributes.agent(self.name)
            record.rename(self.span, span_name)
            record.set_attributes(self.span, agent_attrs)
            self._became_agent()

    def finish(self, outputs: Any) -> None:
        """An inner step of a chain with content off records nothing at its end: it just ends.

        (Most chain runs: prompts, parsers, lambdas; the general path costs five calls more.)
        """
        if (
            self.totals is None
            and not self.root
            and not self.capture.on
            and not self.tracing.all_durations
        ):
            leave_run(self.ctx, self.previous, self.token)
            self.span.end()
        else:
            Run.finish(self, outputs)

    def fail(self, error: BaseException) -> None:
        """An interrupt interrupts the agent run above (and this one, if an agent)."""
        try:
            if is_one_of(error, _INTERRUPTS):
                above: Run | None = self.owner
                if above is self and self.graph is not None:
                    self.graph.interrupted = True
                    above = self.graph.outer
                if isinstance(above, ChainRun) and above.graph is not None:
                    above.graph.interrupted = True
        finally:
            Run.fail(self, error)

    def close(self, error_type: str | None) -> None:
        """Rolled-up usage on agents and nodes; an interrupted graph run is remembered."""
        try:
            if self.totals is not None:
                self._end_totals(self.totals)
        finally:
            Run.close(self, error_type)

    def _end_totals(self, run_totals: RunTotals) -> None:
        totals = run_totals.attributes()
        if totals:
            record.set_attributes(self.span, totals)
        graph = self.graph
        if graph is not None and graph.interrupted and self.agent:
            record.set_attribute(self.span, sc.LANGGRAPH_INTERRUPTED, True)
            if self.root and graph.thread is not None:
                context = self.span.get_span_context()
                self.tracing.interrupts.interrupted(graph.thread, context, None)

    def timed(self) -> bool:
        """A root run, an agent or a graph node; not the inner steps of a chain."""
        return self.root or self.agent or self.node

    def end_attributes(self, outputs: Any) -> dict[str, Any] | None:
        """``langchain.chain.outputs`` with content capture."""
        if self.capture.on:
            tracing = self.tracing
            return {
                sc.LANGCHAIN_CHAIN_OUTPUTS: tracing.content.json(outputs, tracing.capture.withheld)
            }
        return None

    def agent_action(self, action: Any) -> None:
        """An agent's tool choice: a ``gen_ai.agent.action`` event.

        ``AgentExecutor`` names the tool call's id here, not when the tool starts:
        the next run of that tool takes it (its ``tool_call`` link).
        """
        call_id = getattr(action, "tool_call_id", None)
        tool = getattr(action, "tool", None)
        if isinstance(call_id, str) and call_id and isinstance(tool, str):
            owner = self.owner
            if owner.tool_calls is None:
                owner.tool_calls = ToolCalls()
            owner.tool_calls.announce(tool, call_id)
        attrs: dict[str, Any] = {sc.GEN_AI_TOOL_NAME: safe_str(getattr(action, "tool", ""))}
        if self.capture.on:
            attrs[sc.GEN_AI_TOOL_CALL_ARGUMENTS] = self.tracing.content.json(
                getattr(action, "tool_input", None)
            )
        record.add_event(self.span, sc.EVENT_AGENT_ACTION, attrs)

    def agent_finish(self, finish: Any) -> None:
        """An agent's final answer: a ``gen_ai.agent.finish`` event."""
        attrs: dict[str, Any] = {}
        if self.capture.on:
            attrs[sc.GEN_AI_OUTPUT_MESSAGES] = self.tracing.content.json(
                getattr(finish, "return_values", None), self.tracing.capture.withheld
            )
        record.add_event(self.span, sc.EVENT_AGENT_FINISH, attrs)
