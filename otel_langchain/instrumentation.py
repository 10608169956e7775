"""``instrument()`` / ``uninstrument()`` and the ``opentelemetry-instrument`` entry point.

langchain-core's ``register_configure_hook`` has no unregister, so the hook is
registered once and its "variable" is switched on and off. LangChain only calls
``var.get()``; a real ``ContextVar`` set in one thread would not be seen by a
plain ``threading.Thread`` started later, so the variable is a process-wide
holder instead.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Collection
from typing import Any

from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)

from otel_langchain._tracking import active_trackers
from otel_langchain.handler import OTelCallbackHandler

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_hook_registered = False


class _GlobalHandler:
    """Duck-types the ``ContextVar.get`` LangChain calls on configure hooks."""

    def __init__(self) -> None:
        self.handler: OTelCallbackHandler | None = None
        self._usage_handler: OTelCallbackHandler | None = None

    def get(self, default: Any = None) -> OTelCallbackHandler | None:
        if self.handler is not None:
            return self.handler
        if active_trackers():  # a track_usage() block with nothing instrumented
            if self._usage_handler is None:
                self._usage_handler = OTelCallbackHandler()
            return self._usage_handler
        return None


_global = _GlobalHandler()


def _ensure_hook() -> None:
    global _hook_registered  # noqa: PLW0603
    with _lock:
        if _hook_registered:
            return
        from langchain_core.tracers.context import register_configure_hook

        # handle_class makes LangChain skip ours when the run already has an
        # OTelCallbackHandler (passed explicitly): no duplicate spans.
        register_configure_hook(
            _global,  # type: ignore[arg-type]
            inheritable=True,
            handle_class=OTelCallbackHandler,
        )
        _hook_registered = True


def instrument(**handler_kwargs: Any) -> OTelCallbackHandler:
    """Trace every LangChain run in the process. Idempotent: returns the active handler.

    Keyword arguments are those of ``OTelCallbackHandler``; they apply the first
    time (call ``uninstrument()`` first to change them).
    """
    _ensure_hook()
    with _lock:
        if _global.handler is None:
            _global.handler = OTelCallbackHandler(**handler_kwargs)
        elif handler_kwargs:
            logger.warning("instrument() called again with arguments; keeping the active handler")
        return _global.handler


def uninstrument() -> None:
    """Stop tracing runs globally; open runs are ended."""
    with _lock:
        handler, _global.handler = _global.handler, None
    if handler is not None:
        handler.close()


# The handler's keyword-only options, which the instrumentor passes on (the
# instrumentor's own keywords, such as ``skip_dep_check``, are not among them).
_HANDLER_OPTIONS = tuple(
    p.name
    for p in inspect.signature(OTelCallbackHandler.__init__).parameters.values()
    if p.kind is p.KEYWORD_ONLY
)


class LangChainInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """``BaseInstrumentor`` for ``opentelemetry-instrument`` (entry point ``langchain``)."""

    def instrumentation_dependencies(self) -> Collection[str]:
        return ("langchain-core >= 0.3",)

    def _instrument(self, **kwargs: Any) -> None:
        options = {key: kwargs[key] for key in _HANDLER_OPTIONS if kwargs.get(key) is not None}
        instrument(**options)

    def _uninstrument(self, **kwargs: Any) -> None:
        uninstrument()
