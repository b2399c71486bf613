"""Crosswalk entries as CSV: what regulators load, and what the gateway gives back.

Regulators keep these lists in spreadsheets, so the import is strict and
explains itself: a bad row is refused with its line number and column, and
nothing is loaded. Loading the same file twice, or the same link twice in one
file (either way round), yields each entry once; the same link with a different
source reference is refused, because two regulators' statements should not be
merged silently.

Columns (a header row, in any order, exactly these names):
programme_a, project_a, programme_b, project_b, period_start, period_end,
source_reference, loaded_by. Periods are ISO dates (YYYY-MM-DD), both empty
when the link holds for every monitoring period.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date

from pydantic import ValidationError

from compliance_rules import csv_columns
from compliance_rules.csv_columns import Row
from compliance_rules.facts import CrosswalkEntry
from compliance_rules.periods import Period
from domain.errors import GatewayError, InvalidInput, quoted

COLUMNS = (
    "programme_a",
    "project_a",
    "programme_b",
    "project_b",
    "period_start",
    "period_end",
    "source_reference",
    "loaded_by",
)

_WHAT = "crosswalk"
# Registrations are ids as the ledger keeps them; statements are a sentence or a reference.
_LONGEST = {"programme_a": 128, "project_a": 128, "programme_b": 128, "project_b": 128} | {
    "source_reference": 1000,
    "loaded_by": 256,
}

# date.fromisoformat also takes 20190101 and week dates; the documented form is the only one accepted.
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def read_crosswalk_csv(text: str) -> list[CrosswalkEntry]:
    """Every distinct entry in `text`, in file order; InvalidInput naming line and column otherwise."""
    entries: dict[object, tuple[int, CrosswalkEntry]] = {}
    for line, row in csv_columns.rows(text, _WHAT, COLUMNS):
        entry = _entry(row, line)
        seen = entries.get(entry.key)
        if seen is None:
            entries[entry.key] = (line, entry)
        elif _statement(seen[1]) != _statement(entry):
            raise _refusal(line, "source_reference", f"the same link as line {seen[0]} with another source")
    return [entry for _, entry in entries.values()]


def write_crosswalk_csv(entries: Iterable[CrosswalkEntry]) -> str:
    """`entries` as CSV with the import's header, one row per link, in a stable order."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for entry in sorted(entries, key=_sort_key):
        writer.writerow(_row(entry))
    return out.getvalue()


def _entry(row: Row, line: int) -> CrosswalkEntry:
    for column, limit in _LONGEST.items():
        if len(row[column]) > limit:
            raise _refusal(line, column, f"{len(row[column])} characters long (at most {limit})")
    fields = {c: row[c] for c in COLUMNS if c not in ("period_start", "period_end")}
    try:
        return CrosswalkEntry.model_validate({**fields, "period": _period(row, line)})
    except ValidationError as error:
        first = error.errors()[0]
        raise _refusal(line, str(first["loc"][0]), first["msg"]) from None
    except GatewayError as error:
        raise _refusal(line, error.field or "", error.message) from None


def _period(row: Row, line: int) -> Period | None:
    start, end = row["period_start"], row["period_end"]
    if not start and not end:
        return None
    begins, ends = _day(start, line, "period_start"), _day(end, line, "period_end")
    if ends < begins:
        raise _refusal(line, "period_end", f"{end} is before period_start {start}")
    return Period(start=begins, end=ends)


def _day(text: str, line: int, column: str) -> date:
    try:
        if not _ISO_DAY.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise _refusal(line, column, f"{quoted(text)} is not a date YYYY-MM-DD") from None


def _statement(entry: CrosswalkEntry) -> tuple[str, str]:
    return entry.source_reference, entry.loaded_by


def _refusal(line: int, column: str, reason: str) -> InvalidInput:
    return csv_columns.refusal(_WHAT, line, column, reason)


def _row(entry: CrosswalkEntry) -> Row:
    period = entry.period
    return {
        "programme_a": entry.programme_a,
        "project_a": entry.project_a,
        "programme_b": entry.programme_b,
        "project_b": entry.project_b,
        "period_start": period.start.isoformat() if period else "",
        "period_end": period.end.isoformat() if period else "",
        "source_reference": entry.source_reference,
        "loaded_by": entry.loaded_by,
    }


def _sort_key(entry: CrosswalkEntry) -> tuple[str, ...]:
    a, b, period = entry.key
    return (*a, *b, str(period or ""))
