"""Headless Chromium helpers: dump a page's DOM after its scripts ran, take a screenshot."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def find_chromium() -> str | None:
    """The Chromium binary on PATH (Debian's ``chromium`` or ``chromium-browser``)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _run(binary: str, *args: str, timeout: float = 90) -> str:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        result = subprocess.run(
            [binary, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**os.environ, "HOME": profile},
        )
    if result.returncode != 0:
        raise RuntimeError(f"chromium exited {result.returncode}: {result.stderr[-2000:]}")
    return result.stdout


def _url(page: Path, fragment: str) -> str:
    return page.resolve().as_uri() + (f"#{fragment}" if fragment else "")


def dump_dom(binary: str, page: Path, *, fragment: str = "") -> str:
    """The DOM of ``page`` (with an optional ``#fragment``) serialised after its scripts ran."""
    return _run(binary, "--dump-dom", _url(page, fragment))


def screenshot(
    binary: str, page: Path, out: Path, *, size: str = "1400,900", fragment: str = ""
) -> None:
    """A PNG of ``page`` at ``size`` (width,height)."""
    _run(binary, f"--screenshot={out.resolve()}", f"--window-size={size}", _url(page, fragment))
