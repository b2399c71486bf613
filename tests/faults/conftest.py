"""The fault suite: each case breaks one thing the gateway depends on while transfers are in flight,
lifts the fault, and ends on the same invariants (tests/faults/invariants.py): every transfer final,
conservation per unit class, no serial live in two places, the anchored log verified.

Each case starts the gateway (and the service it breaks) itself, so it can kill what it started;
cases sharing a gateway live in one file (the suite runs with `--dist loadfile`).
"""

from __future__ import annotations

import logging

import pytest


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record at INFO and above, from every thread (the worker's activities run in threads)."""
    caplog.set_level(logging.INFO)
    return caplog
