"""The safety boundary: our bugs are logged, never raised into the host app.

Every callback hook of the handler wraps its body in ``try`` / ``except Exception``
and hands what it catches to ``report``; ``BudgetExceeded`` alone goes through.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from otel_langchain._tracking import BudgetExceeded

logger = logging.getLogger("otel_langchain")

_reported: set[object] = set()
_lock = threading.Lock()

#: Internal errors seen while ``strict`` is on; the test suite fails on any.
recorded: list[BaseException] = []
_strict = False


def set_strict(strict: bool) -> None:
    """Record internal errors (for the test suite) in addition to logging them."""
    global _strict  # noqa: PLW0603
    _strict = strict


def report(where: str, exc: BaseException) -> None:
    """Log an internal error once per (place, exception type)."""
    if _strict:
        recorded.append(exc)
    if not _first_time((where, type(exc))):
        return
    logger.warning(
        "otel-langchain internal error in %s (further ones of this kind are not logged)",
        where,
        exc_info=exc,
    )


def warn_once(key: str, message: str, *args: Any) -> None:
    """Log a warning about the app's own callables or settings once per ``key``."""
    if _first_time(key):
        logger.warning(message + " (logged once)", *args)


def _first_time(key: object) -> bool:
    with _lock:
        if key in _reported:
            return False
        _reported.add(key)
        return True


def passes_through(exc: BaseException | None) -> bool:
    """Whether ``exc`` is raised into the host on purpose: a budget refusal, nothing else.

    LangChain re-raises a callback's exception only if the handler's ``raise_error``
    is true when it handles it; the handler answers with this.
    """
    return isinstance(exc, BudgetExceeded)
