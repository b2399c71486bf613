"""The gateway's own record: transfers, their history, the serial-block index, the settlement log.

SQLAlchemy over SQLite (one machine) or PostgreSQL (scale), migrated by Alembic
when opened. Import `Ledger` from here.
"""

from ledger.article6_rows import AdjustmentStep
from ledger.settlement_log import AnchorAttempt, AnchorEntry, LogEntry
from ledger.store import Ledger
from ledger.transfer_rows import TransferEvent

__all__ = ["AdjustmentStep", "AnchorAttempt", "AnchorEntry", "Ledger", "LogEntry", "TransferEvent"]
