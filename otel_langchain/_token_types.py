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
_READ: Final = {**_INPUT, sc.TOKEN_CACHE: sc.TOKEN_CACHE_READ}
_CREATION: Final = {**_INPUT, sc.TOKEN_CACHE: sc.TOKEN_CACHE_CREATION}
_UNCACHED: Final = {**_INPUT, sc.TOKEN_CACHE: sc.TOKEN_CACHE_UNCACHED}
_REASONING: Final = {**_OUTPUT, sc.TOKEN_REASONING: True}
_NOT_REASONING: Final = {**_OUTPUT, sc.TOKEN_REASONING: False}

Point = tuple[dict[str, Any], int]


def token_points(usage: TokenCounts) -> list[Point]:
    """(token-type attributes, count) for each point the call records.

    Parts larger than the total (a provider reporting more cached than input
    tokens) are trusted as reported and the rest is clamped at zero.
    """
    points: list[Point] = []
    total = usage.input
    if total is not None:
        read, creation = usage.cache_read, usage.cache_creation
        if read is None and creation is None:
            points.append((_INPUT, total))
        else:
            if read:
                points.append((_READ, read))
            if creation:
                points.append((_CREATION, creation))
            points.append((_UNCACHED, max(total - (read or 0) - (creation or 0), 0)))
    total = usage.output
    if total is not None:
        reasoning = usage.reasoning
        if reasoning is None:
            points.append((_OUTPUT, total))
        else:
            if reasoning:
                points.append((_REASONING, reasoning))
            points.append((_NOT_REASONING, max(total - reasoning, 0)))
    return points
