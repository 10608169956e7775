"""``otel-langchain view``: trees and summary from OTLP/JSON files, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from otel_langchain.cli import main
from otel_langchain.cli._render import make_console


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def test_view_prints_trees_and_usage_summary(
    fixture_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """view prints a tree per trace (durations, tokens, cost, errors), then usage per model."""
    assert main(["view", str(fixture_file), "--no-color"]) == 0
    out = capsys.readouterr().out
    lines = _lines(out)
    assert sum(1 for line in lines if line.startswith("trace ")) == 2
    assert any("invoke_agent support_agent" in line and "[retry]" in line for line in lines)
    assert any("chat gpt-4o-mini" in line and "120→18 tok · $0.000029" in line for line in lines)
    assert any("chat gpt-4o-mini" in line and "cost ?" in line for line in lines)
    error_line = next(line for line in lines if "execute_tool get_weather" in line)
    assert "✗ ConnectionError: weather service timed out" in error_line
    search = next(i for i, line in enumerate(lines) if "execute_tool search_docs" in line)
    assert "retrieval docs" in lines[search + 1]
    assert lines[search + 1].index("retrieval") > lines[search].index("execute_tool")
    assert "gpt-4o-mini-2024-07-18" in out
    assert "$0.000114 + 1 unpriced" in out
    assert "2 traces, 11 spans, 1 error span, 1 metric point" in out


def test_view_marks_span_links_with_the_linked_span(
    fixture_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each linking span names its link type and the linked span, other traces included."""
    assert main(["view", str(fixture_file), "--no-color"]) == 0
    lines = _lines(capsys.readouterr().out)
    tools = [line for line in lines if "── execute_tool search_docs" in line]
    assert len(tools) == 2 and all("⇠ tool_call: chat gpt-4o-mini" in t for t in tools)
    results = [line for line in lines if "⇠ tool_result: execute_tool search_docs" in line]
    assert len(results) == 2 and all("chat gpt-4o-mini" in r for r in results)
    first, _ = [line.split()[1] for line in lines if line.startswith("trace ")]
    resumed = [line for line in lines if "⇠ resume:" in line]
    assert len(resumed) == 1
    assert f"⇠ resume: invoke_agent support_agent (trace {first})" in resumed[0]


def test_view_names_link_targets_missing_from_the_file(
    fixture_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A link to a span the file does not hold is shown by id, not dropped."""
    first, *rest = fixture_file.read_text().splitlines()
    doc = json.loads(first)
    for rs in doc["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                for link in span.get("links", []):
                    link["spanId"] = "00000000deadbeef"
    path = tmp_path / "missing.jsonl"
    path.write_text("\n".join([json.dumps(doc), *rest]) + "\n")
    assert main(["view", str(path), "--no-color"]) == 0
    out = capsys.readouterr().out
    assert out.count("span 00000000deadbeef, not in this file") == 4


def test_view_summary_only_and_limit(
    fixture_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--summary-only prints no trees; --limit prints N trees and says how many are left."""
    assert main(["view", str(fixture_file), "--summary-only"]) == 0
    out = capsys.readouterr().out
    assert "trace " not in out and "Usage and cost by model" in out
    assert main(["view", str(fixture_file), "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert out.count("invoke_agent support_agent") == 1
    assert "(1 more traces not shown)" in out


def test_view_reads_collector_encoding(
    fixture_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Numeric enums and int64s, as the Collector's file exporter writes them, are read too."""
    text = fixture_file.read_text()
    for name, number in (
        ("SPAN_KIND_CLIENT", 3),
        ("SPAN_KIND_INTERNAL", 1),
        ("STATUS_CODE_ERROR", 2),
    ):
        text = text.replace(f'"{name}"', str(number))
    text = text.replace('{"intValue": "120"}', '{"intValue": 120}')
    collector = tmp_path / "collector.json"
    collector.write_text(text)
    assert main(["view", str(collector)]) == 0
    out = capsys.readouterr().out
    assert "✗ ConnectionError: weather service timed out" in out
    assert "120→18 tok" in out


def test_view_reads_one_pretty_printed_document(
    fixture_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A single indented OTLP/JSON document (not JSON lines) is accepted."""
    first = json.loads(fixture_file.read_text().splitlines()[0])
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps(first, indent=2))
    assert main(["view", str(pretty)]) == 0
    assert "11 spans" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("this is not json\n", ":1: not JSON"),
        ('{"hello": "world"}\n', "no OTLP/JSON resourceSpans or resourceMetrics found"),
        (
            '{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "x"}]}]}]}\n',
            ":1: not valid OTLP/JSON",
        ),
        ("[1, 2]\n", "expected a JSON object"),
        ("", "no OTLP/JSON"),
    ],
    ids=["missing", "not-json", "no-otlp", "span-without-ids", "not-object", "empty"],
)
def test_view_bad_file_is_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    """A bad file gives exit status 2 and one clear line on stderr, never a traceback."""
    path = tmp_path / "bad.jsonl"
    if content is not None:
        path.write_text(content)
    assert main(["view", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("otel-langchain: error: ")
    assert message in captured.err
    assert "Traceback" not in captured.err


def test_view_html_unwritable_is_one_line_error(
    fixture_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--html into a missing directory fails with one line and status 2."""
    assert (
        main(["view", str(fixture_file), "--html", str(tmp_path / "no" / "such" / "r.html")]) == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write" in err


@pytest.mark.parametrize("command", ["demo", "view", "replay", "doctor"])
def test_every_subcommand_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`otel-langchain COMMAND --help` exits 0 and describes the command."""
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: otel-langchain {command}")
    assert "--no-color" in out


def test_top_level_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    """`otel-langchain --help` lists every subcommand; no command at all exits 2 with the help."""
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("demo", "view", "replay", "doctor"):
        assert command in out
    assert main([]) == 2
    assert "usage: otel-langchain" in capsys.readouterr().err


def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """Unknown commands and missing arguments give one line on stderr and exit status 2."""
    assert main(["frobnicate"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid choice" in err
    assert main(["view"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "FILE" in err


def test_no_color_env_turns_colour_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_COLOR (any value) and --no-color both give a console without colour."""
    assert make_console(no_color=True).no_color
    monkeypatch.setenv("NO_COLOR", "1")
    assert make_console().no_color
