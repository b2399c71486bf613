"""The one header check every regulator CSV import makes: exactly its columns, in any order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def header_problem(fieldnames: Iterable[str] | None, columns: Sequence[str]) -> tuple[str, str] | None:
    """(column, reason) for the first missing or unknown column of a header, or None when it is right."""
    found = list(fieldnames or [])
    expected = ", ".join(columns)
    missing = [c for c in columns if c not in found]
    if missing:
        return missing[0], "missing column; expected " + expected
    unknown = [c for c in found if c not in columns]
    if unknown:
        return unknown[0], "unknown column; expected " + expected
    return None
