"""Less noise: the chain, prompt and parser runs that get no span (``skip=``).

A skipped run records nothing of its own; its child runs become children of its
nearest kept ancestor, and the code inside it sees that ancestor's span as
current. Model, tool and retriever runs are always kept: their spans carry the
GenAI telemetry. A run with no traced parent is always kept too, so every trace
keeps its root.

Entries (a list, or one string of comma-separated entries):

- a run type: ``chain``, ``prompt``, ``parser``;
- the preset ``langgraph``: LangGraph's own plumbing inside a graph (see
  ``_langgraph_internal``);
- anything else: a run name, where ``*``, ``?`` and ``[...]`` match as in
  ``fnmatch`` (case-sensitive: ``LangGraph`` is a run name, ``langgraph`` the preset).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from fnmatch import translate
from typing import Any

logger = logging.getLogger(__name__)

SKIP_ENV = "OTEL_LANGCHAIN_SKIP"
SKIPPABLE_TYPES = frozenset({"chain", "prompt", "parser"})
KEPT_TYPES = frozenset({"llm", "chat_model", "tool", "retriever", "embedding"})
PRESET_LANGGRAPH = "langgraph"
_GLOB = re.compile(r"[*?\[]")

# LangSmith hides runs with this tag; LangGraph puts it on its own plumbing
# (the __start__ step, channel writes) in the releases that trace them.
_HIDDEN_TAG = "langsmith:hidden"
# Names of LangGraph's plumbing and of the prebuilt ReAct agent's glue, as LangGraph
# 0.2 through 1.x report them to callbacks (always inside a node, never a node's own run).
_LANGGRAPH_NAMES = frozenset(
    {
        "RunnableSequence",  # an unnamed `a | b` (the prebuilt agent's prompt | model)
        "call_model",  # create_react_agent's model step
        "Prompt",  # create_react_agent's prompt (langgraph 1.x)
        "StateModifier",  # create_react_agent's prompt (langgraph 0.2)
        "should_continue",  # create_react_agent's routing
        "tools_condition",  # langgraph.prebuilt's routing helper
    }
)
_LANGGRAPH_PREFIXES = ("ChannelWrite<", "ChannelRead<")


def _langgraph_internal(name: str, tags: Sequence[Any] | None, metadata: Mapping[str, Any]) -> bool:
    """A run inside a LangGraph node that is LangGraph's plumbing, not the node or user code."""
    node = metadata.get("langgraph_node")
    if node is None:
        return False
    if tags and _HIDDEN_TAG in tags:
        return True
    if name == node:  # the node's own run
        return False
    return name in _LANGGRAPH_NAMES or name.startswith(_LANGGRAPH_PREFIXES)


class SkipRules:
    """Decides, per chain / prompt / parser run, whether it gets a span."""

    __slots__ = ("_langgraph", "_names", "_pattern", "_types", "entries")

    def __init__(self, entries: tuple[str, ...]) -> None:
        #: The normalized entries, in the order given (for repr and docs).
        self.entries = entries
        self._types = frozenset(e for e in entries if e in SKIPPABLE_TYPES)
        self._langgraph = PRESET_LANGGRAPH in entries
        names = [e for e in entries if e not in SKIPPABLE_TYPES and e != PRESET_LANGGRAPH]
        self._names = frozenset(n for n in names if not _GLOB.search(n))
        globs = [translate(n) for n in names if _GLOB.search(n)]
        self._pattern = re.compile("|".join(globs)) if globs else None

    def __repr__(self) -> str:
        return f"SkipRules({list(self.entries)!r})"

    def matches(
        self,
        run_type: str,
        name: str,
        tags: Sequence[Any] | None,
        metadata: Mapping[str, Any] | None,
    ) -> bool:
        """Whether a chain, prompt or parser run matches (roots are the caller's to keep)."""
        if run_type in self._types or name in self._names:
            return True
        if self._pattern is not None and self._pattern.match(name):
            return True
        if self._langgraph and metadata:
            return _langgraph_internal(name, tags, metadata)
        return False


def _entries(value: object, source: str) -> list[str]:
    """Split and check; ``source`` names the setting in errors."""
    if isinstance(value, str):
        items: Iterable[object] = value.split(",")
        from_string = True
    elif isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        items = list(value)
        from_string = False
    else:
        raise ValueError(
            f"{source} must be a string or a list of strings, got {type(value).__name__}"
        )
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"{source} entries must be strings, got {item!r}")
        entry = item.strip()
        if not entry:
            if from_string:  # "prompt, parser," is fine
                continue
            raise ValueError(f"{source} entries must not be empty, got {item!r}")
        if entry in KEPT_TYPES:
            raise ValueError(
                f"{source}: {entry!r} runs cannot be skipped (model, tool and retriever "
                f"spans carry the GenAI telemetry); skippable run types are "
                f"{', '.join(sorted(SKIPPABLE_TYPES))}"
            )
        if entry not in out:
            out.append(entry)
    return out


def skip_rules(explicit: object) -> SkipRules | None:
    """The explicit ``skip`` argument, else ``OTEL_LANGCHAIN_SKIP``; None when nothing is skipped.

    A bad argument raises ``ValueError`` naming ``skip``; a bad environment value
    is logged once and nothing is skipped.
    """
    if explicit is not None:
        entries = _entries(explicit, "skip")
    else:
        raw = os.environ.get(SKIP_ENV)
        if raw is None:
            return None
        try:
            entries = _entries(raw, SKIP_ENV)
        except ValueError as exc:
            logger.warning("%s; nothing is skipped", exc)
            return None
    return SkipRules(tuple(entries)) if entries else None
