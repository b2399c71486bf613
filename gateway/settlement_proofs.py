"""Settlement proofs and the tamper audit: the ledger's record checked against the anchored log.

A proof's leaf is recomputed from the transfer as the ledger holds it now, so a
settled row changed after the fact yields a leaf that no longer proves into the
anchored root: `carbon-gateway verify` says no, and `audit` names the row.
"""

from __future__ import annotations

from pydantic import BaseModel
from web3 import Web3

from domain.errors import FieldViolation, InvalidInput, NotFound, PreconditionFailed, quoted
from ledger import AnchorEntry, Ledger
from ledger_anchor import chain
from ledger_anchor.leaf import SettlementRecord, decode_settlement, encode_settlement
from ledger_anchor.merkle import TreeHasher, leaf_hash
from ledger_anchor.receipt import SettlementReceipt
from workflows.log_tree import LedgerTree


class ConsistencyFacts(BaseModel):
    from_size: int
    to_size: int
    from_root: bytes
    to_root: bytes
    proof: list[bytes]


def recomputed_leaf(ledger: Ledger, transfer_id: str) -> bytes:
    transfer = ledger.get(transfer_id)
    if transfer is None:
        raise NotFound(
            f"no transfer {quoted(transfer_id)}",
            field="transfer_id",
            resource_type="transfer",
            resource_name=transfer_id,
        )
    if transfer.settled_at is None:
        raise PreconditionFailed(f"transfer {transfer_id} has not settled", field="transfer_id")
    return encode_settlement(SettlementRecord.from_transfer(transfer, transfer.settled_at))


def settlement_receipt(ledger: Ledger, transfer_id: str) -> SettlementReceipt:
    """The receipt proving the transfer into the newest final anchored head."""
    leaf = recomputed_leaf(ledger, transfer_id)
    entry = ledger.log_entry(transfer_id)
    anchor = ledger.latest_final_anchor()
    if entry is None or anchor is None or entry.leaf_index >= anchor.tree_size:
        raise PreconditionFailed(f"the settlement of {transfer_id} is not anchored yet", field="transfer_id")
    # O(log n): the stored subtrees, plus the leaves the last anchor run did not cover.
    with LedgerTree(ledger).reading(anchor.tree_size) as tree:
        root = tree.root(anchor.tree_size)
        path = tree.inclusion_proof(entry.leaf_index, anchor.tree_size)
    return SettlementReceipt(
        leaf="0x" + leaf.hex(),
        leaf_index=entry.leaf_index,
        tree_size=anchor.tree_size,
        root="0x" + root.hex(),
        inclusion_proof=tuple("0x" + n.hex() for n in path),
        chain_id=anchor.chain_id,
        contract_address=anchor.contract_address,
        anchor_tx_hash=anchor.tx_hash,
        anchor_block_number=anchor.block_number or 0,
    )


def latest_tree_head(ledger: Ledger) -> AnchorEntry:
    """The newest anchored tree head with enough confirmations to be final: what proofs build on."""
    anchor = ledger.latest_final_anchor()
    if anchor is None:
        raise PreconditionFailed("no tree head of the settlement log is anchored and final yet")
    return anchor


def consistency(ledger: Ledger, from_size: int, to_size: int) -> ConsistencyFacts:
    size = ledger.log_size()
    wrong = []
    if from_size < 1:
        wrong.append(FieldViolation("from_size", f"from_size must be at least 1, got {from_size}"))
    if to_size < from_size:
        wrong.append(
            FieldViolation("to_size", f"to_size must be at least from_size ({from_size}), got {to_size}")
        )
    if to_size > size:
        wrong.append(
            FieldViolation("to_size", f"to_size must be at most the log's size ({size}), got {to_size}")
        )
    if wrong:
        raise InvalidInput.of(wrong)
    with LedgerTree(ledger).reading(to_size) as tree:
        return ConsistencyFacts(
            from_size=from_size,
            to_size=to_size,
            from_root=tree.root(from_size),
            to_root=tree.root(to_size),
            proof=tree.consistency_proof(from_size, to_size),
        )


class AuditFinding(BaseModel):
    code: str
    message: str


def _check_settled_row(ledger: Ledger, index: int, leaf: bytes) -> AuditFinding | None:
    """A tampered ledger is what the audit looks for, so a vanished or unreadable row is a finding too."""
    try:
        transfer_id = decode_settlement(leaf).transfer_id
    except InvalidInput:
        return AuditFinding(code="LOG-LEAF-UNREADABLE", message=f"leaf {index} is not a settlement encoding")
    try:
        unchanged = recomputed_leaf(ledger, transfer_id) == leaf
    except (NotFound, PreconditionFailed) as exc:
        return AuditFinding(
            code="SETTLED-ROW-CHANGED", message=f"leaf {index} is logged as settled, but {exc}"
        )
    if unchanged:
        return None
    return AuditFinding(
        code="SETTLED-ROW-CHANGED",
        message=f"transfer {transfer_id} (leaf {index}) no longer matches its logged settlement",
    )


def _changed_subtrees(ledger: Ledger, tree: TreeHasher, size: int) -> list[AuditFinding]:
    """Stored subtree roots the leaves no longer reproduce: proofs built on them would not verify."""
    found = []
    for level, position, stored in ledger.log_tree_nodes():
        start, width = position << level, 1 << level
        if start + width > size or tree.subtree_root(start, width) != stored:
            found.append(
                AuditFinding(
                    code="LOG-TREE-NODE-CHANGED",
                    message=f"the stored root of leaves {start}-{start + width - 1} is not what they hash to",
                )
            )
    return found


def audit(ledger: Ledger, w3: Web3 | None, contract_address: str | None) -> list[AuditFinding]:
    """Every settled row whose leaf changed, every stored subtree root and every anchored root the log
    no longer reproduces."""
    findings: list[AuditFinding] = []
    leaves = ledger.log_leaves()
    for index, leaf in enumerate(leaves):
        finding = _check_settled_row(ledger, index, leaf)
        if finding is not None:
            findings.append(finding)
    tree = TreeHasher([leaf_hash(leaf) for leaf in leaves])
    findings += _changed_subtrees(ledger, tree, len(leaves))
    for anchor in ledger.anchors():
        if anchor.tree_size > len(leaves) or "0x" + tree.root(anchor.tree_size).hex() != anchor.root:
            findings.append(
                AuditFinding(
                    code="LOG-REWRITTEN", message=f"the log no longer reproduces root {anchor.tree_size}"
                )
            )
        if w3 is not None and contract_address is not None:
            record = chain.read_anchor(w3, contract_address, anchor.tree_size)
            if record is None or record.root.lower() != anchor.root.lower():
                findings.append(
                    AuditFinding(
                        code="ANCHOR-MISSING",
                        message=f"the chain holds no root {anchor.root} for tree size {anchor.tree_size}",
                    )
                )
    return findings
