"""Green loans as rows, and who finances what: the lenders whose loans name a project (directly or
through a library entry it is linked to) or a borrowing entity.

A loan's targets are rows of `green_loan_targets`: a library entry (programme and
project empty) or a registry project (entry empty), so one index answers "who
lends to this project" whichever way the loan named it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance_rules.facts import IssuanceRecord
from domain.finance import EventKind, FinanceEvent, GreenLoan, Money, ProjectRef
from ledger.models import GreenLoanRow, GreenLoanTargetRow, LibraryLinkRow


def lenders_of_project(session: Session, programme: str, project_id: str) -> set[str]:
    """The organisations lending to this registry project (they hear of its issuances, transfers, retirements)."""
    direct = select(GreenLoanTargetRow.loan_id).where(
        GreenLoanTargetRow.programme == programme, GreenLoanTargetRow.project_id == project_id
    )
    entries = select(LibraryLinkRow.entry_id).where(
        LibraryLinkRow.programme == programme, LibraryLinkRow.project_id == project_id
    )
    via_library = select(GreenLoanTargetRow.loan_id).where(GreenLoanTargetRow.entry_id.in_(entries))
    query = select(GreenLoanRow.lender).where(
        GreenLoanRow.loan_id.in_(direct.union(via_library).scalar_subquery())
    )
    return set(session.scalars(query))


def lenders_of_entity(session: Session, entity_id: str) -> set[str]:
    """The organisations with a loan to this borrowing entity (they hear of its rating)."""
    return set(session.scalars(select(GreenLoanRow.lender).where(GreenLoanRow.borrower_entity == entity_id)))


def issuance_events(session: Session, record: IssuanceRecord, at: datetime) -> list[FinanceEvent]:
    """`issuance.recorded` for each lender to the issuing project; the id names the issuance, so the
    same issuance reaching a lender twice is one event."""
    block = record.block
    data = {
        "issuance_id": record.issuance_id,
        "project": ProjectRef(programme=record.programme, project_id=record.project_id).model_dump(),
        "serial_space": block.serial_space,
        "start": block.start,
        "end": block.end,
        "quantity": block.quantity,
        "vintage": block.vintage,
        "monitoring_start": record.monitoring_period.start.isoformat(),
        "monitoring_end": record.monitoring_period.end.isoformat(),
    }
    return [
        FinanceEvent(
            event_id=f"issuance:{record.programme}:{record.issuance_id}",
            org=lender,
            kind=EventKind.ISSUANCE_RECORDED,
            subject=record.issuance_id,
            data=data,
            occurred_at=at,
        )
        for lender in sorted(lenders_of_project(session, record.programme, record.project_id))
    ]


def insert(session: Session, loan: GreenLoan, at: datetime) -> None:
    session.add(
        GreenLoanRow(
            loan_id=loan.loan_id,
            lender=loan.lender,
            borrower_entity=loan.borrower_entity,
            currency=loan.amount.currency,
            amount=loan.amount.amount,
            use_of_proceeds=loan.use_of_proceeds,
            sign_date=loan.sign_date,
            maturity_date=loan.maturity_date,
            created_at=at,
        )
    )
    session.flush()  # the targets refer to it
    for entry_id in loan.library_entry_ids:
        session.add(GreenLoanTargetRow(loan_id=loan.loan_id, entry_id=entry_id, programme="", project_id=""))
    for project in loan.projects:
        session.add(
            GreenLoanTargetRow(
                loan_id=loan.loan_id, entry_id="", programme=project.programme, project_id=project.project_id
            )
        )
    session.flush()


def from_row(session: Session, row: GreenLoanRow) -> GreenLoan:
    return from_rows(session, [row])[0]


def from_rows(session: Session, rows: Sequence[GreenLoanRow]) -> list[GreenLoan]:
    """The loans with their targets (read in one query)."""
    query = select(GreenLoanTargetRow).where(GreenLoanTargetRow.loan_id.in_([row.loan_id for row in rows]))
    targets: dict[str, list[GreenLoanTargetRow]] = {}
    for target in session.scalars(query):
        targets.setdefault(target.loan_id, []).append(target)
    return [_loan(row, targets.get(row.loan_id, [])) for row in rows]


def _loan(row: GreenLoanRow, targets: Sequence[GreenLoanTargetRow]) -> GreenLoan:
    return GreenLoan(
        loan_id=row.loan_id,
        lender=row.lender,
        borrower_entity=row.borrower_entity,
        amount=Money(currency=row.currency, amount=row.amount),
        library_entry_ids=tuple(sorted(t.entry_id for t in targets if t.entry_id)),
        projects=tuple(
            sorted(
                (
                    ProjectRef(programme=t.programme, project_id=t.project_id)
                    for t in targets
                    if not t.entry_id
                ),
                key=lambda p: (p.programme, p.project_id),
            )
        ),
        use_of_proceeds=row.use_of_proceeds,
        sign_date=row.sign_date,
        maturity_date=row.maturity_date,
        created_at=row.created_at,
    )
