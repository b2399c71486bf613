"""The banks' events that follow from facts the ledger records, appended in the fact's own transaction.

A settlement ends the pledges consented to it and is heard of by the lenders
financing its units' project; a pledge's creation, consent and release are heard
of by its lender. Event ids name the fact, so a retried transaction appends nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from domain.finance import Collateral, EventKind, FinanceEvent, PledgeState, ProjectRef
from domain.transfers import RETIRED_ACCOUNT_ID, AccountRef, Transfer
from ledger import finance_event_rows, loan_rows, pledge_rows

_PLEDGE_ENDS = {
    PledgeState.TRANSFERRED: EventKind.PLEDGE_TRANSFERRED,
    PledgeState.ENFORCED: EventKind.PLEDGE_ENFORCED,
}


def account(ref: AccountRef) -> dict[str, str]:
    return {"registry_id": ref.registry_id, "account_id": ref.account_id}


def pledge_data(collateral: Collateral) -> dict[str, Any]:
    return {
        "pledge_id": collateral.pledge_id,
        "lender": collateral.lender,
        "holder": account(collateral.holder),
        "serial": collateral.serial,
        "quantity": collateral.block.quantity,
        "loan_id": collateral.loan_id or "",
        "state": collateral.state.value,
        "consented_transfer_id": collateral.consented_transfer_id or "",
    }


def pledge_event(collateral: Collateral, kind: EventKind, at: datetime, detail: str = "") -> FinanceEvent:
    suffix = kind.value.split(".", 1)[1]
    return FinanceEvent(
        event_id=f"pledge:{collateral.pledge_id}:{suffix}{':' + detail if detail else ''}",
        org=collateral.lender,
        kind=kind,
        subject=collateral.pledge_id,
        data=pledge_data(collateral),
        occurred_at=at,
    )


def on_settled(session: Session, transfer: Transfer, at: datetime) -> None:
    """What a settlement tells banks, in its transaction: consented pledges end; lenders hear of it."""
    events = [
        pledge_event(ended, _PLEDGE_ENDS[ended.state], at)
        for ended in pledge_rows.end_consented(session, transfer.transfer_id, at)
    ]
    if transfer.request.destination.account_id == RETIRED_ACCOUNT_ID:
        # A retirement's lenders hear of it as retirement.completed (ledger.retirement_book).
        finance_event_rows.append(session, events)
        return
    project = ProjectRef.of_block(transfer.block)
    data = {
        "transfer_id": transfer.transfer_id,
        "source": account(transfer.request.source),
        "destination": account(transfer.request.destination),
        "serial": transfer.request.serial,
        "quantity": transfer.block.quantity,
        "project": project.model_dump(),
    }
    events += [
        FinanceEvent(
            event_id=f"transfer:{transfer.transfer_id}:settled",
            org=lender,
            kind=EventKind.TRANSFER_SETTLED,
            subject=transfer.transfer_id,
            data=data,
            occurred_at=at,
        )
        for lender in sorted(loan_rows.lenders_of_project(session, project.programme, project.project_id))
    ]
    finance_event_rows.append(session, events)
