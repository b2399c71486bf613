"""Storing a fact once under its id: the same fact again is a no-op, another under that id is refused.

Regulators' RPCs and the workflow's activities are retried, so recording a fact
twice must leave the ledger as once; but two different facts under one id are
someone's mistake, and silently keeping either would hide it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session

from domain.errors import AlreadyExists
from ledger.models import Base

Fact = TypeVar("Fact", bound=BaseModel)


def record_once(
    session: Session, stored: Fact | None, fact: Fact, row: Callable[[Fact], Base], what: str
) -> bool:
    """Add `row(fact)` unless `stored` is already there; True when it was added now."""
    if stored is None:
        session.add(row(fact))
        session.flush()  # later rows of the same transaction (events, spans) may refer to it
        return True
    if stored != fact:
        raise AlreadyExists(f"{what} is already recorded with other content")
    return False
