"""Serial grammars, one module per family of serial formats.

Registries that hold mirrored units reuse the issuing programme's grammar, so the
grammars live apart from the registry modules. Each grammar also says whether a
serial *looks like* one of its own (`claims`), which lets a registry that accepts
several programmes report the error of the grammar the serial was meant for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from domain.errors import MalformedSerial
from domain.serials import SerialBlock, SerialGrammar


@runtime_checkable
class ClaimingGrammar(Protocol):
    """A SerialGrammar that can also recognise its own serials by their shape."""

    programme: str

    def parse(self, serial: str) -> SerialBlock: ...

    def format(self, block: SerialBlock) -> str: ...

    def claims(self, serial: str) -> bool:
        """True when the serial is shaped like this grammar's, even if it is malformed."""
        ...


def parse_first_fit(serial: str, grammars: Sequence[SerialGrammar]) -> SerialBlock:
    """The block from the first grammar that parses `serial`.

    When none does, the error reported is the one from the first grammar that
    claims the serial's shape (a CCER serial with a bad vintage should say
    "vintage", not "not an allowance"), else the first grammar's.
    """
    if not grammars:
        raise ValueError("parse_first_fit needs at least one grammar")
    errors: list[tuple[SerialGrammar, MalformedSerial]] = []
    for grammar in grammars:
        try:
            return grammar.parse(serial)
        except MalformedSerial as refusal:
            errors.append((grammar, refusal))
    for grammar, error in errors:
        if isinstance(grammar, ClaimingGrammar) and grammar.claims(serial):
            raise error
    raise errors[0][1]
