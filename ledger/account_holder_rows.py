"""Which organisation holds each account, as rows: recorded once, the same holder again a no-op."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.errors import AlreadyExists
from domain.transfers import AccountRef
from ledger.models import AccountHolderRow


def record(session: Session, account: AccountRef, holder_org: str, by: str, at: datetime) -> bool:
    """Store the holder (True); False when it was already recorded; AlreadyExists for another holder."""
    row = session.get(AccountHolderRow, (account.registry_id, account.account_id))
    if row is None:
        session.add(
            AccountHolderRow(
                registry_id=account.registry_id,
                account_id=account.account_id,
                holder_org=holder_org,
                recorded_at=at,
                recorded_by=by,
            )
        )
        return True
    if row.holder_org != holder_org:
        raise AlreadyExists(
            f"account {account.registry_id}:{account.account_id} is held by another organisation",
            field="holder_org",
            resource_type="account holder",
            resource_name=f"{account.registry_id}:{account.account_id}",
        )
    return False


def holder_of(session: Session, account: AccountRef) -> str | None:
    row = session.get(AccountHolderRow, (account.registry_id, account.account_id))
    return None if row is None else row.holder_org


def accounts_held(session: Session, holder_org: str, registry_id: str) -> set[str]:
    query = select(AccountHolderRow.account_id).where(
        AccountHolderRow.holder_org == holder_org, AccountHolderRow.registry_id == registry_id
    )
    return set(session.scalars(query))
