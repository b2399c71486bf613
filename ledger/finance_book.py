"""Pledges as their lenders hold them, and repos: the ledger's part for collateral.

Each change and the event its lender hears of are written in one transaction.
"""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.errors import AlreadyExists, NotFound, PreconditionFailed
from domain.finance import Collateral, EventKind, FinanceEvent, Repo, RepoState
from domain.transfers import AccountRef, Reason
from ledger import finance_event_rows, pledge_rows
from ledger.book import Book
from ledger.finance_facts import account, pledge_event
from ledger.models import GreenLoanRow, RepoRow

_REPO_EVENTS = {
    RepoState.SOLD: EventKind.REPO_SOLD,
    RepoState.COMPLETED: EventKind.REPO_COMPLETED,
    RepoState.DEFAULTED: EventKind.REPO_DEFAULTED,
    RepoState.FAILED: EventKind.REPO_FAILED,
}
# Where a repo may go from each state (a retry of the same move is a no-op).
_REPO_MOVES = {
    RepoState.SELLING: {RepoState.SOLD, RepoState.FAILED},
    RepoState.SOLD: {RepoState.REPURCHASING, RepoState.DEFAULTED},
    RepoState.REPURCHASING: {RepoState.COMPLETED, RepoState.FAILED},
}


class FinanceBook(Book):
    """Pledges (lock, consent, release; ended at settlement by `ledger.finance_facts`) and repos."""

    # Pledges

    def pledge(self, collateral: Collateral) -> tuple[Collateral, bool]:
        """Lock the units for their lender, once per pledge id; refused while a transfer reserves them."""

        def change(session: Session) -> tuple[Collateral, bool]:
            if collateral.loan_id is not None:
                _require_loan(session, collateral.loan_id, collateral.lender)
            stored, created = pledge_rows.record(session, collateral)
            if created:
                finance_event_rows.append(
                    session, [pledge_event(stored, EventKind.PLEDGE_CREATED, stored.pledged_at)]
                )
            return stored, created

        return self._write(change)

    def consent(self, pledge_id: str, lender: str | None, transfer_id: str, at: datetime) -> Collateral:
        """Let exactly one named transfer move the pledged units."""

        def change(session: Session) -> Collateral:
            collateral, changed = pledge_rows.consent(session, pledge_id, lender, transfer_id)
            if changed:
                event = pledge_event(collateral, EventKind.PLEDGE_CONSENTED, at, transfer_id)
                finance_event_rows.append(session, [event])
            return collateral

        return self._write(change)

    def release(self, pledge_id: str, lender: str | None, at: datetime) -> tuple[Collateral, bool]:
        """Free the pledged units; False when they were already released."""

        def change(session: Session) -> tuple[Collateral, bool]:
            collateral, released = pledge_rows.release(session, pledge_id, lender, at)
            if released:
                finance_event_rows.append(session, [pledge_event(collateral, EventKind.PLEDGE_RELEASED, at)])
            return collateral, released

        return self._write(change)

    def collateral(self, pledge_id: str, lender: str | None = None) -> Collateral:
        return self._read(lambda s: pledge_rows.get(s, pledge_id, lender))

    def pledges(self, lender: str | None) -> builtins.list[Collateral]:
        return self._read(lambda s: pledge_rows.listed(s, lender))

    # Repos

    def open_repo(self, repo: Repo, at: datetime) -> tuple[Repo, bool]:
        """Store the repo once (SELLING); the same repo again answers with the stored one."""

        def change(session: Session) -> tuple[Repo, bool]:
            row = session.get(RepoRow, repo.repo_id)
            if row is not None:
                stored = repo_from_row(row)
                if _repo_terms(stored) != _repo_terms(repo):
                    raise AlreadyExists(
                        f"repo {repo.repo_id} is already recorded with other content", field="repo_id"
                    )
                return stored, False
            session.add(_repo_row(repo, at))
            session.flush()
            return repo.model_copy(update={"updated_at": at}), True

        return self._write(change)

    def move_repo(self, repo_id: str, new: RepoState, at: datetime, reasons: tuple[Reason, ...] = ()) -> Repo:
        """Advance a repo (a retry of the same move changes nothing); its seller and buyer hear of it."""

        def change(session: Session) -> Repo:
            row = session.scalars(select(RepoRow).where(RepoRow.repo_id == repo_id).with_for_update()).one()
            current = RepoState(row.state)
            if current is new:
                return repo_from_row(row)
            if new not in _REPO_MOVES.get(current, set()):
                raise PreconditionFailed(f"repo {repo_id} is {current.value}; it cannot become {new.value}")
            row.state = new.value
            row.reasons = [*row.reasons, *(r.model_dump(mode="json") for r in reasons)]
            row.updated_at = at
            session.flush()
            repo = repo_from_row(row)
            if new in _REPO_EVENTS:
                finance_event_rows.append(session, _repo_events(repo, _REPO_EVENTS[new], at))
            return repo

        return self._write(change)

    def repo(self, repo_id: str, party: str | None = None) -> Repo:
        """The repo as its seller or buyer sees it (`party` None: anyone who sees everything)."""

        def read(session: Session) -> Repo:
            row = session.get(RepoRow, repo_id)
            if row is None or (party is not None and party not in (row.seller, row.buyer)):
                raise NotFound(f"repo {repo_id} is not in the ledger", field="repo_id")
            return repo_from_row(row)

        return self._read(read)


