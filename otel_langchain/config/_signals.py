"""Flush on SIGTERM: opt-in, because a signal handler belongs to the application.

Without it, SIGTERM's default action ends the process at once: atexit does not
run, so spans still in the batch queue are lost. With it, the handler flushes
within a bounded time and then does what would have happened anyway: the
previous Python handler is called, an ignored signal stays ignored, and the
default action (terminate) is carried out by re-raising the signal.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

logger = logging.getLogger(__name__)

_Handler = Callable[[int, FrameType | None], Any] | int | None


class SignalFlush:
    """A SIGTERM handler that flushes (or shuts down) telemetry, then chains."""

    def __init__(self, flush: Callable[[], object], shutdown: Callable[[], object]) -> None:
        self._flush = flush
        self._shutdown = shutdown
        self._previous: _Handler = None
        self._installed = False
        self._active = False
        # Reentrant: the SIGTERM handler runs in the main thread, which may hold it.
        self._lock = threading.RLock()

    def install(self) -> bool:
        """Install the handler (main thread only); False, with a warning, if it cannot be."""
        with self._lock:
            if self._installed:
                return True
            if threading.current_thread() is not threading.main_thread():
                logger.warning(
                    "flush_on_signals: configure() ran outside the main thread, where Python "
                    "cannot install signal handlers; SIGTERM will not flush telemetry"
                )
                return False
            try:
                self._previous = signal.getsignal(signal.SIGTERM)
                signal.signal(signal.SIGTERM, self._handle)
            except (ValueError, OSError) as exc:  # e.g. an embedded interpreter
                logger.warning("flush_on_signals: cannot install a SIGTERM handler: %s", exc)
                return False
            self._installed = self._active = True
            return True

    def uninstall(self) -> None:
        """Stop flushing; put the previous handler back if ours is still the current one."""
        with self._lock:
            self._active = False
            if not self._installed or threading.current_thread() is not threading.main_thread():
                return  # a handler installed over ours keeps chaining through it
            if signal.getsignal(signal.SIGTERM) == self._handle:
                signal.signal(signal.SIGTERM, self._previous or signal.SIG_DFL)
                self._installed = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        previous = self._previous
        terminating = previous in (signal.SIG_DFL, None)
        if self._active:
            try:
                # The process is about to end: a full shutdown also reports losses.
                (self._shutdown if terminating else self._flush)()
            except Exception:  # never stand between the app and its signal
                logger.warning("Flushing telemetry on SIGTERM failed", exc_info=True)
        if callable(previous):
            previous(signum, frame)
        elif terminating:
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)
