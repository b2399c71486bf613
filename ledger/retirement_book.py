"""Public-benefit carbon accounts and the retirements made on their beneficiaries' behalf.

A retirement's units move as two ledger transfers (Retirement.purchase_transfer_id
and .retirement_transfer_id, run by workflows.retirement); this book keeps what the
beneficiary's operator asked for and where it stands. It becomes RETIRED once its
retirement transfer settled, with that settlement's time, and the lenders financing
the units' project hear of it in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from domain.errors import AlreadyExists, NotFound, PreconditionFailed, quoted
from domain.finance import (
    BeneficiaryKind,
    EventKind,
    FinanceEvent,
    ProjectRef,
    PublicBenefitAccount,
    Retirement,
    RetirementState,
)
from domain.transfers import AccountRef, Reason, Transfer, TransferState
from ledger import finance_event_rows, loan_rows, transfer_rows
from ledger.book import Book
from ledger.models import PublicBenefitAccountRow, RetirementRow, TransferRow

_S = RetirementState
# Where a retirement may go from each state; the same state again is a retry and changes nothing.
_MOVES = {
    _S.BUYING: frozenset({_S.RETIRING, _S.FAILED}),
    _S.RETIRING: frozenset({_S.RETIRED, _S.FAILED}),
}
_SETTLED = (TransferState.SETTLED.value, TransferState.ANCHORED.value)
# Retirement.retirement_transfer_id, written in SQL.
_TRANSFER_PREFIX = "retire-"


class RetirementBook(Book):
    """The ledger's part for public-benefit accounts and retirements."""

    # Accounts

    def open_account(self, account: PublicBenefitAccount, at: datetime) -> tuple[PublicBenefitAccount, bool]:
        """Store the account once (True); the same account again answers with the stored one (False)."""

        def change(session: Session) -> tuple[PublicBenefitAccount, bool]:
            row = session.get(PublicBenefitAccountRow, account.account_id)
            if row is None:
                session.add(_account_row(account, at))
                session.flush()
                return account, True
            stored = account_from_row(row)
            if stored != account:
                raise AlreadyExists(
                    f"public-benefit account {account.account_id} is already open with other content",
                    field="account.account_id",
                )
            return stored, False

        return self._write(change)

    def account(self, account_id: str, operator: str | None = None) -> PublicBenefitAccount:
        """The account; NOT_FOUND when there is none, or (with `operator`) another organisation opened it."""
        return self._read(lambda s: _visible_account(s, account_id, operator))

    def retired_t(self, account_id: str) -> int:
        """The units retired for the account so far."""
        units = TransferRow.end - TransferRow.start + 1
        query = (
            select(func.coalesce(func.sum(units), 0))
            .select_from(RetirementRow)
            .join(
                TransferRow,
                TransferRow.transfer_id == literal(_TRANSFER_PREFIX) + RetirementRow.retirement_id,
            )
            .where(RetirementRow.account_id == account_id, RetirementRow.state == _S.RETIRED.value)
        )
        return self._read(lambda s: int(s.scalar(query) or 0))

    # Retirements

    def record(self, retirement: Retirement) -> tuple[Retirement, bool]:
        """Store the retirement once (True); the same request again answers with the stored one (False)."""

        def change(session: Session) -> tuple[Retirement, bool]:
            row = session.get(RetirementRow, retirement.retirement_id)
            if row is None:
                session.add(_retirement_row(retirement))
                session.flush()
                return retirement, True
            stored = retirement_from_row(row)
            if _asked(stored) != _asked(retirement):
                raise AlreadyExists(
                    f"retirement {retirement.retirement_id} exists with other content", field="retirement_id"
                )
            return stored, False

        return self._write(change)

    def retirement(self, retirement_id: str, operator: str | None = None) -> Retirement:
        """The retirement; NOT_FOUND when there is none, or (with `operator`) it is another's account's."""

        def read(session: Session) -> Retirement:
            row = session.get(RetirementRow, retirement_id)
            if row is not None and operator is not None:
                owner = session.get(PublicBenefitAccountRow, row.account_id)
                row = row if owner is not None and owner.operator == operator else None
            if row is None:
                raise _no_retirement(retirement_id)
            return retirement_from_row(row)

        return self._read(read)

    def move(
        self, retirement_id: str, new: RetirementState, at: datetime, reasons: tuple[Reason, ...] = ()
    ) -> Retirement:
        """Advance a retirement; the same state again changes nothing.

        RETIRED needs its retirement transfer settled: it takes that settlement's
        time, and each lender of the units' project hears of it, in this transaction.
        """

        def change(session: Session) -> Retirement:
            row = session.scalars(
                select(RetirementRow).where(RetirementRow.retirement_id == retirement_id).with_for_update()
            ).one_or_none()
            if row is None:
                raise _no_retirement(retirement_id)
            current = RetirementState(row.state)
            if current is new:
                return retirement_from_row(row)
            if new not in _MOVES.get(current, frozenset()):
                raise PreconditionFailed(
                    f"retirement {retirement_id} is {current.value}; it cannot become {new.value}"
                )
            row.state = new.value
            row.reasons = [*row.reasons, *(r.model_dump(mode="json") for r in reasons)]
            if new is _S.RETIRED:
                transfer = _settled_transfer(session, retirement_from_row(row).retirement_transfer_id)
                row.retired_at = transfer.settled_at
                session.flush()
                account = account_from_row(session.get_one(PublicBenefitAccountRow, row.account_id))
                finance_event_rows.append(
                    session, _completed(session, retirement_from_row(row), account, transfer)
                )
            session.flush()
            return retirement_from_row(row)

        return self._write(change)


