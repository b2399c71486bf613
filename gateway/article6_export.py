"""The Article 6 actions table from the ledger: authorisations, first transfers and settled movements."""

from __future__ import annotations

from adapters import catalogue
from compliance_rules.article6_report import (
    ActionType,
    SettledMovement,
    UnadjustedUse,
    aef_actions,
    aef_csv,
    aef_json,
    unadjusted_uses,
)
from domain.transfers import Transfer, TransferState
from ledger import Ledger

_SETTLED = {TransferState.SETTLED, TransferState.ANCHORED}


def _country(registry_id: str) -> str:
    return catalogue.profile(registry_id).info.jurisdiction.split("-")[0]


def settled_transfers(ledger: Ledger) -> list[Transfer]:
    found: list[Transfer] = []
    token: str | None = None
    while True:
        page, token = ledger.list(states=_SETTLED, page_size=500, page_token=token)
        found += page
        if token is None:
            return found


def movements(ledger: Ledger) -> list[SettledMovement]:
    """Settled transfers that took units across a border: the rows the actions table draws on."""
    rows = []
    for t in settled_transfers(ledger):
        source, destination = (
            _country(t.request.source.registry_id),
            _country(t.request.destination.registry_id),
        )
        if source == destination or t.settled_at is None:
            continue
        rows.append(
            SettledMovement(
                transfer_id=t.transfer_id,
                settled_on=t.settled_at.date(),
                block=t.block,
                unit_registry=t.request.destination.registry_id,
                transferring_party=source,
                acquiring_party=destination,
                purpose=t.request.purpose,
            )
        )
    return rows


def unadjusted(ledger: Ledger) -> list[UnadjustedUse]:
    """Transfers declared for NDC or OIMP use abroad, counted as that use, not covered by an applied adjustment."""
    uses = [
        m.model_copy(update={"kind": ActionType.USE})
        for m in movements(ledger)
        if m.purpose.international_use
    ]
    return unadjusted_uses(uses, ledger.first_transfers())


def export(ledger: Ledger, as_json: bool) -> str:
    facts = ledger.facts()
    moved = movements(ledger)
    authorisations = [a for m in moved for a in facts.authorisations_covering(m.block)]
    unique = list({a.authorisation_id: a for a in authorisations}.values())
    rows = aef_actions(unique, moved, ledger.first_transfers())
    return aef_json(rows) if as_json else aef_csv(rows)
