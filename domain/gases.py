"""Greenhouse gases and their conversion to tonnes of CO2 equivalent.

Every quantity the gateway moves is in tCO2e. Units that represent another gas
(methane from landfill or livestock, say) carry the gas and the GWP set used, and
the conversion is explicit, because AR5 and AR6 give different factors and a rule
pack, not the code, decides which applies. Unknown gases or sets are refused
rather than defaulted: a silent default would mis-state tonnes.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain.errors import InvalidInput


class Gas(StrEnum):
    CO2 = "CO2"
    CH4 = "CH4"
    N2O = "N2O"


class GwpSet(StrEnum):
    AR5 = "AR5"
    AR6 = "AR6"


# 100-year global warming potentials.
# AR5: IPCC Fifth Assessment Report, WG I, chapter 8, table 8.7 (CH4 28, N2O 265; without
# climate-carbon feedbacks), the values the Paris Agreement transparency framework uses.
# AR6: IPCC Sixth Assessment Report, WG I, chapter 7, table 7.15 and supplementary table 7.SM.7
# (CH4 27.9, N2O 273). AR6 also gives separate fossil and non-fossil methane values; a rule
# pack that needs the split must name it, so it is not offered here.
GWP100: dict[GwpSet, dict[Gas, Decimal]] = {
    GwpSet.AR5: {Gas.CO2: Decimal(1), Gas.CH4: Decimal(28), Gas.N2O: Decimal(265)},
    GwpSet.AR6: {Gas.CO2: Decimal(1), Gas.CH4: Decimal("27.9"), Gas.N2O: Decimal(273)},
}


def _gas(name: str) -> Gas:
    try:
        return Gas(name)
    except ValueError:
        known = ", ".join(g.value for g in Gas)
        raise InvalidInput(f"unknown gas {name!r}; known gases: {known}", field="gas") from None


def _gwp_set(name: str) -> GwpSet:
    try:
        return GwpSet(name)
    except ValueError:
        known = ", ".join(s.value for s in GwpSet)
        raise InvalidInput(f"unknown GWP set {name!r}; known sets: {known}", field="gwp_set") from None


def gwp(gas: str, gwp_set: str) -> Decimal:
    """The 100-year GWP of `gas` in `gwp_set`."""
    return GWP100[_gwp_set(gwp_set)][_gas(gas)]


def to_tco2e(quantity: Decimal | int, gas: str, gwp_set: str) -> Decimal:
    """Tonnes of `gas` expressed in tonnes of CO2 equivalent under `gwp_set`."""
    amount = Decimal(quantity)
    if not amount.is_finite() or amount < 0:
        raise InvalidInput(f"a quantity of gas must be a finite non-negative number, got {quantity}")
    return amount * gwp(gas, gwp_set)


class GasQuantity(BaseModel):
    """An amount of one gas, with the GWP set that turns it into tCO2e."""

    model_config = ConfigDict(frozen=True)

    tonnes: Decimal = Field(ge=0)
    gas: Gas
    gwp_set: GwpSet

    @property
    def tco2e(self) -> Decimal:
        return to_tco2e(self.tonnes, self.gas, self.gwp_set)
