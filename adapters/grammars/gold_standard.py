"""Gold Standard VER serials, 9 segments.

`GS1-1-KE-GS7495-16-2025-30645-608-30350` = fixed prefix `GS1-1` (meaning not
published) - host country - `GS` + project number - project type code - vintage
year - batch id - block start - block end.

Block numbers restart with every batch, so the serial space is `GS:{batch}`;
the range alone is not a key.
"""

from __future__ import annotations

import re

from adapters.grammars import segments
from domain.serials import SerialBlock

PROGRAMME = "GS"
UNIT_TYPE = "VER"
PREFIX = ("GS1", "1")
NAMES = (
    "prefix",
    "prefix version",
    "host country",
    "project id",
    "project type",
    "vintage",
    "batch",
    "block start",
    "block end",
)
_PROJECT = re.compile(r"GS[1-9][0-9]{0,7}")


class GoldStandardGrammar:
    programme = PROGRAMME

    def claims(self, serial: str) -> bool:
        return serial.strip().startswith("GS1-")

    def parse(self, serial: str) -> SerialBlock:
        values = dict(zip(NAMES, segments.split_segments(serial, "-", NAMES), strict=True))
        segments.literal(serial, "prefix", values["prefix"], (PREFIX[0],))
        segments.literal(serial, "prefix version", values["prefix version"], (PREFIX[1],))
        country = segments.country(serial, "host country", values["host country"])
        project = segments.shaped(serial, "project id", values["project id"], _PROJECT, "GS and a number")
        project_type = segments.digits(serial, "project type", values["project type"], max_len=3)
        vintage = segments.year(serial, "vintage", values["vintage"])
        batch = segments.block_number(serial, "batch", values["batch"])
        start = segments.block_number(serial, "block start", values["block start"])
        end = segments.block_number(serial, "block end", values["block end"])
        segments.ordered_block(serial, start, end)
        return SerialBlock(
            programme=PROGRAMME,
            serial_space=f"{PROGRAMME}:{batch}",
            project_id=project,
            vintage=vintage,
            unit_type=UNIT_TYPE,
            country=country,
            start=start,
            end=end,
            attributes={"project_type": project_type, "batch": str(batch)},
        )

    def format(self, block: SerialBlock) -> str:
        segments.written_by(block, PROGRAMME)
        return "-".join(
            [
                *PREFIX,
                block.country,
                block.project_id,
                segments.attribute(block, "project_type"),
                block.vintage,
                segments.attribute(block, "batch"),
                str(block.start),
                str(block.end),
            ]
        )


GOLD_STANDARD = GoldStandardGrammar()
