"""The public window's facts: what anyone may see of a settlement, a retirement or the market.

Each model lists its fields one by one, so nothing reaches the public by being added
to a domain model later. Left out on purpose: who submitted a transfer (an exchange's
organisation), who holds an account (`holder_org`), why it moved, and the name of a
beneficiary who asked for privacy. The account ids stay: they are inside the leaf
bytes every receipt carries, which anyone verifying must be able to read.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from adapters import catalogue
from adapters.grammars import parse_first_fit
from domain.errors import InvalidInput, PreconditionFailed
from domain.reconciliation_report import ReconciliationReport
from domain.serials import SerialBlock
from gateway.settlement_proofs import settlement_receipt
from ledger import AnchorEntry, Ledger
from ledger.public_book import LoggedSettlement, MarketCell, RetiredFor
from ledger_anchor.receipt import SettlementReceipt

RECENT = 20
SERIAL_TRAIL_LIMIT = 200


class PublicSettlement(BaseModel):
    model_config = ConfigDict(frozen=True)

    transfer_id: str
    source_registry: str
    source_registry_name: str
    source_account: str
    destination_registry: str
    destination_registry_name: str
    destination_account: str
    serial: str
    serial_space: str
    start: int
    end: int
    quantity: int
    programme: str
    unit_type: str
    project_id: str
    vintage: str
    settled_at: datetime
    leaf_index: int
    anchored: bool  # inside the newest final anchored head
    retired_at: datetime | None = None  # a retirement's settlement


class PublicRetirement(BaseModel):
    model_config = ConfigDict(frozen=True)

    certificate_id: str
    retirement_id: str
    beneficiary: str  # withheld when the beneficiary asked for privacy
    beneficiary_kind: str
    reason: str
    serial: str
    quantity: int
    unit_type: str
    registry: str
    registry_name: str
    retired_at: datetime
    operator: str
    transfer_id: str  # its settlement, which carries the receipt


class TreeHead(BaseModel):
    model_config = ConfigDict(frozen=True)

    tree_size: int
    root: str
    chain_id: int
    contract_address: str
    tx_hash: str
    block_number: int
    final_at: datetime | None


class ReconciliationSummary(BaseModel):
    """A finished reconciliation run as the regulators publish it: counts, never the findings."""

    model_config = ConfigDict(frozen=True)

    reconciliation_id: str
    finished_at: datetime
    state: str
    registries: int
    compared_blocks: int
    findings: int
    open_findings: int
    by_code: dict[str, int]


class Overview(BaseModel):
    """The home page's facts, read together."""

    model_config = ConfigDict(frozen=True)

    log_size: int
    head: TreeHead | None
    settlements: list[PublicSettlement]
    retirements: list[PublicRetirement]
    reconciliations: list[ReconciliationSummary]
    market: list[MarketCell]


class Lookup(BaseModel):
    """What a search found: a settlement, a retirement, or a serial's trail (empty: nothing)."""

    model_config = ConfigDict(frozen=True)

    query: str
    settlement: PublicSettlement | None = None
    retirement: PublicRetirement | None = None
    trail: list[PublicSettlement] = []


def registry_name(registry_id: str) -> str:
    try:
        return catalogue.profile(registry_id).info.name
    except InvalidInput:
        return registry_id


def tree_head(anchor: AnchorEntry | None) -> TreeHead | None:
    if anchor is None:
        return None
    return TreeHead(
        tree_size=anchor.tree_size,
        root=anchor.root,
        chain_id=anchor.chain_id,
        contract_address=anchor.contract_address,
        tx_hash=anchor.tx_hash,
        block_number=anchor.block_number or 0,
        final_at=anchor.final_at,
    )


def _settlement(
    logged: LoggedSettlement, head: TreeHead | None, retired_at: datetime | None
) -> PublicSettlement:
    t, block = logged.transfer, logged.transfer.block
    source, destination = t.request.source, t.request.destination
    assert t.settled_at is not None  # the public book reads settled transfers only
    return PublicSettlement(
        transfer_id=t.transfer_id,
        source_registry=source.registry_id,
        source_registry_name=registry_name(source.registry_id),
        source_account=source.account_id,
        destination_registry=destination.registry_id,
        destination_registry_name=registry_name(destination.registry_id),
        destination_account=destination.account_id,
        serial=catalogue.format_serial(block),
        serial_space=block.serial_space,
        start=block.start,
        end=block.end,
        quantity=block.quantity,
        programme=block.programme,
        unit_type=block.unit_type,
        project_id=block.project_id,
        vintage=block.vintage,
        settled_at=t.settled_at,
        leaf_index=logged.leaf_index,
        anchored=head is not None and logged.leaf_index < head.tree_size,
        retired_at=retired_at,
    )


