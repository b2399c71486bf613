"""An enterprise account's holdings split into free and pledged, and its compliance years."""

from __future__ import annotations

from domain.enterprise_accounts import (
    ComplianceStatus,
    allowances_by_year,
    compliance_years,
    enterprise_holdings,
)
from domain.holdings import Holding
from domain.serials import SerialBlock
from domain.transfers import AccountRef
from domain.units import UnitStatus

MARKET = AccountRef(registry_id="cn-sz-ets", account_id="steel-1")


def sza(start: int, end: int, vintage: str = "2025") -> SerialBlock:
    return SerialBlock(
        programme="SZA",
        serial_space=f"SZA:0:{vintage}:1",
        project_id="0",
        vintage=vintage,
        unit_type="SZA",
        country="CN",
        start=start,
        end=end,
        attributes={"batch": "1"},
    )


def held(block: SerialBlock, status: UnitStatus = UnitStatus.HELD) -> Holding:
    return Holding(
        registry_id=MARKET.registry_id,
        account_id=MARKET.account_id,
        block=block,
        status=status,
        registry_status=status.value,
    )


def test_pledged_units_are_split_from_free_ones_and_locked_or_retired_ones_are_no_holdings():
    holdings = [held(sza(1, 600)), held(sza(601, 1000)), held(sza(1001, 1100), UnitStatus.LOCKED)]
    holdings.append(held(sza(1101, 1200), UnitStatus.RETIRED))
    pledges = {MARKET: (sza(501, 700), sza(1, 10, "2024"))}  # the 2024 pledge is another serial space
    [row] = enterprise_holdings(holdings, pledges)
    assert (row.unit_type, row.vintage, row.held, row.pledged) == ("SZA", "2025", 800, 200)


def test_free_and_surrendered_allowances_of_the_vintage_count_towards_the_year():
    holdings = [held(sza(1, 600)), held(sza(601, 700), UnitStatus.RETIRED), held(sza(1, 50, "2026"))]
    pledges = {MARKET: (sza(1, 100),)}
    assert allowances_by_year(holdings, "cn-sz-ets", "SZA", pledges) == {2025: 600, 2026: 50}
    assert allowances_by_year(holdings, "cn-gd-ets", "GDEA", pledges) == {}


def test_a_year_is_covered_by_allowances_and_offsets_or_short_or_not_reported():
    years = compliance_years({2024: 1000, 2025: 1000}, {2025: 100, 2026: 40}, {2024: 1000, 2025: 899})
    assert [(y.year, y.status) for y in years] == [
        (2024, ComplianceStatus.COVERED),
        (2025, ComplianceStatus.SHORT),
        (2026, ComplianceStatus.NOT_REPORTED),
    ]
    assert (years[2].verified_emissions_t, years[2].offsets_used_t) == (0, 40)
