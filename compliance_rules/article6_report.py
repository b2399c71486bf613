"""Article 6.2 actions in the agreed electronic format (AEF), and the uses still owing an adjustment.

A host Party reports every action on its ITMOs (authorisation, first transfer,
transfer, acquisition, use, cancellations) in the AEF actions table; the gateway
builds those rows from what it settled, so a Party's report and the gateway's
ledger say the same thing. Only units under an NDC or OIMP authorisation are
ITMOs; other cross-border transfers are not reported here.

Identifiers: a unit id is `{serial space}:{unit number}` in the issuing
programme's serial space (the double-counting key). An ITMO id carries the
minimum content Article 6.2 asks for (cooperative approach, originating and
first-transferring Party, serial number, vintage); the host Party is both, so
it is written once: `{cooperative approach}/{host Party}/{unit id}/{vintage}`.
Units are tonnes: one unit is one tCO2e, so the quantity is the unit count.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, TypeAdapter

from compliance_rules.corresponding_adjustment import AdjustmentState
from compliance_rules.facts import Authorisation, AuthorisedUse, FirstTransfer
from compliance_rules.proposal import Purpose
from domain.gases import GwpSet
from domain.serials import SerialBlock


class ActionType(StrEnum):
    AUTHORISATION = "authorisation"
    FIRST_TRANSFER = "first transfer"
    TRANSFER = "transfer"
    ACQUISITION = "acquisition"
    USE = "use"
    CANCELLATION = "cancellation"
    VOLUNTARY_CANCELLATION = "voluntary cancellation"
    OMGE_CANCELLATION = "OMGE cancellation"


class SettledMovement(BaseModel):
    """A settled transfer of authorised units across a border, or their use or cancellation."""

    model_config = ConfigDict(frozen=True)

    transfer_id: str
    settled_on: date
    kind: ActionType = ActionType.TRANSFER
    block: SerialBlock
    unit_registry: str
    transferring_party: str
    acquiring_party: str
    purpose: Purpose
    using_party_or_entity: str = ""
    year_used: int | None = None
    gwp: GwpSet = GwpSet.AR5  # the set the Paris transparency framework reports with


class AefAction(BaseModel):
    """One row of the AEF actions table."""

    model_config = ConfigDict(frozen=True)

    date: date
    action_type: ActionType
    subtype: str
    cooperative_approach_id: str
    authorisation_id: str
    first_transferring_party: str
    itmo_first_id: str
    itmo_last_id: str
    unit_registry: str
    unit_first_id: str
    unit_last_id: str
    metric: str
    gwp: str
    quantity_tco2e: Decimal | None
    mitigation_type: str
    vintage: str
    transferring_party: str
    acquiring_party: str
    purpose: str
    using_party_or_entity: str
    year_used: int | None


class UnadjustedUse(BaseModel):
    """Units used abroad whose host has not applied the corresponding adjustment (None: no first transfer)."""

    model_config = ConfigDict(frozen=True)

    transfer_id: str
    block: SerialBlock
    using_party_or_entity: str
    host_party: str
    first_transfer_id: str | None
    adjustment: AdjustmentState | None


AEF_COLUMNS = tuple(AefAction.model_fields)
_ROWS = TypeAdapter(list[AefAction])


def aef_actions(
    authorisations: Iterable[Authorisation],
    movements: Iterable[SettledMovement],
    first_transfers: Iterable[FirstTransfer],
) -> list[AefAction]:
    """The actions table: each authorisation, then each movement of authorised units, by date."""
    itmo = [a for a in authorisations if a.authorised_use is not AuthorisedUse.MITIGATION_CONTRIBUTION]
    firsts = {f.transfer_id for f in first_transfers}
    rows = [_authorisation_row(a) for a in itmo]
    for movement in movements:
        for authorisation in itmo:
            part = authorisation.covering(movement.block)
            if part is not None and authorisation.host_party == movement.block.country:
                rows.extend(_movement_rows(movement, authorisation, part, movement.transfer_id in firsts))
    return sorted(rows, key=lambda row: row.date)


def aef_csv(rows: Iterable[AefAction]) -> str:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=AEF_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.model_dump(mode="json").items()})
    return out.getvalue()


def aef_json(rows: Iterable[AefAction]) -> str:
    return _ROWS.dump_json(list(rows), indent=2).decode()


def unadjusted_uses(
    movements: Iterable[SettledMovement], first_transfers: Iterable[FirstTransfer]
) -> list[UnadjustedUse]:
    """Every part of a use abroad not covered by a first transfer whose adjustment is applied."""
    recorded = list(first_transfers)
    flagged = []
    for use in movements:
        host = use.block.country
        if use.kind is not ActionType.USE or use.acquiring_party == host:
            continue
        applied = [f.block for f in recorded if f.adjustment is AdjustmentState.APPLIED]
        for part in _outside(use.block, applied):
            first = next((f for f in recorded if f.block.overlaps(part)), None)
            flagged.append(
                UnadjustedUse(
                    transfer_id=use.transfer_id,
                    block=part,
                    using_party_or_entity=use.using_party_or_entity or use.acquiring_party,
                    host_party=host,
                    first_transfer_id=first.transfer_id if first else None,
                    adjustment=first.adjustment if first else None,
                )
            )
    return flagged


def _outside(block: SerialBlock, covers: list[SerialBlock]) -> list[SerialBlock]:
    rest = [block]
    for cover in covers:
        rest = [piece for left in rest for piece in left.subtract(cover)]
    return rest


def _authorisation_row(authorisation: Authorisation) -> AefAction:
    block = authorisation.block
    return AefAction(
        date=authorisation.authorised_on,
        action_type=ActionType.AUTHORISATION,
        subtype=authorisation.authorised_use.value,
        cooperative_approach_id=authorisation.cooperative_approach_id,
        authorisation_id=authorisation.authorisation_id,
        first_transferring_party=authorisation.host_party,
        itmo_first_id=_itmo_id(authorisation, block, block.start) if block else "",
        itmo_last_id=_itmo_id(authorisation, block, block.end) if block else "",
        unit_registry="",
        unit_first_id=_unit_id(block, block.start) if block else "",
        unit_last_id=_unit_id(block, block.end) if block else "",
        metric="tCO2e",
        gwp=GwpSet.AR5.value,
        quantity_tco2e=Decimal(block.quantity) if block else None,
        mitigation_type=authorisation.mitigation_type,
        vintage=block.vintage if block else authorisation.vintage or "",
        transferring_party="",
        acquiring_party="",
        purpose=authorisation.authorised_use.value,
        using_party_or_entity="",
        year_used=None,
    )


def _movement_rows(
    movement: SettledMovement, authorisation: Authorisation, part: SerialBlock, first: bool
) -> list[AefAction]:
    if movement.kind is not ActionType.TRANSFER:
        return [_movement_row(movement, authorisation, part, movement.kind)]
    if first:
        return [_movement_row(movement, authorisation, part, ActionType.FIRST_TRANSFER)]
    return [
        _movement_row(movement, authorisation, part, ActionType.TRANSFER),
        _movement_row(movement, authorisation, part, ActionType.ACQUISITION),
    ]


def _movement_row(
    movement: SettledMovement, authorisation: Authorisation, part: SerialBlock, action: ActionType
) -> AefAction:
    used = action in (ActionType.USE, ActionType.CANCELLATION, ActionType.OMGE_CANCELLATION)
    return AefAction(
        date=movement.settled_on,
        action_type=action,
        subtype="",
        cooperative_approach_id=authorisation.cooperative_approach_id,
        authorisation_id=authorisation.authorisation_id,
        first_transferring_party=authorisation.host_party,
        itmo_first_id=_itmo_id(authorisation, part, part.start),
        itmo_last_id=_itmo_id(authorisation, part, part.end),
        unit_registry=movement.unit_registry,
        unit_first_id=_unit_id(part, part.start),
        unit_last_id=_unit_id(part, part.end),
        metric="tCO2e",
        gwp=movement.gwp.value,
        quantity_tco2e=Decimal(part.quantity),
        mitigation_type=authorisation.mitigation_type,
        vintage=part.vintage,
        transferring_party=movement.transferring_party,
        acquiring_party=movement.acquiring_party,
        purpose=movement.purpose.value,
        using_party_or_entity=(movement.using_party_or_entity or movement.acquiring_party) if used else "",
        year_used=movement.year_used if used else None,
    )


def _unit_id(block: SerialBlock, number: int) -> str:
    return f"{block.serial_space}:{number}"


def _itmo_id(authorisation: Authorisation, block: SerialBlock, number: int) -> str:
    return "/".join(
        (
            authorisation.cooperative_approach_id,
            authorisation.host_party,
            _unit_id(block, number),
            block.vintage,
        )
    )
