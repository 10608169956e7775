"""Tests for the price table: cost math, lookup, overrides and file validation."""

from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otel_langchain.pricing import (
    ModelPrice,
    PriceFileError,
    PriceTable,
    build_table,
    default_table,
    load_price_file,
)

SONNET = ModelPrice(input=3.0, output=15.0, cache_read=0.3, cache_write=3.75)


def _table(**entries: Any) -> PriceTable:
    return PriceTable.from_mapping(entries, source="test")


def _write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "prices.json"
    path.write_text(content, encoding="utf-8")
    return path


# --- cost math -------------------------------------------------------------


def test_cost_without_cache_bills_input_and_output_per_million() -> None:
    """Plain input and output tokens are billed at their per-1M prices."""
    cost = SONNET.cost(input_tokens=1_000_000, output_tokens=100_000)
    assert cost == pytest.approx(3.0 + 1.5)


def test_cost_splits_cache_read_and_write_out_of_input() -> None:
    """Cache reads and writes are part of input_tokens and billed at their own prices."""
    cost = SONNET.cost(
        input_tokens=1_000,
        output_tokens=200,
        cache_read_tokens=600,
        cache_write_tokens=300,
    )
    expected = (100 * 3.0 + 600 * 0.3 + 300 * 3.75 + 200 * 15.0) / 1e6
    assert cost == pytest.approx(expected)


def test_cost_missing_cache_prices_fall_back_to_input_price() -> None:
    """A model without cache prices charges cached tokens at the input price."""
    price = ModelPrice(input=2.0, output=8.0)
    with_cache = price.cost(
        input_tokens=1_000, output_tokens=0, cache_read_tokens=400, cache_write_tokens=100
    )
    assert with_cache == pytest.approx(price.cost(input_tokens=1_000, output_tokens=0))


def test_cost_clamps_uncached_input_at_zero() -> None:
    """Cache counts larger than the input total never make the uncached part negative."""
    cost = SONNET.cost(input_tokens=100, output_tokens=0, cache_read_tokens=500)
    assert cost == pytest.approx(500 * 0.3 / 1e6)


def test_cost_of_nothing_is_zero() -> None:
    """Zero tokens cost zero dollars."""
    assert SONNET.cost(input_tokens=0, output_tokens=0) == 0.0


# --- lookup ------------------------------------------------------------------


def test_lookup_exact_match() -> None:
    """An exact model name returns its own key and price."""
    table = default_table()
    found = table.lookup("gpt-4o")
    assert found is not None
    assert found[0] == "gpt-4o"
    assert found[1].input == 2.5


def test_lookup_is_case_insensitive() -> None:
    """Model names match regardless of case, and user keys are lowercased."""
    table = _table(**{"My-Model": {"input": 1, "output": 2}})
    assert table.lookup("MY-MODEL") == ("my-model", ModelPrice(input=1.0, output=2.0))
    assert default_table().lookup("GPT-4o-Mini") is not None
    assert "my-model" in table
    assert "MY-model" in table


