"""otel-langchain against the other LangChain instrumentations: overhead and context checks.

Peers: OpenInference (``openinference-instrumentation-langchain``), OpenLLMetry
(``opentelemetry-instrumentation-langchain``) and OpenLIT (``openlit``), pinned in
``benchmarks/requirements-peers.txt``. They patch LangChain process-wide, so every
configuration runs in its own subprocess (``peers.py --run CONFIG``), and this script
only orchestrates and prints. Install the peers in a separate virtualenv (the one
``benchmarks/README.md`` sets up for the suite):

    python3 -m venv .venv-bench
    .venv-bench/bin/pip install -e . -r benchmarks/requirements.txt
    .venv-bench/bin/python benchmarks/peers.py [--rounds 5] [--invokes 1000] [--json OUT]

(a) Overhead: the chain, fake model, span exporter and method of ``overhead.py``.
Every configuration gets the same SDK TracerProvider (BatchSpanProcessor to an
exporter that counts and discards) and MeterProvider (InMemoryMetricReader, default
trace-based exemplar filter), set as the global providers too. Each round starts one
subprocess per configuration, in an order rotated by one each round; a subprocess
warms up, then times ``invoke`` and ``ainvoke``. Overhead = configuration minus
``none`` of the same round; medians over rounds. Afterwards (untimed) it counts the
spans and metric measurements (``record``/``add`` calls) per invoke.
Content capture: every instrumentation runs at its default (the peers record prompts,
completions and chain inputs/outputs, otel-langchain does not), and once more with
content switched the other way by the project's own setting:

- ``otel-langchain (content on)``: ``instrument(capture_content=True)``, as
  ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true``;
- ``openinference (content off)``: ``TraceConfig(hide_inputs=True, hide_outputs=True,
  hide_input_messages=True, hide_output_messages=True)``;
- ``openllmetry (content off)``: ``TRACELOOP_TRACE_CONTENT=false``;
- ``openlit (content off)``: ``openlit.init(..., capture_message_content=False)``.

(b) Checks, one subprocess per instrumentation, capture settings at their defaults
(the configurations without "content" in their name):

1. a span opened inside a RunnableLambda is a child of that lambda's run span (invoke);
2. the same under ``ainvoke`` (the lambda has an async function);
3. after ``await chain.ainvoke()`` inside an app span, the app span is current again;
4. no "Failed to detach context" error is logged by invoke, ainvoke, an astream closed
   after its first chunk, and a RunnableParallel batch;
   (extra) 3b / 3c: check 3 after an ``astream`` / ``stream`` closed after its first chunk;
   (extra) 3d: check 3 after an ``astream`` closed after its first chunk and then 20
   event-loop turns (LangChain leaves its inner async generators to the loop's
   finaliser, so their runs end only then); also lists the stream's spans still open;
5. the root run's span is a child of the caller's current span;
6. token usage attributes on the chat model span (the names are listed);
7. an API key given to the model's constructor appears in no span attribute or event:
   a ``SecretStr`` field declared in ``lc_secrets`` (as ChatOpenAI does) and a plain
   ``str`` field (as some community integrations do).

(c) Content check, one subprocess per instrumentation (all configurations): one
``invoke`` and one ``ainvoke`` of the overhead chain; lists the span and span event
attributes whose value holds the chain's system prompt, question or answer text, and
those holding a redaction placeholder.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import ChatGenerationChunk
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda, RunnableParallel
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider, TraceBasedExemplarFilter
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExportResult,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from overhead import (
    QUESTION,
    BareHandler,
    DiscardExporter,
    FakeOpenAIChat,
    _now,
    _per_invoke,
    build_chain,
    machine,
)
from pydantic import Field, SecretStr

CONFIGS = [
    "none",
    "floor",
    "otel-langchain",
    "otel-langchain (handler)",
    "otel-langchain (content on)",
    "openinference",
    "openinference (content off)",
    "openllmetry",
    "openllmetry (content off)",
    "openlit",
    "openlit (content off)",
]
INSTRUMENTATIONS = [c for c in CONFIGS if c not in ("none", "floor")]
# The context and data checks run on the default capture settings only.
CHECKED = [c for c in INSTRUMENTATIONS if "content" not in c]
PACKAGES = {
    "otel-langchain": "otel-langchain",
    "openinference": "openinference-instrumentation-langchain",
    "openllmetry": "opentelemetry-instrumentation-langchain",
    "openlit": "openlit",
}
# Capture switches left at their defaults: none of these may leak in from the shell.
CAPTURE_ENV = (
    "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
    "TRACELOOP_TRACE_CONTENT",
    "OPENINFERENCE_HIDE_INPUTS",
    "OPENINFERENCE_HIDE_OUTPUTS",
    "OPENINFERENCE_HIDE_INPUT_MESSAGES",
    "OPENINFERENCE_HIDE_OUTPUT_MESSAGES",
    "OTEL_METRICS_EXEMPLAR_FILTER",
)
# Text of the overhead chain's system prompt, question and answer (compared
# case-insensitively): an attribute value holding any of them is recorded content.
CONTENT_MARKERS = {
    "system prompt": "you answer in one sentence",
    "question": "what is opentelemetry",
    "answer": "observability framework",
}

KEY_SECRET = "sk-peers-secretstr-0123456789abcdef"
KEY_PLAIN = "sk-peers-plainstr-0123456789abcdef"
DETACH = "Failed to detach context"


# --- what every configuration shares -------------------------------------------------


class NamingExporter(DiscardExporter):
    """Counts and drops; keeps span names while ``keep`` is on (the untimed count pass)."""

    def __init__(self) -> None:
        super().__init__()
        self.keep = False
        self.names: list[str] = []

    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        if self.keep:
            self.names.extend(s.name for s in spans)
        return super().export(spans)


def providers(span_processor: Any) -> tuple[TracerProvider, MeterProvider, InMemoryMetricReader]:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(span_processor)
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(
        metric_readers=[reader], exemplar_filter=TraceBasedExemplarFilter()
    )
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(meter_provider)
    return tracer_provider, meter_provider, reader


def install(name: str, tracer_provider: TracerProvider, meter_provider: MeterProvider) -> Any:
    """Instrument LangChain the way each project documents; returns run-time callbacks.

    ``(content on)`` / ``(content off)`` switch content capture with the project's own
    documented setting; every other configuration keeps its default.
    """
    content_off = name.endswith(" (content off)")
    name = name.removesuffix(" (content off)")
    if name == "floor":
        return [BareHandler(tracer_provider)]
    if name == "otel-langchain":
        from otel_langchain import instrument

        instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    elif name == "otel-langchain (content on)":
        from otel_langchain import instrument

        # = OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true
        instrument(
            tracer_provider=tracer_provider, meter_provider=meter_provider, capture_content=True
        )
    elif name == "otel-langchain (handler)":
        from otel_langchain import OTelCallbackHandler

        return [OTelCallbackHandler(tracer_provider=tracer_provider, meter_provider=meter_provider)]
    elif name == "openinference":
        from openinference.instrumentation import TraceConfig
        from openinference.instrumentation.langchain import LangChainInstrumentor

        options: dict[str, Any] = {}
        if content_off:  # = OPENINFERENCE_HIDE_INPUTS / _OUTPUTS / _INPUT_MESSAGES / ...
            options["config"] = TraceConfig(
                hide_inputs=True,
                hide_outputs=True,
                hide_input_messages=True,
                hide_output_messages=True,
            )
        LangChainInstrumentor().instrument(tracer_provider=tracer_provider, **options)
    elif name == "openllmetry":
        from opentelemetry.instrumentation.langchain import LangchainInstrumentor

        if content_off:  # read on every run; the documented switch
            os.environ["TRACELOOP_TRACE_CONTENT"] = "false"
        LangchainInstrumentor().instrument(
            tracer_provider=tracer_provider, meter_provider=meter_provider
        )
    elif name == "openlit":
        import openlit

        # A local price table: the default fetches one over the network at init.
        # Events (logs) off: the others emit none by default either.
        prices = {"chat": {"gpt-4o-mini": {"promptPrice": 0.00015, "completionPrice": 0.0006}}}
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(prices, f)
        openlit.init(
            disabled_instrumentors=[n for n in openlit.MODULE_NAME_MAP if n != "langchain"],
            pricing_json=f.name,
            disable_events=True,
            **({"capture_message_content": False} if content_off else {}),
        )
        os.unlink(f.name)
    elif name != "none":
        raise SystemExit(f"unknown configuration {name!r}")
    return None


def config_for(callbacks: Any) -> dict[str, Any]:
    return {"callbacks": callbacks} if callbacks else {}


# --- (a) overhead, one configuration in this process ---------------------------------


def count_measurements() -> list[str]:
    """Patch the SDK's measurement consumer to list instrument names (untimed pass only)."""
    from opentelemetry.sdk.metrics._internal import measurement_consumer as mc

    seen: list[str] = []
    original = mc.SynchronousMeasurementConsumer.consume_measurement

    def consume(self: Any, measurement: Any) -> None:
        seen.append(measurement.instrument.name)
        original(self, measurement)

    mc.SynchronousMeasurementConsumer.consume_measurement = consume  # type: ignore[method-assign]
    return seen


