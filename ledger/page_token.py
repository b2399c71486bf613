"""Opaque page tokens for listing transfers.

A token is the position of the last transfer on the previous page, in listing
order (created_at, transfer_id); paging by position rather than offset keeps
pages stable while new transfers arrive.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime

from domain.errors import InvalidInput


def encode(created_at: datetime, transfer_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), transfer_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(token: str) -> tuple[datetime, str]:
    """The position a token stands for; a token that was not made by `encode` is the caller's error."""
    try:
        padded = token + "=" * (-len(token) % 4)
        created_at, transfer_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        position = datetime.fromisoformat(created_at), str(transfer_id)
    except (ValueError, TypeError) as exc:
        raise InvalidInput("page_token is not one this ledger issued", field="page_token") from exc
    if position[0].tzinfo is None:
        raise InvalidInput("page_token is not one this ledger issued", field="page_token")
    return position
