"""The suite's figures by workload and mode, their formatting, and the validity checks."""

from __future__ import annotations

from typing import Any

from modes import EXACT_SPANS, MAIN_MODES, NO_SPANS, PEERS

OURS, OURS_ON = "ours (content off)", "ours (content on)"


class Figures:
    """Per-invoke instruction counts (and the raw results) by (workload, mode, tag)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.raw: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.errors: list[str] = []
        for got in (data.get("cg") or {}).values():
            meta = got["job"]["meta"]
            key = (meta["workload"], meta["mode"], meta["tag"])
            if "error" in got:
                self.errors.append(f"{key}: {got['error'].strip().splitlines()[-1]}")
                continue
            self.raw[key] = got["results"][meta["workload"]]

    def get(self, w: str, m: str, tag: str = "") -> dict[str, Any] | None:
        return self.raw.get((w, m, tag))

    def per_invoke(self, w: str, m: str, tag: str = "") -> float | None:
        r = self.get(w, m, tag)
        if r is None:
            return None
        return float(r["instructions"] / r["units"] / r["invokes_per_unit"] / 1000)

    def overhead(self, w: str, m: str, tag: str = "") -> float | None:
        total, base = self.per_invoke(w, m, tag), self.per_invoke(w, "none")
        return None if total is None or base is None else total - base

    def traces_every_run(self, w: str, m: str) -> bool:
        r = self.get(w, m)
        return r is not None and r["spans_per_unit"] >= r["runs_per_unit"] > 0

    def best_peer(self, w: str, content: str) -> tuple[str, float] | None:
        found = [
            (p, o)
            for p in PEERS
            if (o := self.overhead(w, f"{p} (content {content})")) is not None
            and self.traces_every_run(w, f"{p} (content {content})")
        ]
        return min(found, key=lambda x: x[1]) if found else None


def num(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}"


def ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or not b else f"{a / b:.2f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def check_lines(f: Figures, data: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Failed checks (the figures are not valid), and notes on what peers do not trace."""
    bad, notes = list(f.errors), []
    for (w, m, tag), r in sorted(f.raw.items()):
        where = f"{w} / {m}{' / ' + tag if tag else ''}"
        peer = m.partition(" (content ")[0] in PEERS
        if m in EXACT_SPANS and r["spans_per_unit"] != r["runs_per_unit"]:
            bad.append(f"{where}: {r['spans_per_unit']:g} span(s) for {r['runs_per_unit']} runs")
        if peer and r["spans_per_unit"] < r["runs_per_unit"]:
            notes.append(f"{where}: {r['spans_per_unit']:g} span(s) for {r['runs_per_unit']} runs")
        elif m not in NO_SPANS and r["spans_per_unit"] == 0:
            bad.append(f"{where}: no span exported")
        if r.get("open_runs"):
            bad.append(f"{where}: {r['open_runs']} runs left open")
        content, seen = MAIN_MODES.get(m), r.get("content_seen")
        if content is not None and seen is not None and seen != content:
            text = f"{where}: content {'recorded' if seen else 'not recorded'}"
            (notes if peer and r["spans_per_unit"] < r["runs_per_unit"] else bad).append(text)
        if m in ("floor M", OURS):
            models, pts = r["model_runs_per_unit"], r["points_per_unit"]
            duration = pts.get("gen_ai.client.operation.duration", 0)
            if duration != models or pts.get("gen_ai.client.token.usage", 0) != 2 * models:
                bad.append(f"{where}: metric points {pts} for {models} model runs")
    for got in (data.get("cpu") or {}).values():
        if "error" in got:
            bad.append(f"cpu {got['job']['meta']}: {got['error'].strip().splitlines()[-1]}")
    return bad, notes