def run_overhead(name: str, invokes: int, warmup: int) -> dict[str, Any]:
    exporter = NamingExporter()
    tracer_provider, meter_provider, _ = providers(BatchSpanProcessor(exporter))
    config = config_for(install(name, tracer_provider, meter_provider))
    chain = build_chain()

    def sync_batch(n: int) -> tuple[float, float]:
        invoke = chain.invoke
        start = _now()
        for _ in range(n):
            invoke(QUESTION, config)
        return _per_invoke(start, n)

    async def async_batch(n: int) -> tuple[float, float]:
        start = _now()
        for _ in range(n):
            await chain.ainvoke(QUESTION, config)
        return _per_invoke(start, n)

    sync_batch(warmup)
    asyncio.run(async_batch(warmup))
    gc.collect()
    sync_wall, sync_cpu = sync_batch(invokes)
    gc.collect()
    async_wall, async_cpu = asyncio.run(async_batch(invokes))

    # Untimed: what one invoke produces.
    tracer_provider.force_flush()
    seen = count_measurements()
    before, exporter.keep = exporter.exported, True
    n = 20
    for _ in range(n):
        chain.invoke(QUESTION, config)
    tracer_provider.force_flush()
    exporter.keep = False
    instruments = {k: round(seen.count(k) / n, 2) for k in dict.fromkeys(seen)}
    span_names = {k: round(exporter.names.count(k) / n, 2) for k in dict.fromkeys(exporter.names)}
    tracer_provider.shutdown()
    meter_provider.shutdown()
    return {
        "sync": {"wall": sync_wall, "cpu": sync_cpu},
        "async": {"wall": async_wall, "cpu": async_cpu},
        "spans_per_invoke": (exporter.exported - before) / n,
        "points_per_invoke": len(seen) / n,
        "span_names": span_names,
        "instruments": instruments,
    }


