"""Serial formats the gateway defines where no public format exists.

No public serial format was found for CCER, the Shenzhen and Guangdong
carbon-inclusive programmes, A6.4ERs, or the Shenzhen, Guangdong and national
allowances. The sandbox registries need one, so every such programme uses the
same seven-segment shape, described once in `DEFINED_FORMATS`:

    {prefix}-{country}-{project}-{vintage}-{batch}-{block start}-{block end}

e.g. `CCER-CN-100231-2024-3-1-50000`. Block numbers restart with every batch, and
a batch is numbered within its project and vintage, so the serial space is
`{programme}:{project}:{vintage}:{batch}`. Allowances come from no project: their
project segment is always `0`. If a registry publishes its own format, its
programme leaves this table for a grammar module of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from adapters.grammars import segments
from domain.serials import SerialBlock

NAMES = ("prefix", "country", "project", "vintage", "batch", "block start", "block end")
NO_PROJECT = "0"


@dataclass(frozen=True)
class DefinedFormat:
    """One programme's row: how its serials start and what their segments may hold."""

    prefix: str
    programme: str
    unit_type: str
    country: str | None  # None: any ISO 3166 host country (A6.4ERs come from everywhere)
    allowance: bool  # allowances have no project; the project segment is always NO_PROJECT
    description: str


DEFINED_FORMATS: dict[str, DefinedFormat] = {
    f.programme: f
    for f in (
        DefinedFormat("CCER", "CCER", "CCER", "CN", False, "China certified emission reduction"),
        DefinedFormat("SZPH", "SZ-PUHUI", "SZ-PHCER", "CN", False, "Shenzhen carbon-inclusive CER"),
        DefinedFormat("PHCER", "PHCER", "PHCER", "CN", False, "Guangdong carbon-inclusive CER"),
        DefinedFormat("A6.4ER", "A6.4ER", "A6.4ER", None, False, "Article 6.4 emission reduction"),
        DefinedFormat("SZA", "SZA", "SZA", "CN", True, "Shenzhen ETS allowance"),
        DefinedFormat("GDEA", "GDEA", "GDEA", "CN", True, "Guangdong ETS allowance"),
        DefinedFormat("CEA", "CEA", "CEA", "CN", True, "China national ETS allowance"),
    )
}

_PROJECT = re.compile(r"[1-9][0-9]{0,11}")


class DefinedGrammar:
    """The gateway-defined grammar of one programme, configured by its `DefinedFormat` row."""

    def __init__(self, spec: DefinedFormat) -> None:
        self.spec = spec
        self.programme = spec.programme

    def claims(self, serial: str) -> bool:
        return serial.strip().startswith(f"{self.spec.prefix}-")

    def parse(self, serial: str) -> SerialBlock:
        # The prefix first: a serial of another programme should hear that, not a segment count.
        segments.literal(serial, "prefix", serial.split("-")[0], (self.spec.prefix,))
        values = dict(zip(NAMES, segments.split_segments(serial, "-", NAMES), strict=True))
        country = self._country(serial, values["country"])
        project = self._project(serial, values["project"])
        vintage = segments.year(serial, "vintage", values["vintage"])
        batch = segments.block_number(serial, "batch", values["batch"])
        start = segments.block_number(serial, "block start", values["block start"])
        end = segments.block_number(serial, "block end", values["block end"])
        segments.ordered_block(serial, start, end)
        return SerialBlock(
            programme=self.programme,
            serial_space=f"{self.programme}:{project}:{vintage}:{batch}",
            project_id=project,
            vintage=vintage,
            unit_type=self.spec.unit_type,
            country=country,
            start=start,
            end=end,
            attributes={"batch": str(batch)},
        )

    def _country(self, serial: str, text: str) -> str:
        if self.spec.country is None:
            return segments.country(serial, "country", text)
        return segments.literal(serial, "country", text, (self.spec.country,))

    def _project(self, serial: str, text: str) -> str:
        if self.spec.allowance:
            segments.literal(serial, "project", text, (NO_PROJECT,))
            return text
        segments.digits(serial, "project", text, max_len=12)
        return segments.shaped(serial, "project", text, _PROJECT, "a project number without leading zeros")

    def format(self, block: SerialBlock) -> str:
        segments.written_by(block, self.programme)
        batch = segments.attribute(block, "batch")
        fields = (self.spec.prefix, block.country, block.project_id, block.vintage, batch)
        return "-".join([*fields, str(block.start), str(block.end)])


GRAMMARS: dict[str, DefinedGrammar] = {p: DefinedGrammar(f) for p, f in DEFINED_FORMATS.items()}


def defined_grammar(programme: str) -> DefinedGrammar:
    """The grammar of one gateway-defined programme; KeyError when it has no row."""
    return GRAMMARS[programme]
