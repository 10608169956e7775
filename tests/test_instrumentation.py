"""instrument()/uninstrument(), the BaseInstrumentor, and opentelemetry-instrument."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from conftest import Telemetry
from fakes import FakeOpenAIChat
from langchain_core.prompts import ChatPromptTemplate

from otel_langchain import LangChainInstrumentor, OTelCallbackHandler, instrument, uninstrument


@pytest.fixture(autouse=True)
def _clean_global() -> Iterator[None]:
    uninstrument()
    yield
    uninstrument()


def _chain() -> object:
    return ChatPromptTemplate.from_messages([("human", "{q}")]) | FakeOpenAIChat()


def test_instrument_traces_without_call_site_changes(telemetry: Telemetry) -> None:
    """After instrument(), runs are traced with no callbacks passed; uninstrument() stops it."""
    handler = instrument(
        tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider
    )
    assert isinstance(handler, OTelCallbackHandler)
    _chain().invoke({"q": "hi"})  # type: ignore[attr-defined]
    assert telemetry.tree() == {
        "RunnableSequence": None,
        "ChatPromptTemplate": "RunnableSequence",
        "chat gpt-4o-mini": "RunnableSequence",
    }
    uninstrument()
    telemetry.exporter.clear()
    _chain().invoke({"q": "hi"})  # type: ignore[attr-defined]
    assert telemetry.spans() == []


def test_instrument_is_idempotent(telemetry: Telemetry) -> None:
    """Calling instrument() twice returns the same handler and traces each run once."""
    first = instrument(tracer_provider=telemetry.tracer_provider)
    assert instrument() is first
    _chain().invoke({"q": "hi"})  # type: ignore[attr-defined]
    assert len([s for s in telemetry.spans() if s.name == "RunnableSequence"]) == 1


def test_explicit_handler_and_global_do_not_duplicate(telemetry: Telemetry) -> None:
    """A run that already carries an OTelCallbackHandler is not traced twice by instrument()."""
    instrument(tracer_provider=telemetry.tracer_provider)
    _chain().invoke({"q": "hi"}, config={"callbacks": [telemetry.handler()]})  # type: ignore[attr-defined]
    assert len([s for s in telemetry.spans() if s.name == "RunnableSequence"]) == 1


def test_instrument_reaches_plain_threads(telemetry: Telemetry) -> None:
    """A plain threading.Thread started after instrument() is traced too."""
    import threading

    instrument(tracer_provider=telemetry.tracer_provider)
    th = threading.Thread(target=lambda: _chain().invoke({"q": "x"}))  # type: ignore[attr-defined]
    th.start()
    th.join()
    assert any(s.name == "chat gpt-4o-mini" for s in telemetry.spans())


def test_instrumentor_entry_point_is_registered() -> None:
    """The opentelemetry_instrumentor entry point loads LangChainInstrumentor."""
    eps = [ep for ep in entry_points(group="opentelemetry_instrumentor") if ep.name == "langchain"]
    assert len(eps) == 1
    assert eps[0].load() is LangChainInstrumentor


def test_instrumentor_instrument_and_uninstrument(telemetry: Telemetry) -> None:
    """BaseInstrumentor.instrument()/uninstrument() switch global tracing on and off."""
    inst = LangChainInstrumentor()
    inst.instrument(tracer_provider=telemetry.tracer_provider)
    _chain().invoke({"q": "hi"})  # type: ignore[attr-defined]
    assert telemetry.spans()
    inst.uninstrument()
    telemetry.exporter.clear()
    _chain().invoke({"q": "hi"})  # type: ignore[attr-defined]
    assert telemetry.spans() == []


def test_instrumentor_passes_skip_on(telemetry: Telemetry) -> None:
    """LangChainInstrumentor().instrument(skip=...) reaches the handler: no prompt span."""
    inst = LangChainInstrumentor()
    inst.instrument(tracer_provider=telemetry.tracer_provider, skip="prompt")
    try:
        _chain().invoke({"q": "hi"})  # type: ignore[attr-defined]
    finally:
        inst.uninstrument()
    assert telemetry.tree() == {
        "RunnableSequence": None,
        "chat gpt-4o-mini": "RunnableSequence",
    }


def test_opentelemetry_instrument_traces_an_unmodified_app(tmp_path: Path) -> None:
    """`opentelemetry-instrument python app.py` traces LangChain in an app with no tracing code."""
    app = tmp_path / "app.py"
    tests_dir = Path(__file__).parent
    app.write_text(
        textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(tests_dir)!r})
        from fakes import FakeOpenAIChat
        from langchain_core.prompts import ChatPromptTemplate
        chain = ChatPromptTemplate.from_messages([("human", "{{q}}")]) | FakeOpenAIChat()
        print(chain.invoke({{"q": "hi"}}).content)
    """)
    )
    bindir = Path(sys.executable).parent
    env = {
        **os.environ,
        "OTEL_TRACES_EXPORTER": "console",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_SERVICE_NAME": "plain-app",
    }
    proc = subprocess.run(
        [str(bindir / "opentelemetry-instrument"), sys.executable, str(app)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Hello from the fake model." in proc.stdout
    assert '"name": "chat gpt-4o-mini"' in proc.stdout
    assert '"name": "RunnableSequence"' in proc.stdout
    assert '"service.name": "plain-app"' in proc.stdout