# --- (b) checks, one instrumentation in this process ----------------------------------


class StreamingChat(FakeOpenAIChat):
    """The fake model, streaming three chunks (usage on the last, as ChatOpenAI does)."""

    def _chunks(self) -> list[ChatGenerationChunk]:
        words = ["OpenTelemetry ", "is ", "observability."]
        out = [ChatGenerationChunk(message=AIMessageChunk(content=w, id="s1")) for w in words]
        out[-1] = ChatGenerationChunk(
            message=AIMessageChunk(
                content=words[-1],
                id="s1",
                usage_metadata={"input_tokens": 24, "output_tokens": 9, "total_tokens": 33},
                response_metadata={"model_name": "gpt-4o-mini-2024-07-18", "finish_reason": "stop"},
            )
        )
        return out

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> Iterator[ChatGenerationChunk]:
        yield from self._chunks()

    async def _astream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in self._chunks():
            yield chunk


class SecretKeyChat(FakeOpenAIChat):
    """Key as ChatOpenAI holds it: a SecretStr field named in ``lc_secrets``."""

    openai_api_key: SecretStr = Field(alias="api_key")

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"openai_api_key": "OPENAI_API_KEY"}

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True


class PlainKeyChat(FakeOpenAIChat):
    """Key as a plain ``str`` constructor argument (not serializable: LangChain sends a repr)."""

    api_key: str


class LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def detach_errors(self) -> int:
        return sum(DETACH in r.getMessage() for r in self.records)


class OpenSpans(SpanProcessor):
    """Tracks the spans started and not yet ended."""

    def __init__(self) -> None:
        self.open: dict[int, str] = {}

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        self.open[span.context.span_id] = span.name

    def on_end(self, span: ReadableSpan) -> None:
        if span.context is not None:
            self.open.pop(span.context.span_id, None)


def _attr_strings(span: ReadableSpan) -> Iterator[str]:
    for attrs in [span.attributes, *(e.attributes for e in span.events)]:
        for key, value in (attrs or {}).items():
            yield key
            yield from (map(str, value) if isinstance(value, (list, tuple)) else [str(value)])


def run_checks(name: str) -> dict[str, Any]:
    exporter = InMemorySpanExporter()
    tracer_provider, meter_provider, _ = providers(SimpleSpanProcessor(exporter))
    config = config_for(install(name, tracer_provider, meter_provider))
    tracker = OpenSpans()
    tracer_provider.add_span_processor(tracker)
    app = tracer_provider.get_tracer("app")
    logs = LogCapture()
    logging.getLogger().addHandler(logs)
    inner: dict[str, Any] = {}

    def probe(text: str) -> str:
        with app.start_as_current_span("app.inner") as span:
            inner["span"] = span
        return text.upper()

    async def aprobe(text: str) -> str:
        return probe(text)

    prompt = ChatPromptTemplate.from_messages(
        [("system", "One sentence."), ("human", "{question}")]
    )
    chain: Runnable[Any, Any] = (
        prompt | FakeOpenAIChat() | StrOutputParser() | RunnableLambda(probe, afunc=aprobe)
    )
    out: dict[str, Any] = {}

    def spans() -> list[ReadableSpan]:
        tracer_provider.force_flush()
        got = list(exporter.get_finished_spans())
        exporter.clear()
        return got

    def nesting(got: list[ReadableSpan]) -> tuple[bool, str]:
        span = inner["span"]
        parent = span.parent.span_id if span.parent else None
        lambdas = [s for s in got if "probe" in s.name and s.name != "app.inner"]
        by_id = {s.context.span_id: s.name for s in got}
        ok = bool(lambdas) and parent == lambdas[0].context.span_id
        return ok, f"inner span's parent: {by_id.get(parent, parent)}"

    def root_parented(got: list[ReadableSpan], app_span: Any) -> tuple[bool, str]:
        ours = [s for s in got if not s.name.startswith("app")]
        ids = {s.context.span_id for s in ours}
        roots = [s for s in ours if not s.parent or s.parent.span_id not in ids]
        want = app_span.get_span_context().span_id
        ok = len(roots) == 1 and roots[0].parent is not None and roots[0].parent.span_id == want
        return ok, f"{len(roots)} root span(s): {[r.name for r in roots]}"

    # 1 and 5: invoke inside an app span.
    with app.start_as_current_span("app") as app_span:
        chain.invoke(QUESTION, config)
        sync_current = trace.get_current_span() is app_span
    got = spans()
    out["1_lambda_child_sync"], out["1_detail"] = nesting(got)
    out["5_root_child_of_app"], out["5_detail"] = root_parented(got, app_span)
    out["sync_app_current_after"] = sync_current
    out["detach_errors_invoke"] = logs.detach_errors()
    chat = [s for s in got if s.attributes and any("token" in k for k in s.attributes)]
    out["6_token_usage"] = bool(chat)
    out["6_names"] = sorted(
        {
            k
            for s in chat
            for k, v in (s.attributes or {}).items()
            if "token" in k and "max_tokens" not in k and isinstance(v, int)
        }
    )
    out["span_names"] = sorted(s.name for s in got)

    # 2, 3: ainvoke inside an app span.
    async def ainvoke() -> tuple[Any, bool]:
        with app.start_as_current_span("app") as span:
            await chain.ainvoke(QUESTION, config)
            return span, trace.get_current_span() is span

    app_span, out["3_app_current_after_ainvoke"] = asyncio.run(ainvoke())
    got = spans()
    out["2_lambda_child_async"], out["2_detail"] = nesting(got)
    out["5_async_root_child_of_app"], _ = root_parented(got, app_span)
    out["detach_errors_ainvoke"] = logs.detach_errors() - out["detach_errors_invoke"]

    # 4: astream closed after the first chunk, then a RunnableParallel batch.
    stream_chain = prompt | StreamingChat() | StrOutputParser()

    async def astream_early() -> bool:
        with app.start_as_current_span("app") as span:
            stream = stream_chain.astream(QUESTION, config)
            async for _chunk in stream:
                break
            await stream.aclose()  # type: ignore[attr-defined]
            return trace.get_current_span() is span

    mark = logs.detach_errors()
    out["3b_app_current_after_astream_closed"] = asyncio.run(astream_early())
    gc.collect()
    out["detach_errors_astream_early"] = logs.detach_errors() - mark
    with app.start_as_current_span("app") as span:
        stream = stream_chain.stream(QUESTION, config)
        for _chunk in stream:
            break
        stream.close()  # type: ignore[attr-defined]
        out["3c_app_current_after_stream_closed"] = trace.get_current_span() is span
    gc.collect()
    mark = logs.detach_errors()
    with app.start_as_current_span("app"):
        RunnableParallel(a=chain, b=chain).batch([QUESTION, QUESTION], config)
    gc.collect()
    out["detach_errors_parallel_batch"] = logs.detach_errors() - mark
    out["4_no_detach_errors"] = logs.detach_errors() == 0
    out["other_errors"] = sorted(
        {
            r.getMessage()[:120]
            for r in logs.records
            if r.levelno >= logging.ERROR and DETACH not in r.getMessage()
        }
    )

    # 3d: astream closed after the first chunk, then a few event-loop turns.
    async def astream_drained() -> tuple[bool, list[str]]:
        with app.start_as_current_span("app") as span:
            before = set(tracker.open)
            stream = stream_chain.astream(QUESTION, config)
            async for _chunk in stream:
                break
            await stream.aclose()  # type: ignore[attr-defined]
            for _ in range(20):
                await asyncio.sleep(0)
            still_open = sorted(n for k, n in tracker.open.items() if k not in before)
            return trace.get_current_span() is span, still_open

    spans()
    mark = logs.detach_errors()
    out["3d_app_current_after_astream_closed_and_loop_turns"], out["3d_open_spans"] = asyncio.run(
        astream_drained()
    )
    gc.collect()
    out["detach_errors_astream_drained"] = logs.detach_errors() - mark
    spans()

    # 7: API keys in constructor arguments, capture settings at their defaults.
    leaks = []
    for model, key in (
        (SecretKeyChat(api_key=KEY_SECRET), KEY_SECRET),  # type: ignore[call-arg]
        (PlainKeyChat(api_key=KEY_PLAIN), KEY_PLAIN),
    ):
        (prompt | model | StrOutputParser()).invoke(QUESTION, config)
        for span in spans():
            leaks.extend(
                f"{type(model).__name__} key in span {span.name!r}"
                for s in _attr_strings(span)
                if key in s
            )
    out["7_no_key_in_spans"] = not leaks
    out["7_detail"] = sorted(set(leaks))
    logging.getLogger().removeHandler(logs)
    return out


