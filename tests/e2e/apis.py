"""Thin clients for the APIs the end-to-end test reads: Prometheus, Jaeger, Collector metrics."""

from __future__ import annotations

import json
import math
import re
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from typing import Any

from .spans import by_id, from_otlp_json


def _get_json(url: str) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as e:
        with e:
            body = e.read().decode("utf-8", "replace")
        raise AssertionError(f"GET {url}: HTTP {e.code}: {body[:500]}") from None


class Prometheus:
    """Prometheus's HTTP API."""

    def __init__(self, base: str) -> None:
        self.base = base

    def get(self, path: str, **params: Any) -> Any:
        url = f"{self.base}{path}?{urllib.parse.urlencode(params, doseq=True)}"
        body = _get_json(url)
        assert body["status"] == "success", f"{path} {params}: {body}"
        return body["data"]

    def query(self, expr: str) -> dict[str, Any]:
        return self.get("/api/v1/query", query=expr)  # type: ignore[no-any-return]

    def values(self, expr: str) -> list[tuple[dict[str, str], float]]:
        """(labels, value) of every sample an instant query returns (a scalar has no labels)."""
        data = self.query(expr)
        if data["resultType"] == "scalar":
            return [({}, float(data["result"][1]))]
        assert data["resultType"] == "vector", f"{expr}: {data['resultType']}"
        return [(r["metric"], float(r["value"][1])) for r in data["result"]]

    def scalar(self, expr: str) -> float | None:
        """The single value of ``expr``, or None when it returns nothing."""
        values = self.values(expr)
        assert len(values) <= 1, f"{expr}: {len(values)} series"
        return values[0][1] if values else None

    def has_data(self, expr: str) -> bool:
        return any(math.isfinite(v) for _, v in self.values(expr))


class Jaeger:
    """Jaeger's query API v3 (OTLP/JSON)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def services(self) -> list[str]:
        return list(_get_json(f"{self.base}/api/v3/services").get("services", []))

    def spans(self, service: str, since: datetime) -> dict[str, dict[str, Any]]:
        """Every span of the service's traces that started after ``since``, by span id."""
        params = {
            "query.service_name": service,
            "query.start_time_min": since.astimezone(timezone.utc).isoformat(),
            "query.start_time_max": (datetime.now(timezone.utc) + timedelta(minutes=1)).isoformat(),
            "query.num_traces": 1000,
            "query.raw_traces": "true",
        }
        url = f"{self.base}/api/v3/traces?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                body = json.load(resp)
        except urllib.error.HTTPError as e:
            with e:
                if e.code == 404:  # nothing found yet
                    return {}
                raise AssertionError(f"GET {url}: HTTP {e.code}: {e.read()[:500]!r}") from None
        return by_id(from_otlp_json(body.get("result", {})))


_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def scrape(url: str) -> list[tuple[str, dict[str, str], float]]:
    """(name, labels, value) of every sample of a Prometheus text exposition."""
    with urllib.request.urlopen(url, timeout=10) as resp:
        text = resp.read().decode("utf-8")
    out = []
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if m and not line.startswith("#"):
            labels = dict(_LABEL.findall(m["labels"] or ""))
            out.append((m["name"], labels, float(m["value"])))
    return out
