"""``otel-langchain demo``: the offline agent, traced to a file or over OTLP."""

from __future__ import annotations

import fnmatch
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from otel_langchain.cli import main
from otel_langchain.cli._trace_model import TraceFile, read_trace_file

CONTRACT_METRICS = {
    "gen_ai.client.token.usage",
    "gen_ai.client.operation.duration",
    "gen_ai.client.operation.time_to_first_chunk",
    "langchain.llm.cost",
    "langchain.run.duration",
}


@pytest.fixture
def demo_run(
    tmp_path: Path, fresh_globals: None, capsys: pytest.CaptureFixture[str]
) -> tuple[TraceFile, str, Path]:
    """One demo run into a temporary file: what it wrote and what it printed."""
    out = tmp_path / "traces.jsonl"
    assert main(["demo", "--out", str(out), "--no-color", "--html", str(tmp_path / "r.html")]) == 0
    return read_trace_file(out), capsys.readouterr().out, tmp_path


def test_demo_writes_agent_model_tool_and_retrieval_spans(
    demo_run: tuple[TraceFile, str, Path],
) -> None:
    """The file holds four conversations with agent, chat, tool and retrieval spans."""
    data, _, _ = demo_run
    assert len(data.traces) == 4
    names = {s.name for s in data.spans}
    assert {
        "invoke_agent support_agent",
        "chat gpt-4o-mini",
        "execute_tool get_weather",
        "execute_tool search_docs",
        "retrieval DocsRetriever",
    } <= names
    for trace in data.traces:
        (root,) = trace.roots
        assert root.name == "invoke_agent support_agent"
    assert {s.resource["service.name"] for s in data.spans} == {"otel-langchain-demo"}
    conversations = {
        s.attributes.get("gen_ai.conversation.id")
        for s in data.spans
        if not s.name.startswith("evaluation ")  # feedback spans, recorded after the run
    }
    assert conversations == {"demo-1", "demo-2", "demo-3"}


def test_demo_records_the_failed_and_retried_tool_call(
    demo_run: tuple[TraceFile, str, Path],
) -> None:
    """The first weather call is an error span, then a retry event and a successful attempt."""
    data, _, _ = demo_run
    weather = [s for s in data.spans if s.name == "execute_tool get_weather"]
    failed = [s for s in weather if s.is_error]
    assert len(failed) == 1
    assert failed[0].attributes["error.type"] == "TimeoutError"
    assert any(e.name == "exception" for e in failed[0].events)
    retry_parent = next(s for s in data.spans if s.span_id == failed[0].parent_id)
    assert [e.name for e in retry_parent.events] == ["retry"]
    attempts = [c for c in retry_parent.children if c.name == "execute_tool get_weather"]
    assert [a.is_error for a in attempts] == [True, False]


