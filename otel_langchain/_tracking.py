"""The ``track_usage()`` blocks active in the current context, and the budget refusal.

The core reads the active blocks when a model run starts; ``usage`` (the public
side: ``track_usage()``, ``Usage``) sets them. Kept apart so that the core needs
nothing from ``usage``, which installs the handler that the core makes up.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from otel_langchain.usage import Usage

#: The live ``Usage`` of every ``track_usage()`` block around the current code, innermost last.
trackers_var: ContextVar[tuple[Usage, ...]] = ContextVar("otel_langchain_usage", default=())


def active_trackers() -> tuple[Usage, ...]:
    """The trackers of the current context (innermost last)."""
    return trackers_var.get()


class BudgetExceeded(Exception):
    """A ``track_usage()`` block reached its budget; the model call was not sent.

    Attributes:
        limit: ``"budget_usd"`` or ``"max_tokens"``: the limit that was reached.
        budget_usd: The block's USD budget (None if it has none).
        spent_usd: The block's priced spend so far.
        max_tokens: The block's token budget (None if it has none).
        spent_tokens: Input plus output tokens so far.
        unpriced_calls: Calls whose cost is unknown (not in ``spent_usd``).
        usage: The block's live ``Usage``.
    """

    def __init__(self, usage: Usage, limit: str) -> None:
        self.limit = limit
        self.budget_usd = usage.budget_usd
        self.spent_usd = usage.cost_usd
        self.max_tokens = usage.max_tokens
        self.spent_tokens = usage.total_tokens
        self.unpriced_calls = usage.unpriced_calls
        self.usage = usage
        if limit == "budget_usd":
            reached = f"spent ${self.spent_usd:.6f} of budget_usd=${self.budget_usd:.6f}"
        else:
            reached = f"used {self.spent_tokens} tokens of max_tokens={self.max_tokens}"
        calls = f"{usage.calls} model call" + ("" if usage.calls == 1 else "s")
        super().__init__(f"track_usage() budget reached: {reached} over {calls}")


BudgetExceeded.__module__ = "otel_langchain.usage"  # where the public API has it
