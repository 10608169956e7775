"""The points one model call adds to ``gen_ai.client.token.usage``, by token type.

``gen_ai.token.type`` keeps the semconv values ``input`` and ``output``, with
their semconv meaning: input counts every input token, cached ones included
(``gen_ai.usage.input_tokens`` does too). When the provider reports a breakdown,
the input count is split into parts by ``gen_ai.token.cache`` (``read``,
``creation``, ``uncached``) and the output count by ``gen_ai.token.reasoning``
(``true``, ``false``), as the GenAI semconv proposal for detailed token metrics
does (semantic-conventions-genai#96). The parts of a call sum to its input and
output counts, so ``sum by (gen_ai_token_type)`` counts every token once.

The ``uncached`` and ``false`` parts are recorded even when zero, so each call
that reports usage adds exactly one point per type without a cache hit or
reasoning label: counting those points counts calls.
"""

from __future__ import annotations

from typing import Any, Final

from otel_langchain import _semconv as sc
from otel_langchain._llm_result import TokenCounts

_INPUT: Final = {sc.GEN_AI_TOKEN_TYPE: sc.TOKEN_TYPE_INPUT}
_OUTPUT: Final = {sc.GEN_AI_TOKEN_TYPE: sc.TOKEN_TYPE_OUTPUT}

#: The token-type attributes of each kind of point, by name.
PARTS: Final[dict[str, dict[str, Any]]] = {
    "input": _INPUT,
    "output": _OUTPUT,
    "read": {**_INPUT, sc.TOKEN_CACHE: sc.TOKEN_CACHE_READ},
    "creation": {**_INPUT, sc.TOKEN_CACHE: sc.TOKEN_CACHE_CREATION},
    "uncached": {**_INPUT, sc.TOKEN_CACHE: sc.TOKEN_CACHE_UNCACHED},
    "reasoning": {**_OUTPUT, sc.TOKEN_REASONING: True},
    "not_reasoning": {**_OUTPUT, sc.TOKEN_REASONING: False},
}

Point = tuple[str, int]


def token_points(usage: TokenCounts) -> list[Point]:
    """(part name in ``PARTS``, count) for each point the call records.

    Parts larger than the total (a provider reporting more cached than input
    tokens) are trusted as reported and the rest is clamped at zero.
    """
    points: list[Point] = []
    total = usage.input
    if total is not None:
        read, creation = usage.cache_read, usage.cache_creation
        if read is None and creation is None:
            points.append(("input", total))
        else:
            if read:
                points.append(("read", read))
            if creation:
                points.append(("creation", creation))
            points.append(("uncached", max(total - (read or 0) - (creation or 0), 0)))
    total = usage.output
    if total is not None:
        reasoning = usage.reasoning
        if reasoning is None:
            points.append(("output", total))
        else:
            if reasoning:
                points.append(("reasoning", reasoning))
            points.append(("not_reasoning", max(total - reasoning, 0)))
    return points
