"""record_feedback(): GenAI evaluation events and spans on a run's trace, and a histogram."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from uuid import UUID, uuid4

import pytest
from conftest import Telemetry
from fakes import FakeOpenAIChat
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes
from opentelemetry.trace import SpanContext, TraceFlags

from otel_langchain import _safety, record_feedback
from otel_langchain import _semconv as sc
from otel_langchain._ended import EndedRuns


def _chain() -> Any:
    return ChatPromptTemplate.from_messages([("user", "{q}")]) | FakeOpenAIChat()


def _scores(telemetry: Telemetry) -> list[tuple[dict[str, Any], float, int]]:
    return [
        (dict(p.attributes), p.sum, p.count)
        for p in telemetry.metrics().get(sc.METRIC_FEEDBACK_SCORE, [])
    ]


def test_names_follow_the_genai_evaluation_conventions() -> None:
    """Our evaluation attribute names equal the installed semconv package's."""
    assert sc.GEN_AI_EVALUATION_NAME == gen_ai_attributes.GEN_AI_EVALUATION_NAME
    assert sc.GEN_AI_EVALUATION_SCORE_VALUE == gen_ai_attributes.GEN_AI_EVALUATION_SCORE_VALUE
    assert sc.GEN_AI_EVALUATION_SCORE_LABEL == gen_ai_attributes.GEN_AI_EVALUATION_SCORE_LABEL
    assert sc.GEN_AI_EVALUATION_EXPLANATION == gen_ai_attributes.GEN_AI_EVALUATION_EXPLANATION


def test_ended_run_gets_a_child_evaluation_span(telemetry: Telemetry) -> None:
    """After the run ended, feedback by run id is a child span of the run's span, plus a point."""
    handler = telemetry.handler()
    run_id = uuid4()
    _chain().invoke({"q": "hi"}, config={"callbacks": [handler], "run_id": run_id})
    assert record_feedback(run_id, "helpfulness", 0.8, label="good") is True
    root = telemetry.span("RunnableSequence")
    child = telemetry.span("evaluation helpfulness")
    assert child.parent is not None
    assert (child.parent.trace_id, child.parent.span_id) == (
        root.context.trace_id,
        root.context.span_id,
    )
    expected = {
        sc.GEN_AI_EVALUATION_NAME: "helpfulness",
        sc.GEN_AI_EVALUATION_SCORE_VALUE: 0.8,
        sc.GEN_AI_EVALUATION_SCORE_LABEL: "good",
    }
    assert dict(child.attributes) == {**expected, sc.LANGCHAIN_RUN_ID: str(run_id)}
    assert [(e.name, dict(e.attributes)) for e in child.events] == [
        (sc.EVENT_EVALUATION_RESULT, expected)
    ]
    assert _scores(telemetry) == [({sc.GEN_AI_EVALUATION_NAME: "helpfulness"}, 0.8, 1)]


def test_open_run_gets_an_event_on_its_own_span(telemetry: Telemetry) -> None:
    """Feedback while the run is open is a gen_ai.evaluation.result event on its span."""
    handler = telemetry.handler()
    run_id = uuid4()

    def judge(text: Any) -> Any:
        assert record_feedback(run_id, "in_flight_check", "pass") is True
        return text

    (_chain() | RunnableLambda(judge)).invoke(
        {"q": "hi"}, config={"callbacks": [handler], "run_id": run_id}
    )
    root = telemetry.span("RunnableSequence")
    events = [e for e in root.events if e.name == sc.EVENT_EVALUATION_RESULT]
    assert [dict(e.attributes) for e in events] == [
        {sc.GEN_AI_EVALUATION_NAME: "in_flight_check", sc.GEN_AI_EVALUATION_SCORE_LABEL: "pass"}
    ]
    assert not [s for s in telemetry.spans() if s.name.startswith("evaluation ")]
    assert _scores(telemetry) == []  # a label alone has no score to count


async def test_async_code_can_record_feedback(telemetry: Telemetry) -> None:
    """From async code, after ainvoke, by the run id's string form; bools are 1.0 / 0.0."""
    handler = telemetry.handler()
    ids = [uuid4() for _ in range(3)]
    await asyncio.gather(
        *(
            _chain().ainvoke({"q": "x"}, config={"callbacks": [handler], "run_id": rid})
            for rid in ids
        )
    )
    results = [record_feedback(str(rid), "thumbs", rid == ids[0]) for rid in ids]
    assert results == [True, True, True]
    ((attrs, total, count),) = _scores(telemetry)
    assert (attrs, total, count) == ({sc.GEN_AI_EVALUATION_NAME: "thumbs"}, 1.0, 3)
    assert len([s for s in telemetry.spans() if s.name == "evaluation thumbs"]) == 3


def test_comment_is_content_off_by_default(telemetry: Telemetry) -> None:
    """Without content capture the comment is not recorded."""
    handler = telemetry.handler()
    run_id = uuid4()
    _chain().invoke({"q": "hi"}, config={"callbacks": [handler], "run_id": run_id})
    record_feedback(run_id, "user_rating", 4, comment="my email is someone@example.com")
    child = telemetry.span("evaluation user_rating")
    assert sc.GEN_AI_EVALUATION_EXPLANATION not in child.attributes