# --- (c) content check, one configuration in this process ------------------------------


def run_content(name: str) -> dict[str, Any]:
    """One invoke and one ainvoke of the overhead chain; which attributes hold its text."""
    exporter = InMemorySpanExporter()
    tracer_provider, meter_provider, _ = providers(SimpleSpanProcessor(exporter))
    config = config_for(install(name, tracer_provider, meter_provider))
    chain = build_chain()
    chain.invoke(QUESTION, config)
    asyncio.run(chain.ainvoke(QUESTION, config))
    tracer_provider.force_flush()
    got = exporter.get_finished_spans()
    content: dict[str, set[str]] = {}
    placeholders: set[str] = set()
    for span in got:
        for where, attrs in [
            ("", span.attributes),
            *((f"{e.name}: ", e.attributes) for e in span.events),
        ]:
            for key, value in (attrs or {}).items():
                values = value if isinstance(value, (list, tuple)) else [value]
                text = " ".join(map(str, values)).lower()
                found = {kind for kind, m in CONTENT_MARKERS.items() if m in text}
                if found:
                    content.setdefault(where + key, set()).update(found)
                elif "redacted" in text:
                    placeholders.add(where + key)
    return {
        "spans": len(got),
        "content_attributes": [
            f"{key} ({', '.join(k for k in CONTENT_MARKERS if k in kinds)})"
            for key, kinds in sorted(content.items())
        ],
        "placeholder_attributes": sorted(placeholders),
    }


