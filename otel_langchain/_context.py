"""Making a run's span current for the code inside the run, and undoing it.

LangChain copies the context right after a run's start callback returns, so
whatever the start callback attaches is inherited by the code inside the run.
Undoing it with ``detach(token)`` in the end callback is not possible in
general: async end callbacks run in a *copy* of the caller's context
(``@shielded``), sync streams end in another context than they started, and
abandoned async streams end in background tasks. ``detach`` there fails with
"Failed to detach context" and leaves the caller's context pointing at a
finished span.

So the start callback attaches a fresh ``Context`` object that belongs to this
run alone, and the end callback *reverts that object in place* to the contents
of the context that was current before the run. Every context that still holds
it (the caller's, the copies LangChain made) then sees the caller's span again,
whichever task or thread the end callback runs in, and nothing is ever
detached. ``Context`` forbids mutation through its own methods to protect
shared contexts; this object is never shared with anyone before we create it,
so the plain ``dict`` methods are used on purpose.
"""

from __future__ import annotations

from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.context import Context

_dict_update = dict.update
_dict_delitem = dict.__delitem__


def enter_run(span: trace.Span, current: Context) -> Context:
    """Make ``span`` current in the running context; return the run's own context."""
    run_ctx = trace.set_span_in_context(span, current)
    context_api.attach(run_ctx)  # the token is deliberately dropped: see module docstring
    return run_ctx


def leave_run(run_ctx: Context, previous: Context) -> None:
    """Revert the run's context object in place to what was current before the run."""
    _dict_update(run_ctx, previous)
    if len(run_ctx) != len(previous):
        for key in [k for k in run_ctx if k not in previous]:
            _dict_delitem(run_ctx, key)
