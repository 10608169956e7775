"""Budget checks before a model call: the event, the counter, and the refusal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from otel_langchain import _record as record
from otel_langchain import _semconv as sc
from otel_langchain._tracking import BudgetExceeded
from otel_langchain.runs._base import Run

if TYPE_CHECKING:
    from otel_langchain.runs.model import ModelRun


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


def enforce(run: ModelRun, run_id: UUID) -> None:
    """Before a model call: mark it on every block over budget; refuse it if one says raise.

    A refused call's run ends here (LangChain sends it no end or error callback):
    status ERROR, ``error.type=BudgetExceeded``, the caller's context restored.
    """
    refusal: BudgetExceeded | None = None
    metrics = run.tracing.metrics
    for tracker in reversed(run.trackers):  # innermost block first
        exceeded = tracker.check_budget()
        if exceeded is None:
            continue
        action = tracker.on_exceed
        record.add_event(run.span, sc.EVENT_BUDGET_EXCEEDED, exceeded_attributes(exceeded, action))
        metric_attrs: dict[str, Any] = {
            sc.LANGCHAIN_BUDGET_LIMIT: exceeded.limit,
            sc.LANGCHAIN_BUDGET_ACTION: action,
        }
        if run.provider:
            metric_attrs[sc.GEN_AI_PROVIDER_NAME] = run.provider
        if run.model:
            metric_attrs[sc.GEN_AI_REQUEST_MODEL] = run.model
        record.add(metrics.budget_exceeded, 1, metric_attrs)
        if action == "raise" and refusal is None:
            refusal = exceeded
    if refusal is not None:
        run.tracing.runs.pop(run_id)
        Run.fail(run, refusal)  # the call never happened: no operation duration
        raise refusal
