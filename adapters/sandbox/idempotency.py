"""Exactly-once for every mutating call: the answer of (registry, key, operation) that acted is kept.

The same key with the same body gets the stored answer without acting again, so
a client may resend after a timeout or a lost reply. The same key with another
body is refused with 422. A refusal changes nothing, so it is not stored: a
resend is judged afresh, which lets a compensation refused today (units moved
on) succeed once an operator has put things right. The lookup, the action and
the stored answer share one write transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from adapters.sandbox.refusals import Refusal, RefusalCode
from adapters.sandbox.store import StoredReply, StoreTx
from adapters.sandbox.wire import ErrorBody, Operation


@dataclass(frozen=True)
class Reply:
    status: int
    body: str  # JSON


def request_hash(request: BaseModel) -> str:
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def refusal_reply(refusal: Refusal) -> Reply:
    return Reply(refusal.status, ErrorBody(code=refusal.code, message=refusal.message).model_dump_json())


def once(
    tx: StoreTx,
    registry_id: str,
    key: str,
    operation: Operation,
    request: BaseModel,
    action: Callable[[], BaseModel],
) -> Reply:
    """The stored reply for this key, or the reply of running `action` now (stored if it acted).

    A `Refusal` from `action` propagates; the caller's transaction then rolls back whatever it wrote.
    """
    digest = request_hash(request)
    stored = tx.stored_reply(registry_id, key, operation)
    if stored is not None:
        if stored.request_hash != digest:
            raise Refusal(
                RefusalCode.KEY_REUSED,
                f"key {key!r} was already used for {operation.value} with a different body",
            )
        return Reply(stored.status_code, stored.response)
    reply = Reply(200, action().model_dump_json())
    tx.store_reply(registry_id, key, operation, StoredReply(digest, reply.status, reply.body))
    return reply