def test_demo_model_spans_look_like_openai(demo_run: tuple[TraceFile, str, Path]) -> None:
    """Model spans carry provider, models, usage, cost and a first-chunk event (streamed)."""
    data, _, _ = demo_run
    chats = [s for s in data.spans if s.name == "chat gpt-4o-mini"]
    assert len(chats) == 8
    for chat in chats:
        assert chat.attributes["gen_ai.provider.name"] == "openai"
        assert chat.attributes["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"
        assert chat.attributes["gen_ai.usage.input_tokens"] > 0
        assert chat.attributes["langchain.llm.cost_usd"] > 0
        assert "gen_ai.first_chunk" in [e.name for e in chat.events]
    assert any(c.attributes.get("gen_ai.usage.cache_read.input_tokens", 0) > 0 for c in chats)
    progress = [e for s in data.spans for e in s.events if e.name == "progress"]
    assert len(progress) == 6


def test_demo_prints_trees_and_the_usage_summary(demo_run: tuple[TraceFile, str, Path]) -> None:
    """The report has the answers, a tree per trace, the per-model table and the HTML file."""
    data, out, tmp_path = demo_run
    assert "It is 21 °C and sunny in Lisbon" in out
    assert out.count("└── invoke_agent support_agent") == 4
    assert "✗ TimeoutError: weather API did not answer within 2.0 s" in out
    assert "Usage and cost by model" in out and "gpt-4o-mini-2024-07-18" in out
    assert f"4 traces, {len(data.spans)} spans, 1 error span," in out
    assert (tmp_path / "r.html").is_file()


def test_demo_guards_spend_and_records_user_ratings(demo_run: tuple[TraceFile, str, Path]) -> None:
    """The demo runs under a budget and rates each answer: one evaluation span per trace."""
    data, out, _ = demo_run
    ratings = [s for s in data.spans if s.name == "evaluation user_rating"]
    assert len(ratings) == 4
    assert sorted(s.attributes["gen_ai.evaluation.score.value"] for s in ratings) == [0, 1, 1, 1]
    for rating in ratings:
        root = next(s for s in data.spans if s.span_id == rating.parent_id)
        assert root.name == "invoke_agent support_agent"
        assert [e.name for e in rating.events] == ["gen_ai.evaluation.result"]
    assert "of track_usage(budget_usd=0.01); 4 answers rated with record_feedback()." in out


def test_demo_honours_otel_service_name(
    tmp_path: Path, fresh_globals: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OTEL_SERVICE_NAME replaces the default service name."""
    monkeypatch.setenv("OTEL_SERVICE_NAME", "my-agent")
    out = tmp_path / "t.jsonl"
    assert main(["demo", "--out", str(out)]) == 0
    assert {s.resource["service.name"] for s in read_trace_file(out).spans} == {"my-agent"}


def test_demo_fails_fast_when_the_endpoint_is_down(
    closed_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unreachable --endpoint is reported in one line before any work, exit status 1."""
    assert main(["demo", "--endpoint", f"http://127.0.0.1:{closed_port}"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "did not accept an OTLP export" in captured.err


@pytest.mark.integration
def test_demo_exports_over_otlp(
    otlp_receiver: Callable[[str], Any],
    fresh_globals: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With OTEL_EXPORTER_OTLP_ENDPOINT, every span (and its parent) and the metrics arrive."""
    receiver = otlp_receiver("grpc")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "http://localhost:16686" in out and "http://localhost:3000" in out
    assert "Usage and cost by model" in out
    exported = [line for line in out.splitlines() if line.startswith("Exported ")]
    assert exported == [
        f"Exported {len(receiver.spans())} spans to OTLP/grpc {receiver.endpoint}.",
        f"Exported {sum(len(m['points']) for m in receiver.metrics())} metric points to "
        f"OTLP/grpc {receiver.endpoint}.",
    ]
    assert not (tmp_path / "otel-langchain-traces.jsonl").exists()
    spans = receiver.spans()
    assert len(spans) >= 40
    assert {s["resource"]["service.name"] for s in spans} == {"otel-langchain-demo"}
    ids = {s["span_id"] for s in spans}
    roots = [s for s in spans if not s["parent_span_id"]]
    assert len(roots) == 4 and {r["name"] for r in roots} == {"invoke_agent support_agent"}
    assert all(s["parent_span_id"] in ids for s in spans if s["parent_span_id"])
    assert CONTRACT_METRICS <= receiver.metric_names()


@pytest.mark.integration
def test_demo_sends_each_signal_to_its_own_endpoint_variable(
    otlp_receiver: Callable[[str], Any],
    fresh_globals: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A per-signal endpoint variable alone turns OTLP on: traces and metrics each go there."""
    traces, metrics = otlp_receiver("grpc"), otlp_receiver("grpc")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", traces.endpoint)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", metrics.endpoint)
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--no-color"]) == 0
    assert len(traces.spans()) >= 40 and traces.metrics() == []
    assert CONTRACT_METRICS <= metrics.metric_names() and metrics.spans() == []
    assert not (tmp_path / "otel-langchain-traces.jsonl").exists()


def test_demo_checks_a_metrics_endpoint_of_its_own_first(
    otlp_receiver: Callable[[str], Any],
    closed_port: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Traces reachable, the metrics endpoint not: one line naming it, before any work."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", otlp_receiver("grpc").endpoint)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", f"http://127.0.0.1:{closed_port}")
    assert main(["demo"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"127.0.0.1:{closed_port} did not accept an OTLP export" in captured.err
    assert captured.err.count("\n") == 1


def _next_commands(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith(". Next:"))
    return [line.strip() for line in lines[start + 1 :] if line.startswith("  ")]


@pytest.mark.integration
def test_demo_next_hint_works_without_an_activated_venv(tmp_path: Path) -> None:
    """The "Next:" commands run as printed from a shell whose PATH lacks the venv."""
    script = Path(sys.executable).with_name("otel-langchain")
    assert script.is_file(), "the package's console script is installed in this venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["PATH"] = "/usr/bin:/bin"  # not activated: the venv's bin is not on PATH
    env["NO_COLOR"] = "1"
    demo = subprocess.run(
        [str(script), "demo"],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert demo.returncode == 0, demo.stderr

    view, replay = _next_commands(demo.stdout)
    assert view.startswith(f"{shlex.quote(str(script))} view otel-langchain-traces.jsonl")
    assert "replay otel-langchain-traces.jsonl --endpoint" in replay
    ran = subprocess.run(
        shlex.split(view),
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    assert (tmp_path / "otel-langchain-traces.html").is_file()


def test_demo_outputs_are_git_ignored() -> None:
    """The files the demo and its hint write in the working directory are in .gitignore."""
    root = Path(__file__).resolve().parents[2]
    patterns = [
        line.strip().lstrip("/")
        for line in (root / ".gitignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for output in ("otel-langchain-traces.jsonl", "otel-langchain-traces.html"):
        assert any(fnmatch.fnmatch(output, pattern) for pattern in patterns), output


@pytest.mark.integration
def test_demo_with_endpoint_and_out_writes_what_it_exports(
    otlp_receiver: Callable[[str], Any],
    fresh_globals: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--endpoint with --out exports over OTLP and writes the same spans to the file."""
    receiver = otlp_receiver("grpc")
    out = tmp_path / "copy.jsonl"
    assert main(["demo", "--endpoint", receiver.endpoint, "--out", str(out), "--no-color"]) == 0
    written = {(s.span_id, s.parent_id, s.name) for s in read_trace_file(out).spans}
    exported = {(s["span_id"], s["parent_span_id"], s["name"]) for s in receiver.spans()}
    assert len(written) >= 40
    assert written == exported
    assert f"Exported {len(written)} spans to file {out}." in capsys.readouterr().out
