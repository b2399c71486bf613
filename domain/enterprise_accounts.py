"""An enterprise carbon account as banks read it: what an entity holds across registries, and how it
stands in each compliance year.

Registries report the holdings; the ledger knows the pledges, the verified emissions
and the offsets used. Putting them together is arithmetic, kept here so it is tested
without either (docs/finance.md, "Enterprise carbon accounts").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.holdings import Holding
from domain.serials import SerialBlock
from domain.transfers import AccountRef
from domain.units import UnitStatus


class ComplianceStatus(StrEnum):
    NOT_REPORTED = "not_reported"  # no verified emissions recorded for the year
    COVERED = "covered"  # allowances and offsets used cover the verified emissions
    SHORT = "short"


class ComplianceYear(BaseModel):
    model_config = ConfigDict(frozen=True)

    year: int
    verified_emissions_t: int  # 0 when not reported
    offsets_used_t: int
    allowances_t: int  # free or surrendered allowances of the year's vintage in the entity's market
    status: ComplianceStatus


class EnterpriseHolding(BaseModel):
    """Units of one class an entity holds in one account: free, and pledged to a lender."""

    model_config = ConfigDict(frozen=True)

    registry_id: str
    account_id: str
    unit_type: str
    vintage: str
    held: int
    pledged: int


Pledges = Mapping[AccountRef, Sequence[SerialBlock]]


def pledged_part(holding: Holding, pledges: Pledges) -> int:
    """Units of a held block under unended pledges (a registry that marks them PLEDGED: all of them)."""
    if holding.status is UnitStatus.PLEDGED:
        return holding.block.quantity
    block = holding.block
    account = AccountRef(registry_id=holding.registry_id, account_id=holding.account_id)
    return sum(
        max(0, min(block.end, p.end) - max(block.start, p.start) + 1)
        for p in pledges.get(account, ())
        if p.serial_space == block.serial_space
    )


def enterprise_holdings(holdings: Iterable[Holding], pledges: Pledges) -> list[EnterpriseHolding]:
    """Held units by registry, account, unit type and vintage, split into free and pledged."""
    totals: dict[tuple[str, str, str, str], list[int]] = {}
    for holding in holdings:
        if holding.status not in (UnitStatus.HELD, UnitStatus.PLEDGED):
            continue  # locked for a transfer in flight, gone, or retired
        key = (holding.registry_id, holding.account_id, holding.block.unit_type, holding.block.vintage)
        pledged = pledged_part(holding, pledges)
        free_and_pledged = totals.setdefault(key, [0, 0])
        free_and_pledged[0] += holding.block.quantity - pledged
        free_and_pledged[1] += pledged
    return [
        EnterpriseHolding(
            registry_id=registry_id,
            account_id=account_id,
            unit_type=unit_type,
            vintage=vintage,
            held=free,
            pledged=pledged,
        )
        for (registry_id, account_id, unit_type, vintage), (free, pledged) in sorted(totals.items())
    ]


def allowances_by_year(
    holdings: Iterable[Holding], market: str, allowance_programme: str, pledges: Pledges
) -> dict[int, int]:
    """Allowances of each vintage year in the market registry that count towards compliance: free
    ones (pledged ones cannot be surrendered while the pledge lasts) and those already surrendered."""
    found: dict[int, int] = {}
    for holding in holdings:
        block = holding.block
        if (
            holding.registry_id != market
            or block.programme != allowance_programme
            or not block.vintage.isdigit()
        ):
            continue
        if holding.status is UnitStatus.HELD:
            counted = block.quantity - pledged_part(holding, pledges)
        elif holding.status is UnitStatus.RETIRED:
            counted = block.quantity
        else:
            continue
        found[int(block.vintage)] = found.get(int(block.vintage), 0) + counted
    return found


def compliance_years(
    verified: Mapping[int, int], offsets_used: Mapping[int, int], allowances: Mapping[int, int]
) -> list[ComplianceYear]:
    """Every year with verified emissions or offsets used, oldest first, with how it stands."""
    years = []
    for year in sorted(set(verified) | set(offsets_used)):
        offsets, counted = offsets_used.get(year, 0), allowances.get(year, 0)
        if year not in verified:
            status = ComplianceStatus.NOT_REPORTED
        elif counted + offsets >= verified[year]:
            status = ComplianceStatus.COVERED
        else:
            status = ComplianceStatus.SHORT
        years.append(
            ComplianceYear(
                year=year,
                verified_emissions_t=verified.get(year, 0),
                offsets_used_t=offsets,
                allowances_t=counted,
                status=status,
            )
        )
    return years