# --- orchestration --------------------------------------------------------------------


def child(args: list[str]) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in CAPTURE_ENV}
    proc = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, env=env, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"{args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def pkg_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "-"


def summarise(runs: dict[str, list[dict[str, Any]]], mode: str) -> dict[str, dict[str, float]]:
    rows: dict[str, dict[str, float]] = {}
    for name, results in runs.items():
        cpu = [r[mode]["cpu"] for r in results]
        row = {
            "cpu_us": statistics.median(cpu),
            "wall_us": statistics.median(r[mode]["wall"] for r in results),
        }
        if name != "none":
            base = runs["none"]
            row["cpu_overhead_us"] = statistics.median(
                r[mode]["cpu"] - b[mode]["cpu"] for r, b in zip(results, base, strict=True)
            )
            row["wall_overhead_us"] = statistics.median(
                r[mode]["wall"] - b[mode]["wall"] for r, b in zip(results, base, strict=True)
            )
        rows[name] = row
    floor = rows["floor"]["cpu_overhead_us"]
    for name, row in rows.items():
        if name not in ("none", "floor"):
            row["x_floor"] = row["cpu_overhead_us"] / floor
    return rows


def print_tables(results: dict[str, Any]) -> None:
    runs = results["runs"]
    print(
        f"\nOverhead: {results['rounds']} rounds x {results['invokes']} invokes, cpu us per invoke"
    )
    print(
        "| configuration | invoke cpu | overhead | x floor | ainvoke cpu | overhead | x floor "
        "| spans / invoke | metric points / invoke |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in runs:
        s, a = results["sync"][name], results["async"][name]
        last = runs[name][-1]

        def cells(row: dict[str, float]) -> str:
            over = f"{row['cpu_overhead_us']:.0f}" if "cpu_overhead_us" in row else "-"
            x = (
                f"{row['x_floor']:.2f}x"
                if "x_floor" in row
                else ("1.00x" if name == "floor" else "-")
            )
            return f"{row['cpu_us']:.0f} | {over} | {x}"

        print(
            f"| {name} | {cells(s)} | {cells(a)} | {last['spans_per_invoke']:g} "
            f"| {last['points_per_invoke']:g} |"
        )
    for name in runs:
        last = runs[name][-1]
        if last["span_names"] or last["instruments"]:
            print(f"  {name}: spans {last['span_names']}; points {last['instruments']}")
    checks = results.get("checks")
    if checks:
        keys = [
            ("1_lambda_child_sync", "1. span in lambda nests under the lambda (invoke)"),
            ("2_lambda_child_async", "2. same under ainvoke"),
            ("3_app_current_after_ainvoke", "3. app span current after ainvoke"),
            ("3b_app_current_after_astream_closed", "3b. (extra) same after astream closed early"),
            ("3c_app_current_after_stream_closed", "3c. (extra) same after stream closed early"),
            (
                "3d_app_current_after_astream_closed_and_loop_turns",
                "3d. (extra) same after astream closed early + 20 loop turns",
            ),
            ("4_no_detach_errors", "4. no 'Failed to detach context' errors"),
            ("5_root_child_of_app", "5. root run span is a child of the app span (invoke)"),
            ("5_async_root_child_of_app", "5. same under ainvoke"),
            ("6_token_usage", "6. token usage on the chat span"),
            ("7_no_key_in_spans", "7. constructor API key in no span attribute"),
        ]
        print("\n| check | " + " | ".join(checks) + " |")
        print("|---|" + "---|" * len(checks))
        for key, label in keys:
            print(
                f"| {label} | "
                + " | ".join("yes" if c[key] else "**no**" for c in checks.values())
                + " |"
            )
        for name, c in checks.items():
            detail = {
                k: v
                for k, v in c.items()
                if not k[0].isdigit() or "detail" in k or "names" in k or k == "3d_open_spans"
            }
            print(f"  {name}: {json.dumps(detail)}")
    content = results.get("content")
    if content:
        print("\n| configuration | content in spans | attributes holding it | placeholders |")
        print("|---|---|---|---|")
        for name, c in content.items():
            held = ", ".join(c["content_attributes"]) or "-"
            print(
                f"| {name} | {'yes' if c['content_attributes'] else 'no'} | {held} "
                f"| {', '.join(c['placeholder_attributes']) or '-'} |"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", metavar="CONFIG", help="(internal) run one configuration")
    parser.add_argument("--checks", action="store_true", help="with --run: the checks instead")
    parser.add_argument(
        "--content", action="store_true", help="with --run: the content check instead"
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--invokes", type=int, default=1000, help="timed invokes per process")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated subset")
    parser.add_argument("--no-checks", action="store_true")
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args(argv)
    if args.run:
        if args.checks:
            result = run_checks(args.run)
        elif args.content:
            result = run_content(args.run)
        else:
            result = run_overhead(args.run, args.invokes, args.warmup)
        print(json.dumps(result))
        return

    names = [n for n in args.configs.split(",") if n]
    for required in ("none", "floor"):
        if required not in names:
            names.insert(0, required)
    started = time.perf_counter()
    runs: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    for r in range(args.rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            runs[name].append(
                child(["--run", name, "--invokes", str(args.invokes), "--warmup", str(args.warmup)])
            )
        print(
            f"round {r + 1}/{args.rounds} done, {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
    results: dict[str, Any] = {
        "machine": machine(),
        "versions": {n: pkg_version(p) for n, p in PACKAGES.items()},
        "rounds": args.rounds,
        "invokes": args.invokes,
        "warmup": args.warmup,
        "runs": runs,
        "sync": summarise(runs, "sync"),
        "async": summarise(runs, "async"),
    }
    if not args.no_checks:
        results["checks"] = {n: child(["--run", n, "--checks"]) for n in names if n in CHECKED}
        results["content"] = {
            n: child(["--run", n, "--content"]) for n in names if n in INSTRUMENTATIONS
        }
    results["seconds"] = round(time.perf_counter() - started, 1)
    print_tables(results)
    print(
        f"\nversions: {results['versions']}\nmachine: {results['machine']}\n"
        f"wall time: {results['seconds']} s"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
