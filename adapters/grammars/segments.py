"""Reading one segment of a serial strictly, so every grammar refuses bad input the same way.

Serials arrive copied from web pages and spreadsheets. Each reader here checks a
single segment and, when it is wrong, raises MalformedSerial naming that segment
and saying why, including the usual copy-paste accidents (whitespace, a letter O
for a zero). Nothing is stripped or repaired: a repaired serial could name
someone else's units.
"""

from __future__ import annotations

import re
from datetime import date

import pycountry

from domain.errors import InvalidInput, MalformedSerial
from domain.serials import MAX_UNIT_NUMBER, SerialBlock

_DIGITS = re.compile(r"[0-9]+")
_UPPER = re.compile(r"[A-Z]+")

# Vintages outside this window are typing mistakes, not carbon credits.
EARLIEST_YEAR = 1980
LATEST_YEAR = 2100


def _refuse_noise(serial: str, segment: str, text: str) -> None:
    """Name the copy-paste accidents before the generic complaint, so the fix is obvious."""
    if text == "":
        raise MalformedSerial(serial, segment, "empty")
    if any(ch.isspace() for ch in text):
        raise MalformedSerial(serial, segment, f"contains whitespace: {text!r}")


def split_segments(
    serial: str, separator: str, names: tuple[str, ...], *, part: str | None = None
) -> list[str]:
    """The serial (or one `part` of it) cut at `separator` into exactly `len(names)` segments.

    A truncated serial names its first missing segment; a serial with extra
    segments names the last expected one.
    """
    parts = (serial if part is None else part).split(separator)
    if len(parts) < len(names):
        missing = names[len(parts)]
        raise MalformedSerial(serial, missing, f"missing: expected {len(names)} segments, found {len(parts)}")
    if len(parts) > len(names):
        raise MalformedSerial(
            serial, names[-1], f"followed by extra segments: expected {len(names)}, found {len(parts)}"
        )
    return parts


def digits(serial: str, segment: str, text: str, *, min_len: int = 1, max_len: int = 20) -> str:
    """ASCII digits only, of a bounded length; kept as text so leading zeros survive."""
    _refuse_noise(serial, segment, text)
    if not _DIGITS.fullmatch(text):
        if _DIGITS.fullmatch(text.replace("O", "0").replace("o", "0")):
            raise MalformedSerial(serial, segment, f"letter O where a digit belongs: {text!r}")
        raise MalformedSerial(serial, segment, f"expected digits, got {text!r}")
    if not min_len <= len(text) <= max_len:
        width = str(min_len) if min_len == max_len else f"{min_len}-{max_len}"
        raise MalformedSerial(serial, segment, f"expected {width} digits, got {len(text)}: {text!r}")
    return text


def block_number(serial: str, segment: str, text: str) -> int:
    """A block start or end: a plain number without leading zeros, so it formats back identically."""
    value = digits(serial, segment, text)
    if len(value) > 1 and value.startswith("0"):
        raise MalformedSerial(serial, segment, f"leading zero in a unit number: {text!r}")
    if int(value) > MAX_UNIT_NUMBER:
        raise MalformedSerial(serial, segment, f"unit number above {MAX_UNIT_NUMBER}: {text!r}")
    return int(value)


def ordered_block(serial: str, start: int, end: int, end_segment: str = "block end") -> None:
    if end < start:
        raise MalformedSerial(serial, end_segment, f"{end} is before block start {start}")
    if end - start + 1 > MAX_UNIT_NUMBER:
        raise MalformedSerial(serial, end_segment, f"a block holds at most {MAX_UNIT_NUMBER} units")


def literal(serial: str, segment: str, text: str, expected: tuple[str, ...]) -> str:
    """One of a few fixed words, exactly as written."""
    _refuse_noise(serial, segment, text)
    if text not in expected:
        choices = ", ".join(repr(word) for word in expected)
        raise MalformedSerial(serial, segment, f"expected {choices}, got {text!r}")
    return text


def country(serial: str, segment: str, text: str) -> str:
    """An ISO 3166-1 alpha-2 code in capitals, as pycountry knows it."""
    _refuse_noise(serial, segment, text)
    if len(text) != 2 or not _UPPER.fullmatch(text):
        raise MalformedSerial(serial, segment, f"expected an ISO 3166 alpha-2 code in capitals, got {text!r}")
    if pycountry.countries.get(alpha_2=text) is None:
        raise MalformedSerial(serial, segment, f"{text!r} is not an ISO 3166 country")
    return text


def year(serial: str, segment: str, text: str) -> str:
    value = digits(serial, segment, text, min_len=4, max_len=4)
    if not EARLIEST_YEAR <= int(value) <= LATEST_YEAR:
        raise MalformedSerial(serial, segment, f"year {value} outside {EARLIEST_YEAR}-{LATEST_YEAR}")
    return value


def day_month_year(serial: str, segment: str, text: str) -> date:
    """A DDMMYYYY date that exists in the calendar."""
    value = digits(serial, segment, text, min_len=8, max_len=8)
    year(serial, segment, value[4:])
    try:
        return date(int(value[4:]), int(value[2:4]), int(value[:2]))
    except ValueError as exc:
        raise MalformedSerial(serial, segment, f"{value!r} is not a DDMMYYYY date: {exc}") from None


def small_number(serial: str, segment: str, text: str, low: int, high: int) -> str:
    """A code from a short numbered list (sectoral scope, unit type), kept as written."""
    value = digits(serial, segment, text, max_len=len(str(high)))
    if not low <= int(value) <= high:
        raise MalformedSerial(serial, segment, f"expected {low}-{high}, got {text!r}")
    return value


def written_by(block: SerialBlock, programme: str) -> None:
    """Refuse to write a block in a grammar other than its issuing programme's."""
    if block.programme != programme:
        raise InvalidInput(
            f"a {block.programme} block cannot be written as a {programme} serial", field="serial"
        )


def attribute(block: SerialBlock, key: str) -> str:
    """A segment the grammar keeps in `attributes`; its absence means the block was not parsed here."""
    try:
        return block.attributes[key]
    except KeyError:
        raise InvalidInput(
            f"a {block.programme} block needs attribute {key!r} to be written as a serial", field="serial"
        ) from None


def shaped(serial: str, segment: str, text: str, shape: re.Pattern[str], expectation: str) -> str:
    """A segment that must match `shape`; `expectation` tells the reader what was wanted."""
    _refuse_noise(serial, segment, text)
    if not shape.fullmatch(text):
        raise MalformedSerial(serial, segment, f"expected {expectation}, got {text!r}")
    return text
