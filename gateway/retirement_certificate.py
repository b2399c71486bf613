"""Retirement certificates: what was retired, for whom and why, and the settlement receipt proving it.

A certificate is built when asked for, from the ledger as it stands: the retirement,
its ledger transfer (`retire-<id>`, whose settlement moved the units to the registry's
"#retired" pseudo-account) and that settlement's place in the anchored log. The
receipt is the one `OversightService.GetSettlementProof` serves for that transfer
(gateway.settlement_proofs), so `carbon-gateway verify` checks it with the chain
alone; until the settlement's tree head is anchored and final, the certificate
carries the leaf and says the receipt is still to come.

Two forms: JSON for machines, and one self-contained HTML page a person shares
(no external assets, every value escaped, scripts forbidden by its own policy).
A private beneficiary's name appears in neither.
"""

from __future__ import annotations

import html
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from adapters import catalogue
from domain.errors import PreconditionFailed
from domain.finance import PublicBenefitAccount, Retirement
from domain.transfers import RETIRED_ACCOUNT_ID, Transfer
from gateway import html_page
from gateway.settlement_proofs import settlement_receipt
from gateway.wire import serial_of
from ledger import Ledger
from ledger_anchor.merkle import leaf_hash
from ledger_anchor.receipt import SettlementReceipt

CERTIFICATE_VERSION = 1
JSON_MEDIA_TYPE = "application/json"
HTML_MEDIA_TYPE = "text/html; charset=utf-8"