@pytest.mark.parametrize(
    ("model", "key"),
    [
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4o-2024-05-13", "gpt-4o-2024-05-13"),
        ("o3-mini-2025-01-31", "o3-mini"),
        ("o3-2025-04-16", "o3"),
        ("gpt-4.1-nano-2025-04-14", "gpt-4.1-nano"),
        ("gpt-4.1-mini", "gpt-4.1-mini"),
        ("gpt-5-mini-2025-08-07", "gpt-5-mini"),
        ("gpt-5-2025-08-07", "gpt-5"),
        ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet"),
        ("claude-3-5-haiku-latest", "claude-3-5-haiku"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4"),
        ("claude-haiku-4-5-20251001", "claude-haiku-4-5"),
        ("claude-opus-4-1-20250805", "claude-opus-4-1"),
        ("claude-opus-4-20250514", "claude-opus-4-20250514"),
        ("gemini-2.5-flash-lite-preview-06-17", "gemini-2.5-flash-lite"),
        ("gemini-2.5-flash-preview-05-20", "gemini-2.5-flash"),
        ("gemini-1.5-flash-8b-001", "gemini-1.5-flash-8b"),
        ("command-r7b-12-2024", "command-r7b"),
        ("command-r-plus-08-2024", "command-r-plus"),
        ("command-r-08-2024", "command-r"),
        ("mistral-large-latest", "mistral-large"),
        ("mistral-large-2411", "mistral-large-2411"),
    ],
)
def test_lookup_longest_prefix_wins(model: str, key: str) -> None:
    """Dated and suffixed ids resolve to the longest known prefix, avoiding prefix traps."""
    found = default_table().lookup(model)
    assert found is not None
    assert found[0] == key


@pytest.mark.parametrize("model", ["gpt-5.9-ultra", "gpt-4q", "o3x", "claude-opus-4-9"])
def test_lookup_prefix_must_end_at_a_separator(model: str) -> None:
    """A key matches as a prefix only up to a separator, so new versions are not mispriced."""
    assert default_table().lookup(model) is None


@pytest.mark.parametrize(
    ("model", "key"),
    [
        ("openai/gpt-4o", "gpt-4o"),
        ("openai/gpt-oss-120b", "gpt-oss-120b"),
        ("models/gemini-2.5-pro", "gemini-2.5-pro"),
        ("meta-llama/llama-4-scout-17b-16e-instruct", "llama-4-scout-17b-16e-instruct"),
        ("anthropic/claude-sonnet-4.5", "claude-sonnet-4"),
        ("qwen/qwen3-32b", "qwen3-32b"),
        ("moonshotai/kimi-k2-instruct-0905", "kimi-k2-instruct"),
        ("claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet"),
    ],
)
def test_lookup_strips_provider_prefixes(model: str, key: str) -> None:
    """Router- and SDK-style ``provider/model`` names resolve to the bare model."""
    found = default_table().lookup(model)
    assert found is not None
    assert found[0] == key


@pytest.mark.parametrize(
    ("model", "key"),
    [
        ("us.anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet"),
        ("anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku"),
        ("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4"),
        ("global.anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5"),
        ("amazon.nova-pro-v1:0", "amazon.nova-pro"),
        ("us.amazon.nova-micro-v1:0", "amazon.nova-micro"),
        ("meta.llama3-3-70b-instruct-v1:0", "meta.llama3-3-70b-instruct"),
        ("us.meta.llama3-2-11b-instruct-v1:0", "meta.llama3-2-11b-instruct"),
        ("openai.gpt-oss-120b-1:0", "gpt-oss-120b"),
    ],
)
def test_lookup_bedrock_ids(model: str, key: str) -> None:
    """Bedrock region profiles and vendor prefixes are stripped before matching."""
    found = default_table().lookup(model)
    assert found is not None
    assert found[0] == key


def test_lookup_tries_response_model_before_request_model() -> None:
    """The first name that matches wins, so the response model beats the request model."""
    table = default_table()
    found = table.lookup("gpt-4o-mini-2024-07-18", "gpt-4o")
    assert found is not None
    assert found[0] == "gpt-4o-mini"
    fallback = table.lookup("my-azure-deployment", "gpt-4o")
    assert fallback is not None
    assert fallback[0] == "gpt-4o"


def test_lookup_skips_none_and_empty_names() -> None:
    """None and blank names are skipped rather than matched."""
    found = default_table().lookup(None, "", "   ", "gpt-4o")
    assert found is not None
    assert found[0] == "gpt-4o"
    assert default_table().lookup() is None
    assert default_table().lookup(None) is None


def test_lookup_unknown_model_returns_none() -> None:
    """A model the table does not know has no price."""
    assert default_table().lookup("totally-unknown-model", "my-deployment") is None


def test_lookup_results_are_cached_and_bounded() -> None:
    """Repeated lookups are served from a cache that never grows without bound."""
    table = _table(a={"input": 1, "output": 1})
    first = table.lookup("a-1")
    assert table.lookup("a-1") is first
    for i in range(10_000):
        table.lookup(f"x-{i}")
    assert len(table._cache) <= 4096


# --- merging, env and build ----------------------------------------------------


def test_user_overrides_win_over_built_in() -> None:
    """prices= entries replace built-in entries and add new ones."""
    table = build_table(
        {"gpt-4o": {"input": 1, "output": 2}, "my-model": {"input": 3, "output": 4}}, env={}
    )
    assert table.lookup("gpt-4o-2024-08-06") == ("gpt-4o", ModelPrice(input=1.0, output=2.0))
    assert table.lookup("my-model") == ("my-model", ModelPrice(input=3.0, output=4.0))
    assert len(table) == len(default_table()) + 1
    assert default_table().lookup("gpt-4o") is not None
    assert default_table().lookup("gpt-4o")[1].input == 2.5  # type: ignore[index]


def test_merged_accepts_price_table_and_none() -> None:
    """merged() takes another table, a mapping, or None (no change)."""
    base = _table(a={"input": 1, "output": 1})
    assert base.merged(None) is base
    other = _table(a={"input": 9, "output": 9})
    assert base.merged(other).lookup("a") == ("a", ModelPrice(input=9.0, output=9.0))
    assert base.merged({"a": ModelPrice(input=5, output=5)}).lookup("a") == (
        "a",
        ModelPrice(input=5, output=5),
    )


def test_env_price_file_is_loaded(tmp_path: Path) -> None:
    """OTEL_LANGCHAIN_PRICES names a JSON file merged over the built-in table."""
    path = _write(tmp_path, json.dumps({"my-llm": {"input": 1.5, "output": 2.5}}))
    table = build_table(env={"OTEL_LANGCHAIN_PRICES": str(path)})
    assert table.lookup("my-llm-v2") == ("my-llm", ModelPrice(input=1.5, output=2.5))
    assert "gpt-4o" in table


def test_prices_argument_wins_over_env_file(tmp_path: Path) -> None:
    """The explicit prices= argument beats the env var file, which beats the built-in table."""
    path = _write(tmp_path, json.dumps({"gpt-4o": {"input": 7, "output": 7}}))
    env = {"OTEL_LANGCHAIN_PRICES": str(path)}
    assert build_table(env=env).lookup("gpt-4o")[1].input == 7  # type: ignore[index]
    table = build_table({"gpt-4o": {"input": 8, "output": 8}}, env=env)
    assert table.lookup("gpt-4o")[1].input == 8  # type: ignore[index]


def test_env_price_file_accepts_meta_shape(tmp_path: Path) -> None:
    """User files may use the {"_meta": ..., "models": ...} shape of the built-in file."""
    doc = {"_meta": {"as_of": "2026-11"}, "models": {"x": {"input": 1, "output": 1}}}
    path = _write(tmp_path, json.dumps(doc))
    assert build_table(env={"OTEL_LANGCHAIN_PRICES": str(path)}).lookup("x") is not None


def test_blank_env_var_is_ignored() -> None:
    """An empty OTEL_LANGCHAIN_PRICES means no file."""
    assert len(build_table(env={"OTEL_LANGCHAIN_PRICES": "  "})) == len(default_table())


def test_missing_env_file_raises_naming_the_file(tmp_path: Path) -> None:
    """A price file that cannot be read raises PriceFileError naming it."""
    path = tmp_path / "nope.json"
    with pytest.raises(PriceFileError, match=r"nope\.json"):
        build_table(env={"OTEL_LANGCHAIN_PRICES": str(path)})


# --- malformed input ---------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        ('{"m": {"input": 1, "output": 2}', ["invalid JSON", "line 1"]),
        ('{"m": {"input": -1, "output": 2}}', ["'m'", "'input'", ">= 0"]),
        ('{"m": {"input": "1", "output": 2}}', ["'m'", "'input'", "'1'"]),
        ('{"m": {"input": 1}}', ["'m'", "missing", "'output'"]),
        ('{"m": {"input": 1, "output": 2, "batch": 1}}', ["'m'", "'batch'", "cache_read"]),
        ('{"": {"input": 1, "output": 2}}', ["model name", "non-empty"]),
        ('{"m": {"input": NaN, "output": 2}}', ["'m'", "'input'", "finite"]),
        ('{"m": {"input": 1, "output": Infinity}}', ["'m'", "'output'", "finite"]),
        ('{"m": {"input": true, "output": 2}}', ["'m'", "'input'"]),
        ('{"m": [1, 2]}', ["'m'", "object"]),
        ("[1, 2]", ["JSON object"]),
        ('{"_meta": {}, "models": {}, "extra": 1}', ["'extra'"]),
        ('{"_meta": {}, "models": [1]}', ["'models'"]),
        ('{"_meta": [], "models": {}}', ["'_meta'"]),
    ],
)
def test_malformed_file_raises_naming_file_and_entry(
    tmp_path: Path, content: str, fragments: list[str]
) -> None:
    """Each malformed price file raises PriceFileError naming the file and what is wrong."""
    path = _write(tmp_path, content)
    with pytest.raises(PriceFileError) as info:
        build_table(env={"OTEL_LANGCHAIN_PRICES": str(path)})
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message


