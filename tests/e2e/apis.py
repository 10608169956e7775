"""Thin clients for the APIs the end-to-end test reads: Jaeger, Collector metrics (and PromAPI)."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from typing import Any

from .spans import by_id, from_otlp_json

try:  # tests/ as a package or as a rootdir on sys.path
    from tests.deploy.prom_api import PromAPI
except ImportError:  # pragma: no cover - depends on how pytest roots the suite
    from deploy.prom_api import PromAPI  # type: ignore[no-redef]

__all__ = ["Jaeger", "PromAPI", "scrape"]


def _get_json(url: str) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as e:
        with e:
            body = e.read().decode("utf-8", "replace")
        raise AssertionError(f"GET {url}: HTTP {e.code}: {body[:500]}") from None


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
