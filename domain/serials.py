"""Serial blocks: a contiguous range of units in one serial space, and their algebra.

The serial space is the issuing programme's own numbering (plus the batch where
numbering restarts), so the same tonnes collide wherever they are mirrored.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.errors import InvalidInput
from domain.gases import Gas, GwpSet, gwp
from domain.units import UnitClass

# The ledger stores unit numbers as signed 64-bit integers (BigInteger), so no serial may name a larger
# one; nor a block of more units than that (every quantity is an int64 on the wire).
MAX_UNIT_NUMBER = 2**63 - 1


class SerialBlock(BaseModel):
    """Units `start..end` (inclusive) of one serial space, with the fields their serial encodes.

    `attributes` keeps every other segment of the issuing grammar (issuance id,
    sectoral scope, ...) so a split block can be written back in that grammar.
    """

    model_config = ConfigDict(frozen=True)

    programme: str
    serial_space: str
    project_id: str
    vintage: str
    unit_type: str
    country: str
    start: int = Field(ge=0, le=MAX_UNIT_NUMBER)
    end: int = Field(ge=0, le=MAX_UNIT_NUMBER)
    attributes: dict[str, str] = Field(default_factory=dict)
    # Every unit is one tCO2e. Units issued for another gas (methane, say) say which, and the
    # GWP set their issuer converted with; no serial grammar encodes this, the issuance does.
    gas: Gas = Gas.CO2
    gwp_set: GwpSet | None = None

    @model_validator(mode="after")
    def _ordered(self) -> SerialBlock:
        if self.end < self.start:
            raise InvalidInput(f"block end {self.end} is before start {self.start}", field="serial")
        if self.quantity > MAX_UNIT_NUMBER:
            raise InvalidInput(f"a block holds at most {MAX_UNIT_NUMBER} units", field="serial")
        if self.gas is not Gas.CO2 and self.gwp_set is None:
            raise InvalidInput(
                f"units of {self.gas.value} must name the GWP set they were converted with", field="gwp_set"
            )
        return self

    def gas_tonnes(self) -> Decimal:
        """The tonnes of the block's own gas its tCO2e stand for: the explicit conversion back."""
        if self.gas is Gas.CO2:
            return Decimal(self.quantity)
        assert self.gwp_set is not None
        return Decimal(self.quantity) / gwp(self.gas, self.gwp_set)

    @property
    def quantity(self) -> int:
        return self.end - self.start + 1

    @property
    def unit_class(self) -> UnitClass:
        return UnitClass(programme=self.programme, unit_type=self.unit_type)

    def same_serials(self, other: SerialBlock) -> bool:
        """The same units as written in a serial, whatever the issuance adds (gas, GWP set)."""
        written = {"gas", "gwp_set"}
        return self.model_dump(exclude=written) == other.model_dump(exclude=written)

    def same_issuance(self, other: SerialBlock) -> bool:
        """True when both blocks differ only in their range."""
        return self.model_dump(exclude={"start", "end"}) == other.model_dump(exclude={"start", "end"})

    def overlaps(self, other: SerialBlock) -> bool:
        return self.serial_space == other.serial_space and self.start <= other.end and other.start <= self.end

    def contains(self, other: SerialBlock) -> bool:
        return self.serial_space == other.serial_space and self.start <= other.start and other.end <= self.end

    def with_range(self, start: int, end: int) -> SerialBlock:
        return self.model_copy(update={"start": start, "end": end})

    def split(self, quantity: int) -> tuple[SerialBlock, SerialBlock | None]:
        """The first `quantity` units, and the rest (None when nothing is left)."""
        if quantity <= 0 or quantity > self.quantity:
            raise InvalidInput(
                f"cannot split {quantity} units from a block of {self.quantity}", field="quantity"
            )
        head = self.with_range(self.start, self.start + quantity - 1)
        if quantity == self.quantity:
            return head, None
        return head, self.with_range(self.start + quantity, self.end)

    def subtract(self, other: SerialBlock) -> list[SerialBlock]:
        """What remains of this block once `other`'s units are taken out (0, 1 or 2 blocks)."""
        if not self.overlaps(other):
            return [self]
        rest = []
        if self.start < other.start:
            rest.append(self.with_range(self.start, other.start - 1))
        if other.end < self.end:
            rest.append(self.with_range(other.end + 1, self.end))
        return rest

    def merge(self, other: SerialBlock) -> SerialBlock:
        """Join two adjacent or overlapping blocks of the same issuance."""
        if not self.same_issuance(other):
            raise InvalidInput("cannot merge blocks of different issuances", field="serial")
        if other.start > self.end + 1 or self.start > other.end + 1:
            raise InvalidInput("cannot merge blocks that are not adjacent", field="serial")
        return self.with_range(min(self.start, other.start), max(self.end, other.end))


class SerialGrammar(Protocol):
    """How one programme writes its serial numbers: parse strictly, format exactly."""

    programme: str

    def parse(self, serial: str) -> SerialBlock: ...

    def format(self, block: SerialBlock) -> str: ...