def _require_loan(session: Session, loan_id: str, lender: str) -> None:
    row = session.get(GreenLoanRow, loan_id)
    if row is None or row.lender != lender:
        raise NotFound(f"green loan {loan_id} is not one of {lender}'s", field="loan_id")


def _repo_events(repo: Repo, kind: EventKind, at: datetime) -> builtins.list[FinanceEvent]:
    data = {
        "repo_id": repo.repo_id,
        "seller": repo.seller,
        "buyer": repo.buyer,
        "seller_account": account(repo.seller_account),
        "buyer_account": account(repo.buyer_account),
        "serial": repo.serial,
        "quantity": repo.quantity,
        "repurchase_quantity": repo.repurchase_quantity,
        "repurchase_date": repo.repurchase_date.isoformat(),
        "state": repo.state.value,
    }
    return [
        FinanceEvent(
            event_id=f"repo:{repo.repo_id}:{repo.state.value}",
            org=org,
            kind=kind,
            subject=repo.repo_id,
            data=data,
            occurred_at=at,
        )
        for org in sorted({repo.seller, repo.buyer})
    ]


def _repo_terms(repo: Repo) -> tuple[object, ...]:
    return (
        repo.seller,
        repo.buyer,
        repo.seller_account,
        repo.buyer_account,
        repo.serial,
        repo.quantity,
        repo.repurchase_quantity,
        repo.repurchase_date,
    )


def _repo_row(repo: Repo, at: datetime) -> RepoRow:
    return RepoRow(
        repo_id=repo.repo_id,
        seller=repo.seller,
        buyer=repo.buyer,
        seller_registry_id=repo.seller_account.registry_id,
        seller_account_id=repo.seller_account.account_id,
        buyer_registry_id=repo.buyer_account.registry_id,
        buyer_account_id=repo.buyer_account.account_id,
        serial=repo.serial,
        quantity=repo.quantity,
        repurchase_quantity=repo.repurchase_quantity,
        repurchase_date=repo.repurchase_date,
        state=RepoState.SELLING.value,
        reasons=[],
        created_at=at,
        updated_at=at,
    )


def repo_from_row(row: RepoRow) -> Repo:
    return Repo(
        repo_id=row.repo_id,
        seller=row.seller,
        buyer=row.buyer,
        seller_account=AccountRef(registry_id=row.seller_registry_id, account_id=row.seller_account_id),
        buyer_account=AccountRef(registry_id=row.buyer_registry_id, account_id=row.buyer_account_id),
        serial=row.serial,
        quantity=row.quantity,
        repurchase_quantity=row.repurchase_quantity,
        repurchase_date=row.repurchase_date,
        state=RepoState(row.state),
        reasons=tuple(Reason.model_validate(r) for r in row.reasons),
        updated_at=row.updated_at,
    )
