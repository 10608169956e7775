"""``traced_checkpointer()``: carry the trace of a LangGraph run in its checkpoints.

A graph that resumes an interrupted thread in the same process links its span
to the interrupted run's span with no help. When another process (a second
worker, a restart) resumes it, the only thing both share is the checkpointer:
wrapped by ``traced_checkpointer``, it stamps each checkpoint's metadata with the
W3C ``traceparent`` of the run that wrote it (key ``otel_langchain.traceparent``),
and remembers the stamp of each thread's latest checkpoint it loads, so the
resuming run links to the run that wrote the checkpoint it resumed from.

Nothing else of the checkpoint changes, and every other method is the wrapped
saver's own.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanContext
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from otel_langchain._links import Interrupts

__all__ = ["traced_checkpointer"]

METADATA_KEY = "otel_langchain.traceparent"
_PROPAGATOR = TraceContextTextMapPropagator()
# The latest stamped checkpoint loaded per thread: the same bounded, take-once map
# as the interrupted runs a handler keeps in process.
_loaded = Interrupts(10_000)
_classes: dict[type, type] = {}  # one wrapper class per saver class


def loaded_run(thread_id: str) -> tuple[SpanContext, str | None] | None:
    """The run that wrote the latest checkpoint loaded for ``thread_id`` (taken), if stamped."""
    return _loaded.resumed(thread_id)


def _stamped(metadata: Any) -> Any:
    """``metadata`` with the current span's ``traceparent`` (unchanged if there is none)."""
    if not trace.get_current_span().get_span_context().is_valid or not isinstance(
        metadata, Mapping
    ):
        return metadata
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    value = carrier.get("traceparent")
    return {**metadata, METADATA_KEY: value} if value else metadata


def _remember(found: Any) -> None:
    """Note the stamp of a loaded root-graph checkpoint, by thread."""
    metadata = getattr(found, "metadata", None)
    config = getattr(found, "config", None)
    if not isinstance(metadata, Mapping) or not isinstance(config, Mapping):
        return
    value = metadata.get(METADATA_KEY)
    configurable = config.get("configurable")
    if not isinstance(value, str) or not isinstance(configurable, Mapping):
        return
    thread_id = configurable.get("thread_id")
    if configurable.get("checkpoint_ns") or thread_id is None:
        return  # a subgraph's checkpoint: resumes are linked at the root graph
    context = trace.get_current_span(_PROPAGATOR.extract({"traceparent": value}))
    span_context = context.get_span_context()
    if not span_context.is_valid:
        return
    checkpoint_id = configurable.get("checkpoint_id")
    _loaded.interrupted(
        str(thread_id), span_context, checkpoint_id if isinstance(checkpoint_id, str) else None
    )


def _forwarder(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """A method that calls the wrapped saver's ``name`` (same signature, same kind)."""
    if inspect.isasyncgenfunction(method):

        async def agen(self: Any, *args: Any, **kwargs: Any) -> Any:
            async for item in getattr(self._saver, name)(*args, **kwargs):
                yield item

        return functools.wraps(method)(agen)
    if inspect.iscoroutinefunction(method):

        async def coro(self: Any, *args: Any, **kwargs: Any) -> Any:
            return await getattr(self._saver, name)(*args, **kwargs)

        return functools.wraps(method)(coro)

    def sync(self: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(self._saver, name)(*args, **kwargs)

    return functools.wraps(method)(sync)


def _traced_class(base: type, saver_type: type) -> type:
    """A ``base`` subclass forwarding every public method to a ``saver_type``.

    The forwarders carry the saver class's own signatures: LangGraph inspects some
    (``put_writes`` taking ``task_path``, for one).
    """

    class TracedCheckpointSaver(base):  # type: ignore[misc,valid-type]
        """A checkpoint saver that stamps checkpoints with the trace of the run writing them."""

        def __init__(self, saver: Any) -> None:
            self._saver = saver
            self.serde = saver.serde

        def __getattr__(self, name: str) -> Any:  # methods only the wrapped saver has
            if name == "_saver":
                raise AttributeError(name)
            return getattr(self._saver, name)

        @property
        def config_specs(self) -> list[Any]:
            return list(self._saver.config_specs)

        def put(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
            return self._saver.put(config, checkpoint, _stamped(metadata), new_versions)

        async def aput(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
            return await self._saver.aput(config, checkpoint, _stamped(metadata), new_versions)

        def get_tuple(self, config: Any) -> Any:
            found = self._saver.get_tuple(config)
            _remember(found)
            return found

        async def aget_tuple(self, config: Any) -> Any:
            found = await self._saver.aget_tuple(config)
            _remember(found)
            return found

    if hasattr(base, "with_allowlist"):  # LangGraph clones savers for strict deserialization

        def with_allowlist(self: Any, extra_allowlist: Any) -> Any:
            clone = self._saver.with_allowlist(extra_allowlist)
            return self if clone is self._saver else TracedCheckpointSaver(clone)

        TracedCheckpointSaver.with_allowlist = with_allowlist  # type: ignore[attr-defined]
    own = set(vars(TracedCheckpointSaver))
    for name, method in vars(base).items():
        if not name.startswith("_") and name not in own and inspect.isfunction(method):
            actual = getattr(saver_type, name, method)
            setattr(TracedCheckpointSaver, name, _forwarder(name, actual))
    return TracedCheckpointSaver


def traced_checkpointer(saver: Any) -> Any:
    """Wrap a LangGraph checkpoint saver so resumes in other processes link to their trace.

    Args:
        saver: Any ``BaseCheckpointSaver`` (``SqliteSaver``, ``PostgresSaver``, ...).

    Returns:
        A ``BaseCheckpointSaver`` that behaves as ``saver`` does; pass it to
        ``graph.compile(checkpointer=...)`` in every process that runs the graph.

    Raises:
        ValueError: ``saver`` is not a LangGraph checkpoint saver.
    """
    try:
        from langgraph.checkpoint.base import BaseCheckpointSaver
    except ImportError as exc:  # pragma: no cover - needs LangGraph uninstalled
        raise ValueError("traced_checkpointer needs LangGraph (pip install langgraph)") from exc
    if not isinstance(saver, BaseCheckpointSaver):
        raise ValueError(
            f"saver must be a LangGraph BaseCheckpointSaver, got {type(saver).__name__}"
        )
    saver_type = type(saver)
    cls = _classes.get(saver_type)
    if cls is None:
        cls = _classes[saver_type] = _traced_class(BaseCheckpointSaver, saver_type)
    return cls(saver)
