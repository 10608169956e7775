"""Model price table: USD per 1M tokens, lookup by model name, user overrides.

The built-in table ships as ``prices.json``. A JSON file named by the
``OTEL_LANGCHAIN_PRICES`` environment variable and the ``prices=`` argument are
merged over it, user entries winning.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

__all__ = [
    "ModelPrice",
    "PriceFileError",
    "PriceTable",
    "build_table",
    "default_table",
    "load_price_file",
]

_PRICES_ENV = "OTEL_LANGCHAIN_PRICES"
_FIELDS = ("input", "output", "cache_read", "cache_write")
_REQUIRED = ("input", "output")
_PER_TOKEN = 1e-6
_CACHE_LIMIT = 4096
# A prefix only matches when the name continues with one of these (or ends),
# so "gpt-5" never prices "gpt-5.5" and "gpt-4" never prices "gpt-4o".
_BOUNDARIES = frozenset("-_:@/ ")
# Cross-region inference profiles and model vendors in AWS Bedrock ids,
# e.g. "us.anthropic.claude-3-5-sonnet-20241022-v2:0".
_BEDROCK_REGIONS = ("us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca.")
_BEDROCK_VENDORS: tuple[str, ...] = ("anthropic.", "amazon.", "meta.", "mistral.", "cohere.")
_BEDROCK_VENDORS += ("ai21.", "deepseek.", "openai.", "qwen.", "writer.", "moonshot.")


class PriceFileError(ValueError):
    """A price table (file, env var or ``prices=``) is unreadable or malformed."""


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """List prices of one model in USD per 1M tokens."""

    input: float
    output: float
    cache_read: float | None = None
    cache_write: float | None = None

    def cost(
        self,
        *,
        input_tokens: int,
        output_tokens: int,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
    ) -> float:
        """Return the cost in USD of one call.

        ``input_tokens`` is the total input count as LangChain's
        ``usage_metadata`` reports it, cache reads and cache writes included;
        the uncached rest is billed at the input price. Cache prices left
        unset fall back to the input price. Negative counts count as zero.
        """
        input_cost, output_cost = self.split(
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens
        )
        return input_cost + output_cost

    def split(
        self,
        input_tokens: int,
        output_tokens: int,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
    ) -> tuple[float, float]:
        """The USD cost of one call's input tokens and of its output tokens (see :meth:`cost`).

        Called for every priced model call: comparisons, not ``max()`` (a builtin taking
        ``*args``, 1.1 k instructions a call on CPython 3.11).
        """
        cache_read_tokens = cache_read_tokens if cache_read_tokens > 0 else 0
        cache_write_tokens = cache_write_tokens if cache_write_tokens > 0 else 0
        uncached = input_tokens - cache_read_tokens - cache_write_tokens
        uncached = uncached if uncached > 0 else 0
        price = self.input
        read_price = price if self.cache_read is None else self.cache_read
        write_price = price if self.cache_write is None else self.cache_write
        input_cost = uncached * price + cache_read_tokens * read_price
        input_cost += cache_write_tokens * write_price
        output_cost = output_tokens * self.output * _PER_TOKEN if output_tokens > 0 else 0.0
        return input_cost * _PER_TOKEN, output_cost


class PriceTable:
    """Immutable map of lowercase model names to prices, with fuzzy lookup."""

    __slots__ = ("_cache", "_entries", "_longest")

    def __init__(self, entries: Mapping[str, ModelPrice]) -> None:
        self._entries: dict[str, ModelPrice] = {
            name.strip().lower(): price for name, price in entries.items()
        }
        self._longest = max(map(len, self._entries), default=0)
        self._cache: dict[tuple[str | None, ...], tuple[str, ModelPrice] | None] = {}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str) -> PriceTable:
        """Validate ``data`` (flat or ``{"_meta", "models"}`` shape) into a table.

        Raises:
            PriceFileError: naming ``source`` and the offending entry.
        """
        if not isinstance(data, Mapping):
            raise PriceFileError(
                f"{source}: expected a JSON object of model prices, got {type(data).__name__}"
            )
        models = _unwrap(data, source)
        return cls({name: _parse_entry(name, value, source) for name, value in models.items()})

    def merged(
        self,
        overrides: Mapping[str, Any] | PriceTable | None,
        *,
        source: str = "prices=",
    ) -> PriceTable:
        """Return a new table with ``overrides`` over this one (overrides win)."""
        if overrides is None:
            return self
        if not isinstance(overrides, PriceTable):
            overrides = PriceTable.from_mapping(overrides, source=source)
        if not overrides._entries:
            return self
        return PriceTable({**self._entries, **overrides._entries})

    def lookup(self, *models: str | None) -> tuple[str, ModelPrice] | None:
        """Return ``(matched_key, price)`` for the first name that matches, else None.

        Pass the response model before the request model. Each name is tried
        as given, then without an AWS Bedrock region/vendor prefix, then
        without a ``provider/`` path (``openai/gpt-4o``, ``models/gemini-2.5-pro``);
        each form matches exactly (case-insensitive), then by the longest known
        key that is a prefix of it ending at a separator (``-``, ``:``, ``@``, ...).
        """
        try:
            return self._cache[models]
        except KeyError:
            pass
        except TypeError:  # unhashable junk: not worth caching
            return self._resolve(models)
        found = self._resolve(models)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[models] = found
        return found

    def _resolve(self, models: tuple[object, ...]) -> tuple[str, ModelPrice] | None:
        for model in models:
            if not isinstance(model, str) or not model.strip():
                continue
            for candidate in _candidates(model):
                key = self._match(candidate)
                if key is not None:
                    return key, self._entries[key]
        return None

    def _match(self, name: str) -> str | None:
        if name in self._entries:
            return name
        for end in range(min(len(name) - 1, self._longest), 0, -1):
            if name[end] in _BOUNDARIES and name[:end] in self._entries:
                return name[:end]
        return None

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, model: object) -> bool:
        return isinstance(model, str) and model.strip().lower() in self._entries

    def __repr__(self) -> str:
        return f"PriceTable({len(self._entries)} models)"


def _candidates(model: str) -> list[str]:
    """Forms of a model name to try, most specific first."""
    name = model.strip().lower()
    forms = [name]
    for region in _BEDROCK_REGIONS:
        if name.startswith(region):
            name = name[len(region) :]
            forms.append(name)
            break
    for vendor in _BEDROCK_VENDORS:
        if name.startswith(vendor):
            forms.append(name[len(vendor) :])
            break
    tail = forms[-1].rpartition("/")[2]
    if tail and tail != forms[-1]:
        forms.append(tail)
    # Routers spell Claude versions with dots: "anthropic/claude-sonnet-4.5".
    if forms[-1].startswith("claude") and "." in forms[-1]:
        forms.append(forms[-1].replace(".", "-"))
    return forms


def _unwrap(data: Mapping[str, Any], source: str) -> Mapping[str, Any]:
    """Return the model entries of a flat or ``{"_meta", "models"}`` document."""
    if "_meta" not in data and "models" not in data:
        return data
    models = data.get("models")
    looks_wrapped = "_meta" in data or (
        isinstance(models, Mapping) and not set(models) & set(_FIELDS)
    )
    if not looks_wrapped:
        return data
    extra = sorted(str(key) for key in data if key not in ("_meta", "models"))
    if extra:
        raise PriceFileError(
            f"{source}: unknown top-level field(s) {', '.join(map(repr, extra))}; "
            "a file with '_meta' holds only '_meta' and 'models'"
        )
    if "_meta" in data and not isinstance(data["_meta"], Mapping):
        raise PriceFileError(f"{source}: '_meta' must be an object")
    if not isinstance(models, Mapping):
        raise PriceFileError(f"{source}: 'models' must be an object of model prices")
    return models


def _parse_entry(name: object, value: object, source: str) -> ModelPrice:
    """Validate one ``name: {input, output, cache_read?, cache_write?}`` entry."""
    if not isinstance(name, str) or not name.strip():
        raise PriceFileError(f"{source}: model name {name!r} must be a non-empty string")
    where = f"{source}: model {name!r}"
    if isinstance(value, ModelPrice):
        value = {field: getattr(value, field) for field in _FIELDS}
        value = {field: number for field, number in value.items() if number is not None}
    if not isinstance(value, Mapping):
        raise PriceFileError(f"{where}: expected an object, got {type(value).__name__}")
    unknown = sorted(str(field) for field in value if field not in _FIELDS)
    if unknown:
        raise PriceFileError(
            f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; "
            f"allowed fields are {', '.join(_FIELDS)}"
        )
    for field in _REQUIRED:
        if field not in value:
            raise PriceFileError(f"{where}: missing required field {field!r}")
    numbers: dict[str, float] = {}
    for field, number in value.items():
        if (
            isinstance(number, bool)
            or not isinstance(number, (int, float))
            or not math.isfinite(number)
            or number < 0
        ):
            raise PriceFileError(
                f"{where}: field {field!r} must be a finite number >= 0 "
                f"(USD per 1M tokens), got {number!r}"
            )
        numbers[field] = float(number)
    return ModelPrice(**numbers)


def load_price_file(path: str | os.PathLike[str]) -> PriceTable:
    """Load and validate a JSON price file.

    Raises:
        PriceFileError: the file is unreadable, not JSON, or has a bad entry.
    """
    source = os.fspath(path)
    try:
        with open(source, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise PriceFileError(f"{source}: cannot read price file: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PriceFileError(
            f"{source}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    return PriceTable.from_mapping(data, source=source)


@functools.cache
def default_table() -> PriceTable:
    """The built-in price table shipped as ``otel_langchain/prices.json``."""
    text = resources.files("otel_langchain").joinpath("prices.json").read_text("utf-8")
    return PriceTable.from_mapping(json.loads(text), source="otel_langchain/prices.json")


def build_table(
    prices: Mapping[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> PriceTable:
    """Built-in table, then the ``OTEL_LANGCHAIN_PRICES`` file, then ``prices``.

    Later sources win. ``env`` defaults to ``os.environ``.

    Raises:
        PriceFileError: the env var names a bad file, or ``prices`` is malformed.
    """
    env = os.environ if env is None else env
    table = default_table()
    path = env.get(_PRICES_ENV, "").strip()
    if path:
        table = table.merged(load_price_file(path))
    return table.merged(prices, source="prices=")
