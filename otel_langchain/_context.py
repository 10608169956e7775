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
run alone, and the end callback does two things:

1. It *reverts that object in place* to the contents of the context that was
   current before the run. Every context that still holds it (the caller's,
   the copies LangChain made) then sees the caller's span again, whichever task
   or thread the end callback runs in. ``Context`` forbids mutation through its
   own methods to protect shared contexts; this object is never shared with
   anyone before we create it, so the plain ``dict`` methods are used on purpose.
2. When it runs in the very context it attached in, with our context still on
   top, it also resets the context variable to the previous *object* (a plain
   ``ContextVar.reset``, never OTel's ``detach``, so nothing is logged when that
   is not possible). That matters when a child run starts and ends in its
   parent's context, as LangGraph does for the first node: the variable then
   points at the parent's live context again, not at a stale copy of it.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from contextvars import ContextVar, Token

from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.environment_variables import OTEL_PYTHON_CONTEXT

_dict_update = dict.update
_dict_delitem = dict.__delitem__
_PRUNE_AT = 64


class RunContext(Context):
    """A run's own context object, revertible in place (see the module docstring).

    While its run is open it is ``live``. When a run ends in a context that is
    itself a live run context (LangGraph starts its first node in the graph's
    context), its reverted contents will change again when that outer run ends:
    it then *follows* the outer context (``source``, weakly registered in the
    outer ``dependents``, so a context nobody holds is not kept) and is reverted
    again with it. A context whose ``source`` is None after its run ended is final.

    Made only by ``enter_run``, which sets the three fields: no ``__init__`` of its
    own (a Python ``__init__`` calling ``dict.__init__`` costs 2.8 k instructions
    per run; ``dict``'s own copies ``source`` in C).
    """

    __slots__ = ("dependents", "live", "source")

    live: bool
    #: Weak references to the contexts following this one (None until the first).
    dependents: list[weakref.ref[RunContext]] | None
    source: RunContext | None


# The key OTel stores the current span under, found through the public API once.
_SPAN_KEY = next(iter(trace.set_span_in_context(trace.INVALID_SPAN, Context())))
_dict_setitem = dict.__setitem__


def _runtime_variable() -> ContextVar[Context] | None:
    """The context variable OTel's default runtime context keeps the current context in.

    Named by the token an ``attach`` returns (``Token.var``), found once; None when
    ``OTEL_PYTHON_CONTEXT`` names another runtime context, whose methods then run.
    """
    if os.environ.get(OTEL_PYTHON_CONTEXT):
        return None
    token = context_api.attach(context_api.get_current())
    context_api.detach(token)
    return token.var if type(token) is Token else None


_VARIABLE = _runtime_variable()
#: The current context, and making a context current: with OTel's default runtime
#: context its own ``ContextVar.get`` / ``set`` (C methods; ``get_current`` and
#: ``attach`` reach them through two Python calls, 1.5 k instructions per run).
current_context: Callable[[], Context]
_attach: Callable[[Context], object]
if _VARIABLE is not None:
    current_context, _attach = _VARIABLE.get, _VARIABLE.set
else:
    current_context, _attach = context_api.get_current, context_api.attach


def enter_run(span: trace.Span, current: Context) -> tuple[RunContext, object]:
    """Make ``span`` current in the running context; return the run's context and token."""
    run_ctx = RunContext(current)
    run_ctx.live = True
    run_ctx.dependents = None
    run_ctx.source = None
    _dict_setitem(run_ctx, _SPAN_KEY, span)  # = set_span_in_context, without a second copy
    return run_ctx, _attach(run_ctx)


def _assign(node: Context, source: Context) -> None:
    _dict_update(node, source)
    if len(node) != len(source):
        for key in list(node):  # a copy (keys go while it runs); no comprehension: a call on 3.11
            if key not in source:
                _dict_delitem(node, key)


def leave_run(run_ctx: RunContext, previous: Context, token: object) -> None:
    """Undo ``enter_run``: revert the run's context in place, reset the variable if we can.

    Idempotent: a run whose context was already reverted (a collected handler's,
    see ``runs.collected``) is left alone.
    """
    if not run_ctx.live:
        return
    run_ctx.live = False
    # The live run context the reverted one follows from now on, if any.
    target = (
        (previous if previous.live else previous.source) if type(previous) is RunContext else None
    )
    followers: list[RunContext] | None = None
    deps = run_ctx.dependents
    if deps:
        run_ctx.dependents = None
        # The contexts still held of those that followed (a child's, usually gone by now);
        # a loop, not a comprehension: on 3.11 that is a function call of its own.
        for ref in deps:
            node = ref()
            if node is not None:
                if followers is None:
                    followers = [run_ctx]
                followers.append(node)
        if followers is not None:
            for node in followers:
                _assign(node, previous)
                node.source = target
    if followers is None:  # the common case: nothing (still held) followed this run
        _dict_update(run_ctx, previous)  # = _assign(run_ctx, previous), its usual case inline
        # Keys of ours that ``previous`` lacks: none when it is a live run context (still
        # what was current when the run started, its span key included).
        if target is not previous and len(run_ctx) != len(previous):
            _assign(run_ctx, previous)
        run_ctx.source = target
    if target is not None:
        deps = target.dependents
        if deps is None:
            deps = target.dependents = []
        elif len(deps) >= _PRUNE_AT:
            deps[:] = [r for r in deps if r() is not None]
        if followers is None:
            deps.append(weakref.ref(run_ctx))
        else:
            deps.extend(map(weakref.ref, followers))
    if type(token) is Token:
        var = token.var  # the variable OTel's runtime context keeps the current context in
        if var.get(None) is run_ctx:
            try:  # noqa: SIM105 (a try costs nothing here; contextlib.suppress builds an object)
                var.reset(token)
            except (ValueError, RuntimeError):
                pass  # in another context (async end, stream) reset fails; the revert did the work
