"""The HTML report: self-contained, safe, and rendered by a real browser."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from otel_langchain.cli import main
from otel_langchain.cli._trace_model import read_trace_file
from otel_langchain.cli.html import render_html

from ._chromium import dump_dom, find_chromium


def _chromium() -> str:
    binary = find_chromium()
    if binary is None:
        message = "chromium is not installed (Debian: apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return binary


def test_report_loads_nothing_from_the_network(fixture_file: Path) -> None:
    """The page has no external scripts, styles, images or fonts, and a CSP that forbids fetches."""
    page = render_html(read_trace_file(fixture_file), title="small")
    assert "default-src 'none'" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<link" not in page and "@import" not in page and "url(" not in page


def test_report_escapes_span_data(tmp_path: Path, fixture_file: Path) -> None:
    """Span names and attributes cannot close the data script or inject markup."""
    hostile = "</script><script>alert(1)</script>"
    text = fixture_file.read_text().replace("retrieval docs", hostile.replace('"', ""))
    path = tmp_path / "hostile.jsonl"
    path.write_text(text)
    page = render_html(read_trace_file(path), title="<b>title</b>")
    assert hostile not in page
    assert "<b>title</b>" not in page
    data = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    assert data is not None
    names = [s["name"] for t in json.loads(data.group(1))["traces"] for s in t["spans"]]
    assert hostile in names


@pytest.mark.integration
def test_waterfall_renders_in_headless_chromium(fixture_file: Path, tmp_path: Path) -> None:
    """Chromium runs the page's script: one bar per span, error rows marked, no JS errors."""
    binary = _chromium()
    out = tmp_path / "report.html"
    assert main(["view", str(fixture_file), "--html", str(out)]) == 0
    dom = dump_dom(binary, out)
    body = re.search(r"<body([^>]*)>", dom)
    assert body is not None, dom[:500]
    attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', body.group(1)))
    assert attrs["data-js-errors"] == ""
    assert attrs["data-rendered-bars"] == attrs["data-expected-bars"] == "11"
    # 4 tool_call / tool_result links drawn as arrows, 1 resume link into the other trace.
    assert attrs["data-rendered-links"] == attrs["data-expected-links"] == "5"
    assert len(re.findall(r'<line class="link tool_call"', dom)) == 2
    assert len(re.findall(r'<line class="link tool_result"', dom)) == 2
    assert "⇠ resume" in dom
    assert len(re.findall(r'<div class="bar ', dom)) == 11
    assert len(re.findall(r'<div class="bar tool error"', dom)) == 1
    assert dom.count('class="row error"') == 1
    assert "Usage and cost by model" in dom
    assert 'class="detail' not in dom


@pytest.mark.integration
def test_error_details_open_in_headless_chromium(fixture_file: Path, tmp_path: Path) -> None:
    """With #open-errors the failed span's attributes and exception event show, no JS errors."""
    binary = _chromium()
    out = tmp_path / "report.html"
    assert main(["view", str(fixture_file), "--html", str(out)]) == 0
    dom = dump_dom(binary, out, fragment="open-errors")
    assert 'data-js-errors=""' in dom
    assert dom.count('class="detail error"') == 1
    assert "Error: ConnectionError: weather service timed out" in dom
    assert "gen_ai.tool.name" in dom and "Event exception at +" in dom


@pytest.mark.integration
def test_link_details_name_the_linked_span_in_headless_chromium(
    fixture_file: Path, tmp_path: Path
) -> None:
    """A span's detail panel lists its links by type and the linked span's name."""
    binary = _chromium()
    text = fixture_file.read_text()
    # Mark the linking spans failed, so #open-errors opens their detail panels.
    data = [json.loads(line) for line in text.splitlines()]
    for rs in data[0]["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                if span.get("links"):
                    span["status"] = {"code": 2, "message": "marked"}
    path = tmp_path / "links.jsonl"
    path.write_text("\n".join(json.dumps(d) for d in data) + "\n")
    out = tmp_path / "report.html"
    assert main(["view", str(path), "--html", str(out)]) == 0
    dom = dump_dom(binary, out, fragment="open-errors")
    assert 'data-js-errors=""' in dom
    assert dom.count("Link tool_call ⇠ ") == 2
    assert dom.count("Link tool_result ⇠ ") == 2
    assert '<a class="jump">execute_tool search_docs</a>' in dom
    assert re.search(
        r"Link resume ⇠ <a class=\"jump\">invoke_agent support_agent \(trace [0-9a-f]{16}\)", dom
    )
