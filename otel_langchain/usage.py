"""``track_usage()``: tokens, cost and calls of the model runs traced inside a block, and budgets.

The vendor-neutral successor of ``get_openai_callback``. The active trackers
live in a ``ContextVar``, so concurrent asyncio tasks and LangChain's thread
pools (which copy the context) each count their own work; a model run counts
towards the trackers active when it *started*.

A block may carry a budget (``budget_usd``, ``max_tokens``). Before each model
call inside it, the handler asks every active block whether its spend has
reached its budget; nested blocks each enforce their own. A call that finds a
budget reached is either let through with a ``langchain.budget.exceeded`` event
(``on_exceed="warn"``) or refused with :class:`BudgetExceeded` before the
request is sent (``on_exceed="raise"``).
"""

from __future__ import annotations

import logging
import math
import threading
from contextvars import Token
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

from otel_langchain._tracking import BudgetExceeded, trackers_var
from otel_langchain.instrumentation import _ensure_hook

__all__ = ["BudgetExceeded", "ModelUsage", "Usage", "track_usage"]

logger = logging.getLogger(__name__)

_ON_EXCEED = ("warn", "raise")


@dataclass
class ModelUsage:
    """Totals for one model."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float = 0.0
    calls: int = 0
    unpriced_calls: int = 0

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def _add(
        self, input_tokens: int, output_tokens: int, cache_read: int, cost: float | None
    ) -> None:
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens
        self.cache_read_tokens += cache_read
        self.calls += 1
        if cost is None:
            self.unpriced_calls += 1
        else:
            self.cost_usd += cost


@dataclass
class Usage(ModelUsage):
    """Live totals for a ``track_usage()`` block, with a per-model breakdown and its budget."""

    by_model: dict[str, ModelUsage] = field(default_factory=dict)
    budget_usd: float | None = None
    max_tokens: int | None = None
    on_exceed: Literal["warn", "raise"] = "warn"
    #: Model calls that started with the budget already reached (warned or refused).
    calls_over_budget: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _warned: set[str] = field(default_factory=set, repr=False, compare=False)

    @property
    def exceeded(self) -> bool:
        """Whether a model call has found this block's budget reached."""
        return self.calls_over_budget > 0

    def record(
        self,
        model: str,
        *,
        input_tokens: int,
        output_tokens: int,
        cache_read: int = 0,
        cost: float | None,
    ) -> None:
        """Add one model call (thread-safe)."""
        with self._lock:
            self._add(input_tokens, output_tokens, cache_read, cost)
            per_model = self.by_model.get(model)
            if per_model is None:
                per_model = self.by_model[model] = ModelUsage()
            per_model._add(input_tokens, output_tokens, cache_read, cost)
        if cost is None and self.budget_usd is not None:
            self._warn_once(
                "unpriced",
                "track_usage(budget_usd=...) cannot see the cost of %r: it has no price "
                "(add it with prices=...); its tokens count towards max_tokens, its cost "
                "towards nothing",
                model,
            )

    def check_budget(self) -> BudgetExceeded | None:
        """The refusal due before the next model call, or None while under budget.

        USD spend counts priced calls only (unpriced ones are in ``unpriced_calls``).
        """
        if self.budget_usd is not None and self.cost_usd >= self.budget_usd:
            limit = "budget_usd"
        elif self.max_tokens is not None and self.total_tokens >= self.max_tokens:
            limit = "max_tokens"
        else:
            return None
        with self._lock:
            self.calls_over_budget += 1
        exceeded = BudgetExceeded(self, limit)
        if self.on_exceed == "warn":
            self._warn_once(
                "exceeded", "%s; further calls in this block go on (on_exceed='warn')", exceeded
            )
        return exceeded

    def _warn_once(self, key: str, message: str, *args: Any) -> None:
        with self._lock:
            if key in self._warned:
                return
            self._warned.add(key)
        logger.warning(message, *args)

    def __str__(self) -> str:
        return (
            f"Tokens Used: {self.total_tokens}\n"
            f"\tInput Tokens: {self.input_tokens}\n"
            f"\tOutput Tokens: {self.output_tokens}\n"
            f"Successful Requests: {self.calls}\n"
            f"Total Cost (USD): ${self.cost_usd:.6f}"
        )


class _UsageBlock:
    """The context manager ``track_usage()`` returns: sync (``with``) or async (``async with``)."""

    __slots__ = ("_token", "usage")

    def __init__(self, usage: Usage) -> None:
        self.usage = usage
        self._token: Token[tuple[Usage, ...]] | None = None

    def __enter__(self) -> Usage:
        if self._token is not None:
            raise RuntimeError("a track_usage() block cannot be entered twice")
        _ensure_hook()
        self._token = trackers_var.set((*trackers_var.get(), self.usage))
        return self.usage

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        token, self._token = self._token, None
        if token is not None:
            trackers_var.reset(token)

    async def __aenter__(self) -> Usage:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)


def track_usage(
    *,
    budget_usd: float | None = None,
    max_tokens: int | None = None,
    on_exceed: Literal["warn", "raise"] = "warn",
) -> _UsageBlock:
    """Count tokens, cost and calls of every model run traced inside the block.

    Works with any provider, in ``with`` and ``async with``. If no handler is
    installed (neither ``instrument()`` nor a handler in the run's callbacks),
    one is added for the block's runs.

    Args:
        budget_usd: Before each model call, if the block's priced spend has
            reached this many US dollars, apply ``on_exceed``. Calls of models
            with no price count in ``unpriced_calls``, not here (one warning says so).
        max_tokens: The same for input plus output tokens.
        on_exceed: ``"warn"`` (default) logs one warning per block and records a
            ``langchain.budget.exceeded`` event on the call's span; ``"raise"``
            raises :class:`BudgetExceeded` before the request is sent.

    Example:
        >>> with track_usage(budget_usd=0.50, on_exceed="raise") as usage:
        ...     chain.invoke({"question": "..."})  # doctest: +SKIP
        >>> usage.total_tokens, usage.cost_usd  # doctest: +SKIP
    """
    if budget_usd is not None and (
        isinstance(budget_usd, bool)
        or not isinstance(budget_usd, (int, float))
        or not math.isfinite(budget_usd)
        or budget_usd < 0
    ):
        raise ValueError(f"budget_usd must be a non-negative number of USD, got {budget_usd!r}")
    if max_tokens is not None and (
        isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 0
    ):
        raise ValueError(f"max_tokens must be a non-negative integer, got {max_tokens!r}")
    if on_exceed not in _ON_EXCEED:
        raise ValueError(f"on_exceed must be 'warn' or 'raise', got {on_exceed!r}")
    usage = Usage(
        budget_usd=float(budget_usd) if budget_usd is not None else None,
        max_tokens=max_tokens,
        on_exceed=on_exceed,
    )
    return _UsageBlock(usage)
