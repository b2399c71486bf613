"""Gas quantities convert to tCO2e only with an explicit gas and GWP set."""

from decimal import Decimal

import pytest

from domain.errors import InvalidInput
from domain.gases import GasQuantity, gwp, to_tco2e


@pytest.mark.parametrize(
    ("gas", "gwp_set", "factor"),
    [
        ("CO2", "AR5", "1"),
        ("CO2", "AR6", "1"),
        ("CH4", "AR5", "28"),
        ("CH4", "AR6", "27.9"),
        ("N2O", "AR5", "265"),
        ("N2O", "AR6", "273"),
    ],
)
def test_gwp_values(gas, gwp_set, factor):
    assert gwp(gas, gwp_set) == Decimal(factor)


def test_methane_conversion_depends_on_the_set():
    assert to_tco2e(10, "CH4", "AR5") == Decimal(280)
    assert to_tco2e(10, "CH4", "AR6") == Decimal("279.0")
    assert to_tco2e(Decimal("0.5"), "CH4", "AR6") == Decimal("13.95")


def test_unknown_gas_is_refused():
    with pytest.raises(InvalidInput, match="unknown gas 'SF6'") as refused:
        to_tco2e(1, "SF6", "AR6")
    assert refused.value.field == "gas"


def test_unknown_gwp_set_is_refused():
    with pytest.raises(InvalidInput, match="unknown GWP set 'AR4'") as refused:
        to_tco2e(1, "CH4", "AR4")
    assert refused.value.field == "gwp_set"


@pytest.mark.parametrize("quantity", [Decimal(-1), Decimal("NaN"), Decimal("Infinity")])
def test_impossible_quantities_are_refused(quantity):
    with pytest.raises(InvalidInput):
        to_tco2e(quantity, "CH4", "AR6")


def test_gas_quantity_carries_its_set():
    assert GasQuantity(tonnes=Decimal(2), gas="CH4", gwp_set="AR5").tco2e == Decimal(56)
