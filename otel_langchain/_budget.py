"""Budget checks before a model call: the event, the counter, and the refusal."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from otel_langchain import _record as record
from otel_langchain import _semconv as sc
from otel_langchain._finish import Finisher
from otel_langchain._runs import RunRegistry, RunState
from otel_langchain.usage import BudgetExceeded, Usage


def exceeded_attributes(exceeded: BudgetExceeded, action: str) -> dict[str, Any]:
    """The ``langchain.budget.exceeded`` event's attributes: the limit, the figures, the action."""
    attrs: dict[str, Any] = {
        sc.LANGCHAIN_BUDGET_LIMIT: exceeded.limit,
        sc.LANGCHAIN_BUDGET_ACTION: action,
        sc.LANGCHAIN_BUDGET_SPENT_USD: exceeded.spent_usd,
        sc.LANGCHAIN_BUDGET_SPENT_TOKENS: exceeded.spent_tokens,
        sc.LANGCHAIN_BUDGET_UNPRICED_CALLS: exceeded.unpriced_calls,
    }
    if exceeded.budget_usd is not None:
        attrs[sc.LANGCHAIN_BUDGET_USD] = exceeded.budget_usd
    if exceeded.max_tokens is not None:
        attrs[sc.LANGCHAIN_BUDGET_MAX_TOKENS] = exceeded.max_tokens
    return attrs


def enforce(
    trackers: tuple[Usage, ...],
    run_id: UUID,
    state: RunState,
    runs: RunRegistry,
    finisher: Finisher,
) -> None:
    """Before a model call: mark it on every block over budget; refuse it if one says raise.

    A refused call's run ends here (LangChain sends it no end or error callback):
    status ERROR, ``error.type=BudgetExceeded``, the caller's context restored.
    """
    refusal: BudgetExceeded | None = None
    for tracker in reversed(trackers):  # innermost block first
        exceeded = tracker.check_budget()
        if exceeded is None:
            continue
        action = tracker.on_exceed
        record.add_event(
            state.span, sc.EVENT_BUDGET_EXCEEDED, exceeded_attributes(exceeded, action)
        )
        metric_attrs: dict[str, Any] = {
            sc.LANGCHAIN_BUDGET_LIMIT: exceeded.limit,
            sc.LANGCHAIN_BUDGET_ACTION: action,
        }
        if state.provider:
            metric_attrs[sc.GEN_AI_PROVIDER_NAME] = state.provider
        if state.model:
            metric_attrs[sc.GEN_AI_REQUEST_MODEL] = state.model
        record.add(finisher.metrics.budget_exceeded, 1, metric_attrs)
        if action == "raise" and refusal is None:
            refusal = exceeded
    if refusal is not None:
        runs.pop(run_id)
        finisher.close(state, refusal, None)
        raise refusal
