"""OwnerService: project owners' signed transfer requests, and the keys registry operators hold for them.

A signed request is judged in a fixed order, and each step refuses before the next one
changes anything: the fields (converted and checked exactly as SubmitTransfer's), the
key and its signature, the key's state and account, the expiry
(`signed_requests.authenticate`); then the nonce is spent; then the transfer desk
submits the request for the key's owner. A refusal is a domain error; the access
interceptor writes its outcome and reason code to the audit log.

A nonce stays spent even when the desk then refuses the request (units not held, say):
a signed request that was looked at and refused is not replayable, so an owner can
trust that a refusal is final. The same signed request again passes the nonce only as
a retry of a transfer that was recorded, and then the desk answers with that transfer.
"""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from datetime import UTC, datetime, timedelta

import grpc

from domain import paging, signed_requests
from domain.errors import InvalidInput
from domain.signed_requests import OwnerKey, SignatureAlgorithm, SignedTransfer
from domain.transfers import Transfer
from gateway import wire
from gateway.roles import current_caller
from gateway.servicers import ON_TRANSFER, mapped, mapped_on
from gateway.transfer_desk import TransferDesk
from ledger import Ledger
from protos.carbon.gateway.v1 import owner_pb2, owner_pb2_grpc, transfer_pb2

log = logging.getLogger(__name__)

ON_KEY = ("owner key", "key_id")
_SCOPE = "owner-keys"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ALGORITHM_NUMBERS: dict[SignatureAlgorithm, owner_pb2.SignatureAlgorithm] = {
    SignatureAlgorithm.ED25519: owner_pb2.SIGNATURE_ALGORITHM_ED25519,
    SignatureAlgorithm.ECDSA_P256_SHA256: owner_pb2.SIGNATURE_ALGORITHM_ECDSA_P256_SHA256,
}
_ALGORITHMS = {int(number): algorithm for algorithm, number in _ALGORITHM_NUMBERS.items()}
_LABEL_MAX = 128  # the ledger's id columns


# The wire


def transfer_fields(msg: owner_pb2.SubmitSignedTransferRequest) -> transfer_pb2.SubmitTransferRequest:
    """Fields 1 to 7 as SubmitTransfer takes them, so they are converted and checked the same way."""
    fields = transfer_pb2.SubmitTransferRequest(
        transfer_id=msg.transfer_id,
        source=msg.source,
        destination=msg.destination,
        serial=msg.serial,
        purpose=msg.purpose,
    )
    if msg.HasField("quantity"):
        fields.quantity = msg.quantity
    if msg.HasField("compliance_year"):
        fields.compliance_year = msg.compliance_year
    return fields


def _expiry(msg: owner_pb2.SubmitSignedTransferRequest) -> datetime:
    stamp = msg.expire_time
    if stamp.nanos:
        raise InvalidInput("expire_time must be whole seconds (nanos 0)", field="expire_time")
    try:
        return stamp.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError) as bad:
        raise InvalidInput("expire_time is not a valid timestamp", field="expire_time") from bad


def signed_transfer_from_proto(msg: owner_pb2.SubmitSignedTransferRequest) -> SignedTransfer:
    """The signed request as the domain takes it (the signer's side builds its payload from this too)."""
    wire.every_refusal(
        lambda: wire.transfer_request_from_proto(transfer_fields(msg)),
        lambda: signed_requests.require_key_id(msg.key_id),
        lambda: signed_requests.require_nonce(msg.nonce),
        lambda: _expiry(msg),
    )
    signed = SignedTransfer(
        request=wire.transfer_request_from_proto(transfer_fields(msg)),
        key_id=msg.key_id,
        nonce=msg.nonce,
        expires_at=_expiry(msg),
        signature=msg.signature,
    )
    signed.payload()  # a value the canonical encoding cannot carry is bad input, not a bad signature
    return signed


def signed_transfer_to_proto(signed: SignedTransfer) -> owner_pb2.SubmitSignedTransferRequest:
    request = signed.request
    msg = owner_pb2.SubmitSignedTransferRequest(
        transfer_id=request.transfer_id,
        source=wire.account_to_proto(request.source),
        destination=wire.account_to_proto(request.destination),
        serial=request.serial,
        purpose=wire.purpose_to_proto(request.purpose),
        key_id=signed.key_id,
        nonce=signed.nonce,
        signature=signed.signature,
    )
    if request.quantity is not None:
        msg.quantity = request.quantity
    if request.compliance_year is not None:
        msg.compliance_year = request.compliance_year
    msg.expire_time.FromDatetime(signed.expires_at)
    return msg


def _algorithm(number: int) -> SignatureAlgorithm:
    found = _ALGORITHMS.get(number)
    if found is None:
        raise InvalidInput(
            "algorithm must be SIGNATURE_ALGORITHM_ED25519 or SIGNATURE_ALGORITHM_ECDSA_P256_SHA256",
            field="algorithm",
        )
    return found


def owner_key_from_proto(
    msg: owner_pb2.RegisterOwnerKeyRequest, registered_by: str, at: datetime
) -> OwnerKey:
    """The key to register; every bad field named at once (key bytes that do not parse as the algorithm)."""
    wire.every_refusal(
        lambda: wire.registry_account_from_proto(msg.registry_id, msg.account_id),
        lambda: signed_requests.require_org(msg.owner_org),
        lambda: signed_requests.load_public_key(msg.public_key, _algorithm(msg.algorithm)),
    )
    return OwnerKey(
        key_id=signed_requests.key_id_of(msg.public_key),
        account=wire.registry_account_from_proto(msg.registry_id, msg.account_id),
        owner_org=msg.owner_org,
        algorithm=_algorithm(msg.algorithm),
        public_key=msg.public_key,
        registered_at=at,
        registered_by=registered_by,
    )


