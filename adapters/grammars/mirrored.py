"""The grammar of a registry that issues nothing and holds other programmes' units.

Exchanges such as HKEX Core Climate and MICX hold Verra and Gold Standard units
under their issuing serials (mirrored units keep their serial, so double counting
is caught in the issuer's serial space). Their grammar is the union of the
issuers' grammars: parse with whichever fits, write with the block's own.
"""

from __future__ import annotations

from adapters.grammars import ClaimingGrammar, parse_first_fit
from domain.errors import InvalidInput
from domain.serials import SerialBlock


class MirroredGrammar:
    def __init__(self, programme: str, issuers: tuple[ClaimingGrammar, ...]) -> None:
        self.programme = programme
        self.issuers = issuers

    def claims(self, serial: str) -> bool:
        return any(issuer.claims(serial) for issuer in self.issuers)

    def parse(self, serial: str) -> SerialBlock:
        return parse_first_fit(serial, self.issuers)

    def format(self, block: SerialBlock) -> str:
        for issuer in self.issuers:
            if issuer.programme == block.programme:
                return issuer.format(block)
        held = ", ".join(issuer.programme for issuer in self.issuers)
        raise InvalidInput(f"{self.programme} holds {held} units, not {block.programme}", field="serial")
