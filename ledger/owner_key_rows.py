"""Project owners' keys and the nonces their signed requests used, as rows.

A key is registered for one account; registering it again is a no-op, and a key id
can never move to another account or owner, so a signature always means the same
account. Revoking keeps the row (who and when), so old signatures stay attributable.

A nonce is spent once per key, bound to the transfer id it was first used for: the
same (nonce, transfer id) again is a retry of the same signed request, any other
transfer id under it is a replay. Each use locks the key's row first, so a use and
a revocation, or two uses of one nonce, are decided one after the other.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import signed_requests
from domain.errors import AlreadyExists, NotFound, PermissionDenied, PreconditionFailed
from domain.signed_requests import OwnerKey, SignatureAlgorithm
from domain.transfers import AccountRef
from ledger.models import OwnerKeyRow, SignedRequestNonceRow


def register(session: Session, key: OwnerKey) -> tuple[OwnerKey, bool]:
    """Store the key (True), or return the same registration stored before (False).

    AlreadyExists when the key id is registered for another account or owner;
    PreconditionFailed when it was revoked (a revoked key is never used again).
    """
    row = session.get(OwnerKeyRow, key.key_id)
    if row is None:
        session.add(_row(key))
        session.flush()
        return key, True
    stored = from_row(row)
    if not stored.same_registration(key):
        raise AlreadyExists(
            f"key {key.key_id} is already registered for account "
            f"{stored.account.registry_id}:{stored.account.account_id} of {stored.owner_org}",
            field="public_key",
            resource_type="owner key",
            resource_name=key.key_id,
        )
    if stored.revoked_at is not None:
        raise PreconditionFailed(
            f"key {key.key_id} was revoked at {stored.revoked_at.isoformat()}; a revoked key is never "
            "used again: register a new one",
            field="public_key",
        )
    return stored, False


def revoke(session: Session, key_id: str, by: str, at: datetime, reason: str) -> tuple[OwnerKey, bool]:
    """Revoke the key (True); False when it already was, keeping the first revocation."""
    row = _locked(session, key_id)
    if row is None:
        raise NotFound(f"no owner key {key_id}", resource_type="owner key", resource_name=key_id)
    if row.revoked_at is not None:
        return from_row(row), False
    row.revoked_at, row.revoked_by, row.revoke_reason = at, by, reason
    return from_row(row), True


def keys_of(session: Session, account: AccountRef) -> list[OwnerKey]:
    """Every key registered for the account, revoked ones included, oldest first."""
    query = (
        select(OwnerKeyRow)
        .where(OwnerKeyRow.registry_id == account.registry_id, OwnerKeyRow.account_id == account.account_id)
        .order_by(OwnerKeyRow.registered_at, OwnerKeyRow.key_id)
    )
    return [from_row(row) for row in session.scalars(query)]


def key(session: Session, key_id: str) -> OwnerKey | None:
    row = session.get(OwnerKeyRow, key_id)
    return None if row is None else from_row(row)


def use_nonce(
    session: Session, key_id: str, nonce: str, transfer_id: str, expires_at: datetime, at: datetime
) -> bool:
    """Spend the key's nonce on `transfer_id` (True); False when it was spent on that same transfer.

    PermissionDenied when it was spent on another transfer (a replay), or when the key
    is unknown or was revoked by the time the nonce is spent.
    """
    row = _locked(session, key_id)
    if row is None:
        raise PermissionDenied(f"no owner key {key_id} is registered", code=signed_requests.KEY_UNKNOWN)
    if row.revoked_at is not None:
        raise PermissionDenied(
            f"key {key_id} was revoked at {row.revoked_at.isoformat()}", code=signed_requests.KEY_REVOKED
        )
    used = session.get(SignedRequestNonceRow, (key_id, nonce))
    if used is None:
        session.add(
            SignedRequestNonceRow(
                key_id=key_id, nonce=nonce, transfer_id=transfer_id, expires_at=expires_at, used_at=at
            )
        )
        session.flush()
        return True
    if used.transfer_id != transfer_id:
        raise signed_requests.replayed(key_id, nonce, f"it signed transfer {used.transfer_id}")
    return False


def _locked(session: Session, key_id: str) -> OwnerKeyRow | None:
    query = select(OwnerKeyRow).where(OwnerKeyRow.key_id == key_id).with_for_update()
    return session.scalars(query).one_or_none()


def _row(key: OwnerKey) -> OwnerKeyRow:
    return OwnerKeyRow(
        key_id=key.key_id,
        registry_id=key.account.registry_id,
        account_id=key.account.account_id,
        owner_org=key.owner_org,
        algorithm=key.algorithm.value,
        public_key=key.public_key,
        registered_at=key.registered_at,
        registered_by=key.registered_by,
        revoked_at=key.revoked_at,
        revoked_by=key.revoked_by,
        revoke_reason=key.revoke_reason,
    )


def from_row(row: OwnerKeyRow) -> OwnerKey:
    return OwnerKey(
        key_id=row.key_id,
        account=AccountRef(registry_id=row.registry_id, account_id=row.account_id),
        owner_org=row.owner_org,
        algorithm=SignatureAlgorithm(row.algorithm),
        public_key=row.public_key,
        registered_at=row.registered_at,
        registered_by=row.registered_by,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
        revoke_reason=row.revoke_reason,
    )