def _settlements(
    ledger: Ledger, found: list[LoggedSettlement], head: TreeHead | None
) -> list[PublicSettlement]:
    retired = ledger.public.retired_by_transfer([s.transfer.transfer_id for s in found])
    return [_settlement(s, head, retired.get(s.transfer.transfer_id)) for s in found]


def _retirement(ledger: Ledger, found: RetiredFor) -> PublicRetirement | None:
    r, account = found.retirement, found.account
    settled = ledger.public.settled(r.retirement_transfer_id)
    if r.certificate_id is None or r.retired_at is None or settled is None:
        return None
    block = settled.transfer.block
    registry = settled.transfer.request.source.registry_id
    return PublicRetirement(
        certificate_id=r.certificate_id,
        retirement_id=r.retirement_id,
        beneficiary=account.shown_name,
        beneficiary_kind=account.kind.value,
        reason=r.reason,
        serial=catalogue.format_serial(block),
        quantity=block.quantity,
        unit_type=block.unit_type,
        registry=registry,
        registry_name=registry_name(registry),
        retired_at=r.retired_at,
        operator=account.operator,
        transfer_id=r.retirement_transfer_id,
    )


def _summary(report: ReconciliationReport) -> ReconciliationSummary | None:
    if report.finished_at is None:
        return None
    return ReconciliationSummary(
        reconciliation_id=report.reconciliation_id,
        finished_at=report.finished_at,
        state=report.state.value,
        registries=len(report.registries),
        compared_blocks=report.compared_blocks,
        findings=report.counts.total,
        open_findings=report.counts.open,
        by_code=dict(report.counts.by_code),
    )


def overview(ledger: Ledger, market: list[MarketCell]) -> Overview:
    head = tree_head(ledger.latest_final_anchor())
    retirements = [_retirement(ledger, r) for r in ledger.public.recent_retirements(RECENT)]
    summaries = [_summary(r) for r in ledger.reconciliations.runs(None, RECENT)]
    return Overview(
        log_size=ledger.log_size(),
        head=head,
        settlements=_settlements(ledger, ledger.public.recent_settlements(RECENT), head),
        retirements=[r for r in retirements if r is not None],
        reconciliations=[s for s in summaries if s is not None],
        market=market,
    )


def settlement(ledger: Ledger, transfer_id: str) -> PublicSettlement | None:
    found = ledger.public.settled(transfer_id)
    if found is None:
        return None
    return _settlements(ledger, [found], tree_head(ledger.latest_final_anchor()))[0]


def retirement(ledger: Ledger, certificate_id: str) -> PublicRetirement | None:
    retirement_id = certificate_id.removeprefix("cert-")
    if retirement_id == certificate_id:
        return None
    found = ledger.public.retired(retirement_id)
    return _retirement(ledger, found) if found is not None else None


def receipt(ledger: Ledger, transfer_id: str) -> SettlementReceipt | None:
    """The settlement's receipt, or None until its tree head is anchored and final."""
    try:
        return settlement_receipt(ledger, transfer_id)
    except PreconditionFailed:
        return None


def parse_any_serial(text: str) -> SerialBlock | None:
    """The block a serial names, in whichever programme's grammar reads it; None if none does."""
    grammars = [catalogue.grammar_for_programme(p) for p in catalogue.programmes()]
    try:
        return parse_first_fit(text, grammars)
    except InvalidInput:
        return None


def lookup(ledger: Ledger, query: str) -> Lookup:
    """A transfer id, a retirement certificate id, or a serial (any registry's grammar)."""
    text = query.strip()
    found = settlement(ledger, text)
    if found is not None:
        return Lookup(query=text, settlement=found)
    retired = retirement(ledger, text)
    if retired is not None:
        return Lookup(query=text, retirement=retired)
    block = parse_any_serial(text)
    if block is None:
        return Lookup(query=text)
    trail = ledger.public.settled_overlapping(block.serial_space, block.start, block.end, SERIAL_TRAIL_LIMIT)
    return Lookup(query=text, trail=_settlements(ledger, trail, tree_head(ledger.latest_final_anchor())))