class Beneficiary(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str  # PublicBenefitAccount.shown_name: withheld when the beneficiary asked for privacy
    kind: str  # organisation | person


class RetiredUnits(BaseModel):
    model_config = ConfigDict(frozen=True)

    serial: str
    quantity: int
    programme: str
    unit_type: str
    project_id: str
    vintage: str
    serial_space: str
    start: int
    end: int


class RetiringRegistry(BaseModel):
    model_config = ConfigDict(frozen=True)

    registry_id: str
    name: str
    account_id: str  # the public-benefit account's backing account, which held the units


class SettlementLeaf(BaseModel):
    """The retirement's settlement in the gateway's append-only log."""

    model_config = ConfigDict(frozen=True)

    transfer_id: str
    leaf_index: int
    leaf_hash: str  # 0x-prefixed SHA-256(0x00 || leaf)
    anchored: bool  # whether `receipt` proves it into an anchored, final tree head


class RetirementCertificate(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: int = CERTIFICATE_VERSION
    certificate_id: str
    retirement_id: str
    account_id: str
    beneficiary: Beneficiary
    reason: str
    units: RetiredUnits
    registry: RetiringRegistry
    retired_at: datetime
    operator: str
    settlement: SettlementLeaf
    receipt: SettlementReceipt | None  # None until the settlement's tree head is anchored and final
    verify: str


def certificate(
    ledger: Ledger, retirement: Retirement, account: PublicBenefitAccount
) -> RetirementCertificate:
    """The certificate of a RETIRED retirement (PreconditionFailed for any other)."""
    if retirement.certificate_id is None or retirement.retired_at is None:
        raise PreconditionFailed(
            f"retirement {retirement.retirement_id} is {retirement.state.value}: it has no certificate yet",
            field="retirement_id",
        )
    tid = retirement.retirement_transfer_id
    transfer, entry = ledger.get(tid), ledger.log_entry(tid)
    if transfer is None or entry is None:  # RETIRED follows the settlement, which logs the leaf
        raise PreconditionFailed(f"the settlement of retirement {retirement.retirement_id} is not in the log")
    try:
        receipt: SettlementReceipt | None = settlement_receipt(ledger, tid)
    except PreconditionFailed:
        receipt = None
    registry = transfer.request.source
    return RetirementCertificate(
        certificate_id=retirement.certificate_id,
        retirement_id=retirement.retirement_id,
        account_id=account.account_id,
        beneficiary=Beneficiary(name=account.shown_name, kind=account.kind.value),
        reason=retirement.reason,
        units=_units(transfer),
        registry=RetiringRegistry(
            registry_id=registry.registry_id,
            name=catalogue.profile(registry.registry_id).info.name,
            account_id=registry.account_id,
        ),
        retired_at=retirement.retired_at,
        operator=account.operator,
        settlement=SettlementLeaf(
            transfer_id=tid,
            leaf_index=entry.leaf_index,
            leaf_hash="0x" + leaf_hash(entry.leaf).hex(),
            anchored=receipt is not None,
        ),
        receipt=receipt,
        verify=_how_to_verify(tid, registry.registry_id, receipt),
    )


def _units(transfer: Transfer) -> RetiredUnits:
    block = transfer.block
    return RetiredUnits(
        serial=serial_of(block),
        quantity=block.quantity,
        programme=block.programme,
        unit_type=block.unit_type,
        project_id=block.project_id,
        vintage=block.vintage,
        serial_space=block.serial_space,
        start=block.start,
        end=block.end,
    )


def _how_to_verify(transfer_id: str, registry_id: str, receipt: SettlementReceipt | None) -> str:
    fetch = (
        f"save `receipt` as receipt.json (or run `carbon-gateway receipt {transfer_id} --out receipt.json`)"
    )
    if receipt is None:
        return (
            "The settlement is in the log but its tree head is not anchored yet: fetch this certificate "
            f"again shortly, then {fetch} and run `carbon-gateway verify receipt.json --rpc URL`."
        )
    return (
        f"{fetch[0].upper()}{fetch[1:]}, then run `carbon-gateway verify receipt.json --rpc URL` with URL "
        f"a JSON-RPC node of chain {receipt.chain_id}. It says yes when the leaf proves into the root that "
        f"transaction {receipt.anchor_tx_hash} anchored in contract {receipt.contract_address}; the leaf "
        f"records transfer {transfer_id} of these serials to {registry_id}/{RETIRED_ACCOUNT_ID}, "
        "the ledger's mark for units retired in that registry."
    )


def as_json(cert: RetirementCertificate) -> bytes:
    return (cert.model_dump_json(indent=2) + "\n").encode("utf-8")


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#eef3ee;color:#1d2b1f}
main{max-width:44rem;margin:2rem auto;background:#fff;border:1px solid #c9d8ca;border-radius:8px;padding:2rem}
h1{font-size:1.4rem;margin:0 0 .25rem}
.lead{font-size:1.15rem;margin:1rem 0}
.amount{font-size:2.2rem;font-weight:700;color:#21643a}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem;margin:1rem 0}
dt{color:#56705b}
dd{margin:0;overflow-wrap:anywhere}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem}
pre{background:#f5f7f5;border:1px solid #dde5dd;padding:.75rem;white-space:pre-wrap;word-break:break-all}
.muted{color:#56705b;font-size:.9rem}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _rows(pairs: list[tuple[str, object]]) -> str:
    return "\n".join(f"<dt>{_e(name)}</dt><dd>{_e(value)}</dd>" for name, value in pairs)


def as_html(cert: RetirementCertificate) -> bytes:
    """One page, nothing fetched from elsewhere; every value is escaped, so a name cannot become markup."""
    units, registry, settlement = cert.units, cert.registry, cert.settlement
    facts = _rows(
        [
            ("Beneficiary", f"{cert.beneficiary.name} ({cert.beneficiary.kind})"),
            ("Reason", cert.reason),
            ("Units", f"{units.serial} ({units.quantity} {units.unit_type})"),
            ("Project", f"{units.programme} {units.project_id}, vintage {units.vintage}"),
            ("Registry", f"{registry.name} ({registry.registry_id}), account {registry.account_id}"),
            ("Retired at", cert.retired_at.strftime("%Y-%m-%d %H:%M:%S UTC")),
            ("Public-benefit account", f"{cert.account_id}, operated by {cert.operator}"),
            ("Certificate", cert.certificate_id),
        ]
    )
    proof_rows: list[tuple[str, object]] = [
        ("Settlement", settlement.transfer_id),
        ("Leaf index", settlement.leaf_index),
        ("Leaf hash", settlement.leaf_hash),
    ]
    receipt = cert.receipt
    if receipt is not None:
        proof_rows += [
            ("Tree size", receipt.tree_size),
            ("Root", receipt.root),
            ("Anchored on chain", f"{receipt.chain_id}, contract {receipt.contract_address}"),
            ("Anchor transaction", f"{receipt.anchor_tx_hash} (block {receipt.anchor_block_number})"),
        ]
    receipt_block = (
        f"<h3>Receipt</h3>\n<pre>{_e(receipt.model_dump_json(indent=2))}</pre>"
        if receipt is not None
        else '<p class="muted">The receipt follows once the settlement\'s tree head is anchored.</p>'
    )
    body = f"""<h1>Carbon retirement certificate</h1>
<p class="muted">{_e(cert.certificate_id)}</p>
<p class="lead"><span class="amount">{_e(units.quantity)} tCO2e</span><br>
retired on behalf of <strong>{_e(cert.beneficiary.name)}</strong></p>
<dl>
{facts}
</dl>
<h2>Proof</h2>
<p>The retirement is a settlement in the gateway's append-only log, whose tree heads are anchored
on a public chain.</p>
<dl>
{_rows(proof_rows)}
</dl>
<p>{_e(cert.verify)}</p>
{receipt_block}"""
    return html_page.page(f"Retirement certificate {cert.certificate_id}", _STYLE, body)
