"""Kyoto unit blocks (CDM CERs, and the AAU/RMU/ERU family) after the Data Exchange Standards.

One unit's serial is: host party (ISO 3166 alpha-2) - unit type (1 AAU, 2 RMU,
3 ERU from AAU, 4 ERU from RMU, 5 CER, 6 tCER, 7 lCER) - unit serial number -
original commitment period - applicable commitment period (0 = 2005-07,
1 = 2008-12, 2 = 2013-20, 3 = 2021-30) - LULUCF activity (0 = none) - project id.
A block is its first and last unit's serials joined by ` - `, and both ends must
agree on everything but the unit number:

    CN-5-1000-2-2-0-1234 - CN-5-1999-2-2-0-1234

The Kyoto accounting modalities (decision 13/CMP.1, annex) make a unit number
unique within its party of origin and commitment period, so the serial space is
`KYOTO:{party}:{original commitment period}` whatever the unit type. No vintage
is encoded; the block's vintage is the original commitment period, `CP2`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from adapters.grammars import segments
from domain.errors import InvalidInput, MalformedSerial
from domain.serials import SerialBlock

BLOCK_JOINT = " - "
UNIT_TYPES = {"1": "AAU", "2": "RMU", "3": "ERU", "4": "ERU", "5": "CER", "6": "tCER", "7": "lCER"}
_FIELDS = (
    "host party",
    "unit type",
    "unit serial number",
    "original commitment period",
    "applicable commitment period",
    "LULUCF activity",
    "project id",
)
FIRST_NAMES = tuple("block start" if f == "unit serial number" else f for f in _FIELDS)
_UNIT_SHAPE = re.compile(r"\s*[A-Z]{2}-[1-7]-[0-9]")
LAST_NAMES = tuple("block end" if f == "unit serial number" else f"last unit {f}" for f in _FIELDS)


@dataclass(frozen=True)
class _Unit:
    party: str
    type_code: str
    number: int
    original_cp: str
    applicable_cp: str
    lulucf: str
    project: str

    def same_but_number(self) -> tuple[str, ...]:
        return (self.party, self.type_code, self.original_cp, self.applicable_cp, self.lulucf, self.project)


class KyotoGrammar:
    """Kyoto blocks limited to the unit types one programme issues (CDM: CER, tCER, lCER)."""

    def __init__(self, programme: str, type_codes: tuple[str, ...]) -> None:
        self.programme = programme
        self.type_codes = type_codes

    def claims(self, serial: str) -> bool:
        return _UNIT_SHAPE.match(serial) is not None

    def parse(self, serial: str) -> SerialBlock:
        ends = serial.split(BLOCK_JOINT)
        if len(ends) != 2:
            found = "no" if len(ends) == 1 else str(len(ends) - 1)
            raise MalformedSerial(
                serial, "block end", f"a block is two unit serials joined by ' - '; found {found} joint(s)"
            )
        first = self._unit(serial, ends[0], FIRST_NAMES)
        last = self._unit(serial, ends[1], LAST_NAMES)
        for name, mine, theirs in zip(
            (n for n in LAST_NAMES if n != "block end"),
            last.same_but_number(),
            first.same_but_number(),
            strict=True,
        ):
            if mine != theirs:
                raise MalformedSerial(serial, name, f"{mine!r} differs from the first unit's {theirs!r}")
        segments.ordered_block(serial, first.number, last.number)
        return self._block(first, last.number)

    def _unit(self, serial: str, text: str, names: tuple[str, ...]) -> _Unit:
        values = segments.split_segments(serial, "-", names, part=text)
        party, type_code, number, original, applicable, lulucf, project = values
        return _Unit(
            party=segments.country(serial, names[0], party),
            type_code=self._type_code(serial, names[1], type_code),
            number=segments.block_number(serial, names[2], number),
            original_cp=segments.small_number(serial, names[3], original, 0, 3),
            applicable_cp=segments.small_number(serial, names[4], applicable, 0, 3),
            lulucf=segments.small_number(serial, names[5], lulucf, 0, 99),
            project=segments.digits(serial, names[6], project, max_len=10),
        )

    def _type_code(self, serial: str, segment: str, text: str) -> str:
        code = segments.small_number(serial, segment, text, 1, 7)
        if code not in self.type_codes:
            wanted = ", ".join(f"{c} ({UNIT_TYPES[c]})" for c in self.type_codes)
            raise MalformedSerial(
                serial, segment, f"{self.programme} issues {wanted}; got {code} ({UNIT_TYPES[code]})"
            )
        return code

    def _block(self, first: _Unit, end: int) -> SerialBlock:
        return SerialBlock(
            programme=self.programme,
            serial_space=f"KYOTO:{first.party}:{first.original_cp}",
            project_id=first.project,
            vintage=f"CP{first.original_cp}",
            unit_type=UNIT_TYPES[first.type_code],
            country=first.party,
            start=first.number,
            end=end,
            attributes={
                "unit_type_code": first.type_code,
                "original_commitment_period": first.original_cp,
                "applicable_commitment_period": first.applicable_cp,
                "lulucf_activity": first.lulucf,
            },
        )

    def format(self, block: SerialBlock) -> str:
        segments.written_by(block, self.programme)
        type_code = segments.attribute(block, "unit_type_code")
        if UNIT_TYPES.get(type_code) != block.unit_type:
            raise InvalidInput(
                f"unit type code {type_code!r} does not write {block.unit_type}", field="serial"
            )
        tail = [
            segments.attribute(block, "original_commitment_period"),
            segments.attribute(block, "applicable_commitment_period"),
            segments.attribute(block, "lulucf_activity"),
            block.project_id,
        ]
        first = "-".join([block.country, type_code, str(block.start), *tail])
        last = "-".join([block.country, type_code, str(block.end), *tail])
        return f"{first}{BLOCK_JOINT}{last}"


CDM = KyotoGrammar("CDM", ("5", "6", "7"))
