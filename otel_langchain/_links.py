"""Span links between runs: tool calls and their results, LangGraph fan-in, interrupt -> resume.

What each link records (``langchain.link.type``):

- ``tool_call``: an ``execute_tool`` span links to the chat span whose response
  asked for that tool call (matched by ``gen_ai.tool.call.id``).
- ``tool_result``: the next chat span whose input messages carry those tool
  results links to the ``execute_tool`` spans that produced them.
- ``fan_in``: a LangGraph node run links to every node run of the step before
  when that step ran several nodes in parallel (``Send`` branches, parallel
  edges): the node started after, and on the state written by, all of them.
- ``resume``: a graph run that resumes an interrupted thread links to the graph
  run that ended in the interrupt (see ``Interrupts`` and ``checkpoints``).

The state behind them is bounded: tool call ids live in the agent run that
made them (``ToolCalls``, dropped with it), steps in their graph run.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from opentelemetry.trace import Link, SpanContext

from otel_langchain import _semconv as sc

#: Tool call ids remembered per agent run (the oldest go first past this).
MAX_TOOL_CALLS = 1024
#: Node runs of one step remembered for the next step's fan-in links (the SDK's
#: default limit on links per span is 128).
MAX_BRANCHES = 128


def _bounded_put(store: dict[str, Any], key: str, value: Any, limit: int) -> None:
    store[key] = value
    while len(store) > limit:
        try:
            del store[next(iter(store))]
        except (StopIteration, KeyError, RuntimeError):  # another thread got there first
            break


def _tool_result_ids(messages: Any) -> list[str]:
    """``tool_call_id`` of every tool message in a chat run's input (lists of messages).

    A list, not a generator: each step of one is a resume, once per message of the history.
    """
    found: list[str] = []
    for group in messages if isinstance(messages, list) else ():
        for message in group if isinstance(group, list) else ():
            if getattr(message, "type", None) == "tool":
                call_id = getattr(message, "tool_call_id", None)
                if isinstance(call_id, str) and call_id:
                    found.append(call_id)
    return found


def _link(context: SpanContext, link_type: str, call_id: str) -> Link:
    return Link(context, {sc.LANGCHAIN_LINK_TYPE: link_type, sc.GEN_AI_TOOL_CALL_ID: call_id})


class ToolCalls:
    """The tool calls of one agent run: which chat asked for each, which tool span ran it."""

    __slots__ = ("_announced", "_asked", "_ran")

    def __init__(self) -> None:
        self._asked: dict[str, SpanContext] = {}
        self._ran: dict[str, SpanContext] = {}
        # AgentExecutor names the call id in on_agent_action, not in on_tool_start.
        self._announced: list[tuple[str, str]] = []

    def asked(self, chat: SpanContext, call_ids: list[str]) -> None:
        """A chat response asked for these tool calls."""
        for call_id in call_ids:
            _bounded_put(self._asked, call_id, chat, MAX_TOOL_CALLS)

    def announce(self, tool_name: str, call_id: str) -> None:
        """An agent announced that it runs ``tool_name`` for ``call_id`` next."""
        self._announced.append((tool_name, call_id))
        del self._announced[:-MAX_TOOL_CALLS]

    def claim_announced(self, tool_name: str) -> str | None:
        """The call id announced for the next run of ``tool_name``, if any (taken)."""
        for i, (name, call_id) in enumerate(self._announced):
            if name == tool_name:
                del self._announced[i]
                return call_id
        return None

    def tool_started(self, call_id: str) -> Link | None:
        """The ``tool_call`` link of a tool run for ``call_id`` (None if no chat asked)."""
        chat = self._asked.get(call_id)
        return None if chat is None else _link(chat, sc.LINK_TOOL_CALL, call_id)

    def ran(self, call_id: str, tool: SpanContext) -> None:
        """A tool span ran ``call_id``: the chat that reads the result links to it."""
        _bounded_put(self._ran, call_id, tool, MAX_TOOL_CALLS)

    def results_read(self, messages: Any) -> list[Link]:
        """``tool_result`` links of a chat run whose input carries tool results.

        A result links from the first chat that reads it only: later turns carry
        the same messages in their history.
        """
        ran = self._ran
        if not ran:
            return []
        links = []
        for call_id in _tool_result_ids(messages):
            tool = ran.pop(call_id, None)
            if tool is not None:
                links.append(_link(tool, sc.LINK_TOOL_RESULT, call_id))
        return links


class Steps:
    """The node runs of a graph run's current and previous step, for ``fan_in`` links."""

    __slots__ = ("_current", "_lock", "_previous", "_step")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._step: int | None = None
        self._current: list[tuple[SpanContext, str]] = []
        self._previous: list[tuple[SpanContext, str]] = []

    def node_started(self, step: int) -> list[Link]:
        """The ``fan_in`` links of a node run starting in ``step``."""
        with self._lock:
            if step != self._step:
                consecutive = self._step is not None and step == self._step + 1
                self._previous = self._current if consecutive else []
                self._current = []
                self._step = step
            branches = self._previous
        if len(branches) < 2:
            return []
        return [
            Link(ctx, {sc.LANGCHAIN_LINK_TYPE: sc.LINK_FAN_IN, sc.LANGGRAPH_NODE: node})
            for ctx, node in branches
        ]

    def add(self, step: int, node: SpanContext, name: str) -> None:
        """Remember a node run of ``step`` (call after ``node_started``)."""
        with self._lock:
            if step == self._step and len(self._current) < MAX_BRANCHES:
                self._current.append((node, name))


class Interrupts:
    """Graph runs that ended in an interrupt, by thread id: the runs a resume links to.

    Bounded: past ``limit`` threads the oldest interrupt is forgotten.
    """

    __slots__ = ("_limit", "_lock", "_runs")

    def __init__(self, limit: int = 10_000) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._runs: OrderedDict[str, tuple[SpanContext, str | None]] = OrderedDict()

    def interrupted(self, thread_id: str, run: SpanContext, checkpoint_id: str | None) -> None:
        """A run of ``thread_id`` ended in an interrupt (at ``checkpoint_id`` when known)."""
        with self._lock:
            self._runs[thread_id] = (run, checkpoint_id)
            self._runs.move_to_end(thread_id)
            while len(self._runs) > self._limit:
                self._runs.popitem(last=False)

    def resumed(self, thread_id: str) -> tuple[SpanContext, str | None] | None:
        """Take the interrupted run a resume of ``thread_id`` continues, if known."""
        with self._lock:
            return self._runs.pop(thread_id, None)


def resume_link(thread_id: str, run: SpanContext, checkpoint_id: str | None) -> Link:
    """The ``resume`` link to an interrupted run of ``thread_id``."""
    attrs: dict[str, Any] = {
        sc.LANGCHAIN_LINK_TYPE: sc.LINK_RESUME,
        sc.GEN_AI_CONVERSATION_ID: thread_id,
    }
    if checkpoint_id:
        attrs[sc.LANGGRAPH_CHECKPOINT_ID] = checkpoint_id
    return Link(run, attrs)


def is_resume_input(inputs: Any) -> bool:
    """A graph run's input that continues a thread: ``None`` or ``Command(resume=...)``."""
    if inputs is None:
        return True
    return type(inputs).__name__ == "Command" and getattr(inputs, "resume", None) is not None