def _visible_account(session: Session, account_id: str, operator: str | None) -> PublicBenefitAccount:
    row = session.get(PublicBenefitAccountRow, account_id)
    if row is None or (operator is not None and row.operator != operator):
        raise NotFound(
            f"no public-benefit account {quoted(account_id)}",
            field="account_id",
            resource_type="public-benefit account",
            resource_name=account_id,
        )
    return account_from_row(row)


def _no_retirement(retirement_id: str) -> NotFound:
    return NotFound(
        f"no retirement {quoted(retirement_id)}",
        field="retirement_id",
        resource_type="retirement",
        resource_name=retirement_id,
    )


def _settled_transfer(session: Session, transfer_id: str) -> Transfer:
    row = session.get(TransferRow, transfer_id)
    if row is None or row.state not in _SETTLED:
        raise PreconditionFailed(f"retirement transfer {transfer_id} has not settled")
    return transfer_rows.from_row(row)


def _completed(
    session: Session, retirement: Retirement, account: PublicBenefitAccount, transfer: Transfer
) -> list[FinanceEvent]:
    """`retirement.completed` for each lender financing the retired units' project."""
    assert retirement.retired_at is not None
    project = ProjectRef.of_block(transfer.block)
    data: dict[str, Any] = {
        "retirement_id": retirement.retirement_id,
        "certificate_id": retirement.certificate_id,
        "account_id": account.account_id,
        "beneficiary": account.shown_name,
        "beneficiary_kind": account.kind.value,
        "reason": retirement.reason,
        "registry_id": transfer.request.source.registry_id,
        "transfer_id": transfer.transfer_id,
        "serial": transfer.request.serial,
        "quantity": transfer.block.quantity,
        "project": project.model_dump(),
    }
    lenders = loan_rows.lenders_of_project(session, project.programme, project.project_id)
    return [
        FinanceEvent(
            event_id=f"retirement:{retirement.retirement_id}:completed",
            org=lender,
            kind=EventKind.RETIREMENT_COMPLETED,
            subject=retirement.retirement_id,
            data=data,
            occurred_at=retirement.retired_at,
        )
        for lender in sorted(lenders)
    ]


def _asked(retirement: Retirement) -> tuple[object, ...]:
    """What a caller asks for (a retry compares these), not where it stands."""
    r = retirement
    return (r.account_id, r.seller, r.serial, r.quantity, r.reason, r.requested_by)


def _account_row(account: PublicBenefitAccount, at: datetime) -> PublicBenefitAccountRow:
    return PublicBenefitAccountRow(
        account_id=account.account_id,
        kind=account.kind.value,
        display_name=account.display_name,
        private=account.private,
        holding_registry_id=account.holding.registry_id,
        holding_account_id=account.holding.account_id,
        operator=account.operator,
        created_at=at,
    )


def account_from_row(row: PublicBenefitAccountRow) -> PublicBenefitAccount:
    return PublicBenefitAccount(
        account_id=row.account_id,
        kind=BeneficiaryKind(row.kind),
        display_name=row.display_name,
        private=row.private,
        holding=AccountRef(registry_id=row.holding_registry_id, account_id=row.holding_account_id),
        operator=row.operator,
    )


def _retirement_row(retirement: Retirement) -> RetirementRow:
    seller = retirement.seller
    return RetirementRow(
        retirement_id=retirement.retirement_id,
        account_id=retirement.account_id,
        seller_registry_id=None if seller is None else seller.registry_id,
        seller_account_id=None if seller is None else seller.account_id,
        serial=retirement.serial,
        quantity=retirement.quantity,
        reason=retirement.reason,
        state=retirement.state.value,
        reasons=[r.model_dump(mode="json") for r in retirement.reasons],
        requested_by=retirement.requested_by,
        created_at=retirement.created_at,
        retired_at=retirement.retired_at,
    )


def retirement_from_row(row: RetirementRow) -> Retirement:
    seller = None
    if row.seller_registry_id is not None and row.seller_account_id is not None:
        seller = AccountRef(registry_id=row.seller_registry_id, account_id=row.seller_account_id)
    return Retirement(
        retirement_id=row.retirement_id,
        account_id=row.account_id,
        seller=seller,
        serial=row.serial,
        quantity=row.quantity,
        reason=row.reason,
        state=RetirementState(row.state),
        reasons=tuple(Reason.model_validate(r) for r in row.reasons),
        requested_by=row.requested_by,
        created_at=row.created_at,
        retired_at=row.retired_at,
    )