def test_comment_with_content_on_is_scrubbed_and_redacted(telemetry: Telemetry) -> None:
    """With capture on, the comment is recorded credential-scrubbed and through redact."""
    handler = telemetry.handler(capture_content=True, redact=lambda s: s.replace("Ada", "<name>"))
    run_id = uuid4()
    _chain().invoke({"q": "hi"}, config={"callbacks": [handler], "run_id": run_id})
    record_feedback(
        run_id, "user_rating", 2, comment="Ada says: key sk-ant-abcdefghijkl1234 leaked"
    )
    explanation = telemetry.span("evaluation user_rating").attributes[
        sc.GEN_AI_EVALUATION_EXPLANATION
    ]
    assert explanation == "<name> says: key [REDACTED] leaked"


def test_another_process_records_by_traceparent_or_span_context(telemetry: Telemetry) -> None:
    """A traceparent or SpanContext from elsewhere gets a sampled child span under that span."""
    trace_id, span_id = 0x0AF7651916CD43DD8448EB211C80319C, 0xB7AD6B7169203331
    traceparent = f"00-{trace_id:032x}-{span_id:016x}-01"
    providers = {
        "tracer_provider": telemetry.tracer_provider,
        "meter_provider": telemetry.meter_provider,
    }
    assert record_feedback(traceparent, "judge", 0.25, **providers) is True
    assert record_feedback(f" {traceparent.upper()} ", "judge", 0.5, **providers) is True
    unsampled = SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(0))
    assert record_feedback(unsampled, "judge", 0.75, **providers) is True
    spans = [s for s in telemetry.spans() if s.name == "evaluation judge"]
    assert len(spans) == 3
    for span in spans:
        assert span.parent is not None
        assert (span.context.trace_id, span.parent.span_id) == (trace_id, span_id)
        assert span.parent.is_remote
    assert _scores(telemetry) == [({sc.GEN_AI_EVALUATION_NAME: "judge"}, 1.5, 3)]


def test_unknown_run_id_returns_false_and_keeps_the_score(
    telemetry: Telemetry, caplog: pytest.LogCaptureFixture
) -> None:
    """A run id nobody traced: False, a warning, and the score still counts (newest handler's)."""
    handler = telemetry.handler()
    _safety._reported.discard("feedback-unknown-run")  # logged once per process
    with caplog.at_level(logging.WARNING, logger="otel_langchain"):
        assert record_feedback(uuid4(), "late", 1) is False
    assert any("not known here" in r.getMessage() for r in caplog.records)
    assert _scores(telemetry) == [({sc.GEN_AI_EVALUATION_NAME: "late"}, 1.0, 1)]
    assert not telemetry.spans()
    assert handler.open_runs == 0


def test_ended_runs_are_bounded_oldest_first() -> None:
    """The ended-run map keeps only the most recent runs, and their span contexts exactly."""
    ended = EndedRuns(limit=3)
    provider = TracerProvider()
    ids: list[UUID] = []
    for i in range(5):
        span = provider.get_tracer("t").start_span(f"s{i}")
        span.end()
        ids.append(uuid4())
        ended.add(ids[-1], span)
    assert len(ended) == 3
    assert [ended.get(i) is not None for i in ids] == [False, False, True, True, True]
    found = ended.get(ids[-1])
    assert found is not None
    assert (found.trace_id, found.span_id, found.trace_flags.sampled) == (
        span.context.trace_id,
        span.context.span_id,
        True,
    )


def test_internal_failure_is_logged_not_raised(telemetry: Telemetry) -> None:
    """A tracer provider that fails is our problem: logged, False returned, nothing raised."""

    class Broken(TracerProvider):
        def get_tracer(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("broken provider")

    span_context = SpanContext(1, 2, is_remote=True, trace_flags=TraceFlags(1))
    assert record_feedback(span_context, "x", 1, tracer_provider=Broken()) is False
    assert [type(e) for e in _safety.recorded] == [RuntimeError]
    _safety.recorded.clear()


@pytest.mark.parametrize(
    ("args", "kwargs", "named"),
    [
        ((42, "n", 1), {}, "target"),
        (("not-a-run", "n", 1), {}, "target"),
        # W3C: version ff is invalid, as are all-zero trace and span ids
        ((f"ff-{'ab' * 16}-{'cd' * 8}-01", "n", 1), {}, "target"),
        ((f"00-{'0' * 32}-{'cd' * 8}-01", "n", 1), {}, "target"),
        ((f"00-{'ab' * 16}-{'0' * 16}-01", "n", 1), {}, "target"),
        ((SpanContext(0, 0, is_remote=True), "n", 1), {}, "target"),
        ((uuid4(), "", 1), {}, "name"),
        ((uuid4(), "n" * 200, 1), {}, "name"),
        ((uuid4(), "n", float("inf")), {}, "value"),
        ((uuid4(), "n", None), {}, "value"),
        ((uuid4(), "n", [1]), {}, "value"),
        ((uuid4(), "n", 1, 5), {}, "comment"),
        ((uuid4(), "n", 1), {"label": 3}, "label"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(
    args: tuple[Any, ...], kwargs: dict[str, Any], named: str
) -> None:
    """Bad arguments are the caller's: ValueError naming the argument."""
    with pytest.raises(ValueError, match=named):
        record_feedback(*args, **kwargs)


def test_only_root_runs_are_remembered_after_they_end(telemetry: Telemetry) -> None:
    """An ended inner run is not remembered (the bound holds invocations, not their steps)."""
    handler = telemetry.handler()
    inner: list[UUID] = []

    def step(x: Any, config: Any) -> Any:
        inner.append(config["callbacks"].parent_run_id)
        return x

    (_chain() | RunnableLambda(step)).invoke({"q": "x"}, config={"callbacks": [handler]})
    assert record_feedback(inner[0], "step_score", 1) is False
    assert len(handler._runs.ended) == 1
