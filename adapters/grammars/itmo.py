"""Article 6.2 ITMO serials, in the two forms UNDP's open national registry prints.

Sectoral form, 8 segments: host country - `ITMO` - sectoral scope (1-15) -
programme id - vintage year - 0 - block start - block end, e.g.
`VU-ITMO-11-356-2022-0-27-35`.

Credit form, 7 segments: credit id - host country - first-transferring Party -
project id - block start - block end - vintage year, e.g.
`CA0004-VU-CH-356-1-3000-2023`.

Both forms number units within a host's project (programme) and vintage, so the
serial space is `ITMO:{host}:{project}:{vintage}`: the two printings of the same
units collide. Should a registry restart numbering per credit id, this key gives
false collisions (refusals), never a missed double count; the key would then
gain the credit id. On a partial transfer the holder keeps the lower part of the
block, which is what `SerialBlock.split` returns as the head.
"""

from __future__ import annotations

import re

from adapters.grammars import segments
from domain.serials import SerialBlock

PROGRAMME = "ITMO"
UNIT_TYPE = "ITMO"
SECTORAL_NAMES = (
    "host country",
    "unit type",
    "sectoral scope",
    "programme id",
    "vintage",
    "reserved",
    "block start",
    "block end",
)
CREDIT_NAMES = (
    "credit id",
    "host country",
    "first-transferring party",
    "project id",
    "block start",
    "block end",
    "vintage",
)
_CREDIT_ID = re.compile(r"[A-Z]{1,4}[0-9]{1,8}")
_CREDIT_SHAPE = re.compile(r"\s*[A-Z]{1,4}[0-9]{1,8}-[A-Z]{2}-[A-Z]{2}-")


class ItmoGrammar:
    programme = PROGRAMME

    def claims(self, serial: str) -> bool:
        return serial.split("-")[1:2] == [UNIT_TYPE] or _CREDIT_SHAPE.match(serial) is not None

    def parse(self, serial: str) -> SerialBlock:
        if serial.split("-")[1:2] == [UNIT_TYPE]:
            return self._sectoral(serial)
        return self._credit(serial)

    def _sectoral(self, serial: str) -> SerialBlock:
        values = dict(zip(SECTORAL_NAMES, segments.split_segments(serial, "-", SECTORAL_NAMES), strict=True))
        host = segments.country(serial, "host country", values["host country"])
        scope = segments.small_number(serial, "sectoral scope", values["sectoral scope"], 1, 15)
        project = segments.digits(serial, "programme id", values["programme id"], max_len=10)
        vintage = segments.year(serial, "vintage", values["vintage"])
        reserved = segments.literal(serial, "reserved", values["reserved"], ("0",))
        start, end = self._range(serial, values)
        attributes = {"form": "sectoral", "sectoral_scope": scope, "reserved": reserved}
        return self._block(host, project, vintage, start, end, attributes)

    def _credit(self, serial: str) -> SerialBlock:
        values = dict(zip(CREDIT_NAMES, segments.split_segments(serial, "-", CREDIT_NAMES), strict=True))
        credit_id = segments.shaped(
            serial, "credit id", values["credit id"], _CREDIT_ID, "capitals then digits, like CA0004"
        )
        host = segments.country(serial, "host country", values["host country"])
        first = segments.country(serial, "first-transferring party", values["first-transferring party"])
        project = segments.digits(serial, "project id", values["project id"], max_len=10)
        start, end = self._range(serial, values)
        vintage = segments.year(serial, "vintage", values["vintage"])
        attributes = {"form": "credit", "credit_id": credit_id, "first_transferring_party": first}
        return self._block(host, project, vintage, start, end, attributes)

    @staticmethod
    def _range(serial: str, values: dict[str, str]) -> tuple[int, int]:
        start = segments.block_number(serial, "block start", values["block start"])
        end = segments.block_number(serial, "block end", values["block end"])
        segments.ordered_block(serial, start, end)
        return start, end

    @staticmethod
    def _block(
        host: str, project: str, vintage: str, start: int, end: int, attributes: dict[str, str]
    ) -> SerialBlock:
        return SerialBlock(
            programme=PROGRAMME,
            serial_space=f"{PROGRAMME}:{host}:{project}:{vintage}",
            project_id=project,
            vintage=vintage,
            unit_type=UNIT_TYPE,
            country=host,
            start=start,
            end=end,
            attributes=attributes,
        )

    def format(self, block: SerialBlock) -> str:
        segments.written_by(block, PROGRAMME)
        if segments.attribute(block, "form") == "sectoral":
            return "-".join(
                [
                    block.country,
                    UNIT_TYPE,
                    segments.attribute(block, "sectoral_scope"),
                    block.project_id,
                    block.vintage,
                    segments.attribute(block, "reserved"),
                    str(block.start),
                    str(block.end),
                ]
            )
        return "-".join(
            [
                segments.attribute(block, "credit_id"),
                block.country,
                segments.attribute(block, "first_transferring_party"),
                block.project_id,
                str(block.start),
                str(block.end),
                block.vintage,
            ]
        )


ITMO = ItmoGrammar()
