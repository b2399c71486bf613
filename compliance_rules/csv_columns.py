"""What every regulator CSV import shares: the header check, reading rows, and how a bad line is refused.

Regulators keep these lists in spreadsheets, so a refusal names the request's `csv`
field and says where in the file (line and column) and what is wrong, in words: a
malformed file (bad quoting, a field over `FIELD_LIMIT` characters) is refused like
a bad value, never as a parser's exception. A line shows a cell's text at most
`quoted()`-short, so a 100 KiB cell is not echoed back.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from domain.errors import InvalidInput

FIELD = "csv"  # the request field every import reads its text from
FIELD_LIMIT = 131_072  # the csv module's own limit on one field (csv.field_size_limit's default)
Row = dict[str, str]


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
    twice = [c for c in columns if found.count(c) > 1]
    if twice:
        return twice[0], "column given twice; expected " + expected
    return None


def refusal(what: str, line: int, column: str, reason: str) -> InvalidInput:
    """A bad line of a `what` CSV ("crosswalk"), naming the request's `csv` field."""
    where = f"line {line}, column {column}" if column else f"line {line}"
    return InvalidInput(f"{what} CSV {where}: {reason}", field=FIELD)


def _malformed(what: str, line: int, error: csv.Error) -> InvalidInput:
    if "field larger than field limit" in str(error):
        reason = f"a field is longer than {csv.field_size_limit()} characters"
    elif "end of data" in str(error):
        reason = "a quoted field is not closed before the end of the file"
    else:
        reason = (
            "malformed quoting: a quoted field ends at a comma or the end of its line, "
            'and a " inside it is written twice'
        )
    return refusal(what, line, "", reason)


def rows(text: str, what: str, columns: Sequence[str]) -> Iterator[tuple[int, Row]]:
    """(line, row) for every row of `text` after its header, which must name exactly `columns`.

    A row with too few or too many fields, or a file the csv module cannot read,
    is refused naming its line.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    lines = iter(reader)
    try:
        header = next(lines, None)
        problem = header_problem(header, columns)
        if problem is not None:
            raise refusal(what, 1, *problem)
        assert header is not None
        for cells in lines:
            if not cells:
                continue  # a blank line, as csv.DictReader skips it
            if len(cells) != len(header):
                raise refusal(
                    what, reader.line_num, "", f"expected {len(columns)} fields, found {len(cells)}"
                )
            yield reader.line_num, dict(zip(header, cells, strict=True))
    except csv.Error as malformed:
        raise _malformed(what, reader.line_num, malformed) from None
