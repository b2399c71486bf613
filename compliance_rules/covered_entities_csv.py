"""Covered entities, their accounts and verified emissions as CSV: what regulators load for offset caps.

Regulators keep these in spreadsheets, so the import is strict and explains itself:
a bad row is refused with its line number and column, and nothing is loaded.

Columns (a header row, in any order, exactly these names): entity_id, name, market,
account, year, verified_emissions_t. One row per account or per year: `account` is
`registry:account` (empty when the row only gives a year's emissions), `year` and
`verified_emissions_t` (whole tCO2e) go together or are both empty. Rows of one
entity must agree on its name and market; one year has one figure.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from compliance_rules import csv_columns
from compliance_rules.csv_columns import Row
from compliance_rules.rule_facts import CoveredEntity
from domain.errors import GatewayError, InvalidInput, quoted
from domain.transfers import AccountRef, require_account_id

COLUMNS = ("entity_id", "name", "market", "account", "year", "verified_emissions_t")
_WHAT = "covered entities"
_WHOLE = re.compile(r"[0-9]{1,15}")
_YEAR = re.compile(r"(19|20|21)[0-9]{2}")


class EntityLoad(BaseModel):
    """One covered entity as the CSV gives it: its accounts and verified emissions by year."""

    entity: CoveredEntity
    accounts: list[AccountRef] = Field(default_factory=list)
    verified_emissions: dict[int, int] = Field(default_factory=dict)


def read_covered_entities_csv(text: str) -> list[EntityLoad]:
    """Every entity in `text`, in file order; InvalidInput naming line and column otherwise."""
    loads: dict[str, EntityLoad] = {}
    for line, row in csv_columns.rows(text, _WHAT, COLUMNS):
        _merge(loads, row, line)
    return list(loads.values())


def _entity(row: Row, line: int) -> CoveredEntity:
    """The row's entity: its id follows the account id pattern, its name and market are given."""
    for column in ("entity_id", "name", "market"):
        if not row[column].strip():
            raise _refusal(line, column, "must not be empty")
    try:
        require_account_id(row["entity_id"], "entity_id")
    except InvalidInput as invalid:
        raise _refusal(line, "entity_id", invalid.message) from None
    for column, limit in (("name", 256), ("market", 64)):
        if len(row[column]) > limit:
            raise _refusal(line, column, f"{len(row[column])} characters long (at most {limit})")
    return CoveredEntity(entity_id=row["entity_id"], name=row["name"], market=row["market"])


def _merge(loads: dict[str, EntityLoad], row: Row, line: int) -> None:
    entity = _entity(row, line)
    load = loads.setdefault(entity.entity_id, EntityLoad(entity=entity))
    if load.entity != entity:
        raise _refusal(
            line, "name", f"entity {entity.entity_id} has another name or market on an earlier line"
        )
    if row["account"]:
        load.accounts.append(_account(row["account"], line))
    year, tonnes = row["year"], row["verified_emissions_t"]
    if bool(year) != bool(tonnes):
        raise _refusal(line, "year" if not year else "verified_emissions_t", "year and emissions go together")
    if year:
        _emissions(load, year, tonnes, line)


def _account(text: str, line: int) -> AccountRef:
    registry_id, _, account_id = text.partition(":")
    if len(registry_id) > 64:
        raise _refusal(line, "account", f"registry id {quoted(registry_id)} is longer than 64 characters")
    try:
        return AccountRef(registry_id=registry_id, account_id=require_account_id(account_id, "account"))
    except (GatewayError, ValueError) as invalid:
        reason = invalid.message if isinstance(invalid, GatewayError) else "expected registry:account"
        raise _refusal(line, "account", reason) from None


def _emissions(load: EntityLoad, year: str, tonnes: str, line: int) -> None:
    if not _YEAR.fullmatch(year):
        raise _refusal(line, "year", f"{quoted(year, 16)} is not a year")
    if not _WHOLE.fullmatch(tonnes):
        raise _refusal(line, "verified_emissions_t", f"{quoted(tonnes, 16)} is not a whole number of tonnes")
    known = load.verified_emissions.get(int(year))
    if known is not None and known != int(tonnes):
        raise _refusal(line, "verified_emissions_t", f"{year} already has {known} t on an earlier line")
    load.verified_emissions[int(year)] = int(tonnes)


def _refusal(line: int, column: str, reason: str) -> InvalidInput:
    return csv_columns.refusal(_WHAT, line, column, reason)
