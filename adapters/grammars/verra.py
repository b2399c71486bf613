"""Verra VCU serials, in the current 13-segment form and the older 12-segment form.

13 segments: issuance id - block start - block end - VCS - VCU - code - registry
code - host country - sectoral scope - project id - vintage start (DDMMYYYY) -
vintage end (DDMMYYYY) - flag. The older form lacks the `VCS` segment. The form is
kept in `attributes` so a serial is written back the way it came.

VCS block numbers are unique across the whole registry, so the serial space is
simply "VCS": the issuance id is not a block key (one issuance can cover several
ranges).
"""

from __future__ import annotations

from adapters.grammars import segments
from domain.errors import MalformedSerial
from domain.serials import SerialBlock

PROGRAMME = "VCS"
UNIT_TYPE = "VCU"
REGISTRY_CODES = ("VER", "MER", "APX")  # Verra; Markit and APX for units issued before the merger

_TAIL = (
    "code",
    "registry code",
    "host country",
    "sectoral scope",
    "project id",
    "vintage start",
    "vintage end",
    "flag",
)
NAMES_13 = ("issuance id", "block start", "block end", "programme", "unit type", *_TAIL)
NAMES_12 = ("issuance id", "block start", "block end", "unit type", *_TAIL)


class VerraGrammar:
    """Parses and writes VCU serials of both forms."""

    programme = PROGRAMME

    def claims(self, serial: str) -> bool:
        return f"-{UNIT_TYPE}-" in serial

    def parse(self, serial: str) -> SerialBlock:
        parts = serial.split("-")
        older = len(parts) > 3 and parts[3] == UNIT_TYPE
        names = NAMES_12 if older else NAMES_13
        values = dict(zip(names, segments.split_segments(serial, "-", names), strict=True))
        return self._block(serial, values, form="12" if older else "13")

    def _block(self, serial: str, values: dict[str, str], form: str) -> SerialBlock:
        issuance_id = segments.digits(serial, "issuance id", values["issuance id"], max_len=10)
        start = segments.block_number(serial, "block start", values["block start"])
        end = segments.block_number(serial, "block end", values["block end"])
        segments.ordered_block(serial, start, end)
        if form == "13":
            segments.literal(serial, "programme", values["programme"], (PROGRAMME,))
        segments.literal(serial, "unit type", values["unit type"], (UNIT_TYPE,))
        code = segments.digits(serial, "code", values["code"], min_len=3, max_len=4)
        registry_code = segments.literal(serial, "registry code", values["registry code"], REGISTRY_CODES)
        country = segments.country(serial, "host country", values["host country"])
        scope = segments.small_number(serial, "sectoral scope", values["sectoral scope"], 1, 16)
        project_id = segments.digits(serial, "project id", values["project id"], max_len=7)
        vintage = self._vintage(serial, values["vintage start"], values["vintage end"])
        flag = segments.literal(serial, "flag", values["flag"], ("0", "1"))
        return SerialBlock(
            programme=PROGRAMME,
            serial_space=PROGRAMME,
            project_id=project_id,
            vintage=vintage,
            unit_type=UNIT_TYPE,
            country=country,
            start=start,
            end=end,
            attributes={
                "form": form,
                "issuance_id": issuance_id,
                "code": code,
                "registry_code": registry_code,
                "sectoral_scope": scope,
                "flag": flag,
            },
        )

    @staticmethod
    def _vintage(serial: str, start_text: str, end_text: str) -> str:
        """The vintage as written, `DDMMYYYY-DDMMYYYY`; need not be a calendar year."""
        first = segments.day_month_year(serial, "vintage start", start_text)
        last = segments.day_month_year(serial, "vintage end", end_text)
        if last < first:
            raise MalformedSerial(serial, "vintage end", f"{end_text} is before vintage start")
        return f"{start_text}-{end_text}"

    def format(self, block: SerialBlock) -> str:
        segments.written_by(block, PROGRAMME)
        form = segments.attribute(block, "form")
        marker = [PROGRAMME] if form == "13" else []
        return "-".join(
            [
                segments.attribute(block, "issuance_id"),
                str(block.start),
                str(block.end),
                *marker,
                block.unit_type,
                segments.attribute(block, "code"),
                segments.attribute(block, "registry_code"),
                block.country,
                segments.attribute(block, "sectoral_scope"),
                block.project_id,
                block.vintage,
                segments.attribute(block, "flag"),
            ]
        )


VERRA = VerraGrammar()