def owner_key_to_proto(key: OwnerKey) -> owner_pb2.OwnerKey:
    msg = owner_pb2.OwnerKey(
        key_id=key.key_id,
        registry_id=key.account.registry_id,
        account_id=key.account.account_id,
        owner_org=key.owner_org,
        algorithm=_ALGORITHM_NUMBERS[key.algorithm],
        public_key=key.public_key,
        registered_by=key.registered_by,
        revoked_by=key.revoked_by or "",
        revoke_reason=key.revoke_reason or "",
    )
    msg.register_time.FromDatetime(key.registered_at)
    if key.revoked_at is not None:
        msg.revoke_time.FromDatetime(key.revoked_at)
    return msg


def _reason(value: str) -> str:
    reason = value.strip()
    if not reason or any(unicodedata.category(char) == "Cc" for char in reason):
        raise InvalidInput("reason must say why in a sentence, without control characters", field="reason")
    return reason


def _key_order(key: OwnerKey) -> paging.Key:
    """Oldest first; ties by the first 128 bits of the key's digest, which keeps a page token within the
    128 characters every request string is bounded to (the whole key id would not)."""
    return ((key.registered_at - _EPOCH) // timedelta(microseconds=1), key.key_id[7:39])


# The service


class OwnerServicer(owner_pb2_grpc.OwnerServiceServicer):
    def __init__(self, desk: TransferDesk, ledger: Ledger) -> None:
        self._desk = desk
        self._ledger = ledger

    @mapped
    async def RegisterOwnerKey(
        self, request: owner_pb2.RegisterOwnerKeyRequest, context: grpc.aio.ServicerContext
    ) -> owner_pb2.RegisterOwnerKeyResponse:
        by = current_caller().label[:_LABEL_MAX]
        key = owner_key_from_proto(request, registered_by=by, at=datetime.now(UTC))
        stored, added = await asyncio.to_thread(self._ledger.register_owner_key, key)
        if added:
            log.info("owner key %s registered for %s:%s by %s", key.key_id, *_where(key), by)
        return owner_pb2.RegisterOwnerKeyResponse(owner_key=owner_key_to_proto(stored))

    @mapped_on(ON_KEY)
    async def RevokeOwnerKey(
        self, request: owner_pb2.RevokeOwnerKeyRequest, context: grpc.aio.ServicerContext
    ) -> owner_pb2.RevokeOwnerKeyResponse:
        wire.every_refusal(
            lambda: signed_requests.require_key_id(request.key_id), lambda: _reason(request.reason)
        )
        by = current_caller().label[:_LABEL_MAX]
        reason = _reason(request.reason)
        key, revoked = await asyncio.to_thread(
            self._ledger.revoke_owner_key, request.key_id, by, datetime.now(UTC), reason
        )
        if revoked:
            log.info("owner key %s revoked by %s", key.key_id, by)
        return owner_pb2.RevokeOwnerKeyResponse(owner_key=owner_key_to_proto(key))

    @mapped
    async def ListOwnerKeys(
        self, request: owner_pb2.ListOwnerKeysRequest, context: grpc.aio.ServicerContext
    ) -> owner_pb2.ListOwnerKeysResponse:
        account = wire.registry_account_from_proto(request.registry_id, request.account_id)
        size = paging.page_size(request.page_size)
        query = {"registry_id": account.registry_id, "account_id": account.account_id}
        if request.page_token:  # a bad token is refused before the ledger is read
            paging.position(request.page_token, _SCOPE, query)
        keys, token = paging.page_of(
            await asyncio.to_thread(self._ledger.owner_keys, account),
            _key_order,
            scope=_SCOPE,
            query=query,
            size=size,
            token=request.page_token,
        )
        return owner_pb2.ListOwnerKeysResponse(
            owner_keys=[owner_key_to_proto(k) for k in keys], next_page_token=token
        )

    @mapped_on(ON_TRANSFER)
    async def SubmitSignedTransfer(
        self, request: owner_pb2.SubmitSignedTransferRequest, context: grpc.aio.ServicerContext
    ) -> owner_pb2.SubmitSignedTransferResponse:
        signed = signed_transfer_from_proto(request)
        now = datetime.now(UTC)
        key = signed_requests.authenticate(
            signed, await asyncio.to_thread(self._ledger.owner_key, signed.key_id), now
        )
        transfer_id = signed.request.transfer_id
        first = await asyncio.to_thread(
            self._ledger.use_nonce, key.key_id, signed.nonce, transfer_id, signed.expires_at, now
        )
        if not first and await asyncio.to_thread(self._ledger.get, transfer_id) is None:
            raise signed_requests.replayed(
                key.key_id,
                signed.nonce,
                "this signed request was refused before (or is being submitted now); "
                "sign it again with a new nonce",
            )
        transfer = await self._desk.submit(signed.request, submitted_by=key.owner_org)
        return owner_pb2.SubmitSignedTransferResponse(transfer=self._shown(transfer))

    def _shown(self, transfer: Transfer) -> transfer_pb2.Transfer:
        """The transfer on the wire, with what its holder must do while it waits for evidence."""
        msg = wire.transfer_to_proto(transfer)
        awaited = self._desk.evidence_awaited(transfer, ())
        if awaited is not None:
            msg.evidence_awaited.holder_action = awaited.holder_action
            msg.evidence_awaited.deadline_time.FromDatetime(awaited.deadline)
        return msg


def _where(key: OwnerKey) -> tuple[str, str]:
    return key.account.registry_id, key.account.account_id
