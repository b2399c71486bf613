"""The double-counting checks' view of a transfer: who, where, which serials, for what purpose.

Shared by the workflow's check step and the gRPC dry run, so both judge the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable

from adapters import catalogue
from compliance_rules import TransferProposal
from domain.holdings import Holding
from domain.transfers import Transfer


def proposal_for(transfer: Transfer, source_holdings: Iterable[Holding] = ()) -> TransferProposal:
    """The proposal; a transfer that names no compliance year counts towards the year it was submitted."""
    request = transfer.request
    return TransferProposal(
        transfer_id=transfer.transfer_id,
        source=request.source,
        destination=request.destination,
        source_jurisdiction=catalogue.profile(request.source.registry_id).info.jurisdiction,
        destination_jurisdiction=catalogue.profile(request.destination.registry_id).info.jurisdiction,
        block=transfer.block,
        purpose=request.purpose,
        compliance_year=request.compliance_year or transfer.created_at.year,
        source_holdings=tuple(h for h in source_holdings if h.block.overlaps(transfer.block)),
    )
