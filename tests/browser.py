"""Debian's chromium for the browser tests, started as this machine allows, never a downloaded browser.

Without it the browser tests skip on a workstation and fail under CI (the Makefile installs it),
so CI cannot pass without having run them. The flags keep chromium off the network it would
otherwise call at start (this machine's network is closed) and out of a sandbox it cannot make
as root.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    """Skip (or, under CI, fail) when chromium is missing."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (`make {CHROMIUM}` installs Debian's chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
