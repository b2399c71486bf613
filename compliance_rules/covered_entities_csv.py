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

import csv
import io
import re
from collections.abc import Iterable

from pydantic import BaseModel, Field

from compliance_rules.csv_columns import header_problem
from compliance_rules.rule_facts import CoveredEntity
from domain.errors import GatewayError, InvalidInput
from domain.transfers import AccountRef, require_account_id

COLUMNS = ("entity_id", "name", "market", "account", "year", "verified_emissions_t")
_WHOLE = re.compile(r"^[0-9]{1,15}$")
_YEAR = re.compile(r"^(19|20|21)[0-9]{2}$")


class EntityLoad(BaseModel):
    """One covered entity as the CSV gives it: its accounts and verified emissions by year."""

    entity: CoveredEntity
    accounts: list[AccountRef] = Field(default_factory=list)
    verified_emissions: dict[int, int] = Field(default_factory=dict)


def read_covered_entities_csv(text: str) -> list[EntityLoad]:
    """Every entity in `text`, in file order; InvalidInput naming line and column otherwise."""
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        _check_header(reader.fieldnames)
        loads: dict[str, EntityLoad] = {}
        for row in reader:
            _merge(loads, row, reader.line_num)
    except csv.Error as malformed:
        raise InvalidInput(f"covered entities CSV: {malformed}", field="csv") from None
    return list(loads.values())


def _check_header(fieldnames: Iterable[str] | None) -> None:
    problem = header_problem(fieldnames, COLUMNS)
    if problem is not None:
        raise _refusal(1, *problem)


def _merge(loads: dict[str, EntityLoad], row: dict[str, str], line: int) -> None:
    if None in row or any(value is None for value in row.values()):
        raise _refusal(line, "", f"expected {len(COLUMNS)} fields")
    try:
        entity = CoveredEntity(entity_id=row["entity_id"], name=row["name"], market=row["market"])
    except ValueError:
        column = next(c for c in ("entity_id", "name", "market") if not row[c])
        raise _refusal(line, column, "must not be empty") from None
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
    try:
        return AccountRef(registry_id=registry_id, account_id=require_account_id(account_id, "account"))
    except (GatewayError, ValueError) as invalid:
        reason = invalid.message if isinstance(invalid, GatewayError) else "expected registry:account"
        raise _refusal(line, "account", reason) from None


def _emissions(load: EntityLoad, year: str, tonnes: str, line: int) -> None:
    if not _YEAR.match(year):
        raise _refusal(line, "year", f"{year[:16]!r} is not a year")
    if not _WHOLE.match(tonnes):
        raise _refusal(line, "verified_emissions_t", f"{tonnes[:16]!r} is not a whole number of tonnes")
    known = load.verified_emissions.get(int(year))
    if known is not None and known != int(tonnes):
        raise _refusal(line, "verified_emissions_t", f"{year} already has {known} t on an earlier line")
    load.verified_emissions[int(year)] = int(tonnes)


def _refusal(line: int, column: str, reason: str) -> InvalidInput:
    where = f"line {line}, column {column}" if column else f"line {line}"
    return InvalidInput(f"covered entities CSV {where}: {reason}", field=column or "csv")
