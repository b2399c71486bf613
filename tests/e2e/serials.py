"""CCER serials for the end-to-end tests, one project per test so tests never share serials."""

from __future__ import annotations

import itertools
from collections.abc import Callable

_projects = itertools.count(100_001)

CcerSerial = Callable[[int, int], str]


def ccer_serials() -> CcerSerial:
    """A serial maker bound to a fresh CCER project (the gateway-defined CCER grammar)."""
    project = next(_projects)
    return lambda start, end: f"CCER-CN-{project}-2024-3-{start}-{end}"
