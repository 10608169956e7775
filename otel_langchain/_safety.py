"""The safety boundary: our bugs are logged, never raised into the host app."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from otel_langchain._tracking import BudgetExceeded

logger = logging.getLogger("otel_langchain")

F = TypeVar("F", bound=Callable[..., Any])

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


def guarded(func: F) -> F:
    """Run a callback hook inside the safety boundary: log our errors, return None.

    ``BudgetExceeded`` alone goes through: it is the app's own setting at work.
    """
    name = func.__name__

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BudgetExceeded:
            raise
        except Exception as exc:  # the host app must never see our bugs
            report(name, exc)
            return None

    return wrapper  # type: ignore[return-value]