def test_bad_prices_argument_raises_value_error() -> None:
    """A malformed prices= argument raises a ValueError naming prices= and the entry."""
    with pytest.raises(ValueError, match=r"prices=: model 'gpt-4o'"):
        build_table({"gpt-4o": {"input": -3, "output": 1}}, env={})


def test_invalid_json_reports_line_and_column(tmp_path: Path) -> None:
    """JSON syntax errors report the line and column of the problem."""
    path = _write(tmp_path, '{\n  "m": {"input": 1,, "output": 2}\n}')
    with pytest.raises(PriceFileError, match=r"line 2, column"):
        load_price_file(path)


def test_flat_file_may_name_a_model_models(tmp_path: Path) -> None:
    """A flat file whose model is literally called "models" is not mistaken for the wrapper."""
    path = _write(tmp_path, json.dumps({"models": {"input": 1, "output": 2}}))
    assert "models" in load_price_file(path)


# --- the shipped table -------------------------------------------------------


def _shipped() -> dict[str, Any]:
    text = resources.files("otel_langchain").joinpath("prices.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def test_shipped_prices_have_meta() -> None:
    """The built-in prices.json records its sources, date, currency and unit."""
    meta = _shipped()["_meta"]
    assert meta["source"]
    assert meta["as_of"] == "2026-11"
    assert meta["currency"] == "USD"
    assert meta["unit"] == "per 1M tokens"


def test_shipped_prices_are_all_valid() -> None:
    """Every shipped entry validates and is a sane price."""
    models = _shipped()["models"]
    table = default_table()
    assert len(table) == len(models) > 80
    for name, entry in models.items():
        assert name == name.strip().lower()
        assert name in table
        assert set(entry) <= {"input", "output", "cache_read", "cache_write"}
        assert all(math.isfinite(v) and v >= 0 for v in entry.values())
        if "cache_read" in entry:
            assert entry["cache_read"] <= entry["input"], name


def test_shipped_keys_resolve_to_themselves() -> None:
    """Each shipped key looks up to its own entry, never to a shorter one."""
    table = default_table()
    for name in _shipped()["models"]:
        found = table.lookup(name)
        assert found is not None
        assert found[0] == name


def test_default_table_is_cached() -> None:
    """The built-in table is parsed once."""
    assert default_table() is default_table()


# --- robustness --------------------------------------------------------------


@given(st.lists(st.one_of(st.none(), st.text()), max_size=4))
def test_lookup_never_raises(names: list[str | None]) -> None:
    """Lookup on arbitrary text returns a match or None and never raises."""
    found = default_table().lookup(*names)
    assert found is None or isinstance(found[1], ModelPrice)


def test_lookup_tolerates_non_string_names() -> None:
    """Non-string model values (even unhashable ones) are skipped, never raised on."""
    table = default_table()
    assert table.lookup(["gpt-4o"], "gpt-4o") == table.lookup("gpt-4o")  # type: ignore[arg-type]
    assert table.lookup(42) is None  # type: ignore[arg-type]


def test_merging_nothing_keeps_the_table() -> None:
    """Merging an empty override returns the same table, and repr shows its size."""
    table = default_table()
    assert table.merged({}) is table
    assert repr(table) == f"PriceTable({len(table)} models)"
