"""The settlement receipt: everything a third party needs, with a chain, to check one settlement.

It carries the leaf bytes, the inclusion proof up to an anchored tree head and
where that head was anchored, so `carbon-gateway verify` needs no access to the
gateway's database. Hex fields are 0x-prefixed lowercase, as web3 tools print them.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ledger_anchor.merkle import HASH_SIZE, TreeHasher

RECEIPT_VERSION = 1
_HEX = re.compile(r"^(0x)?([0-9a-fA-F]{2})*$")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


def _normal_hex(value: str, nbytes: int | None = None) -> str:
    if not _HEX.match(value):
        raise ValueError("not a hex string")
    digits = value.removeprefix("0x").lower()
    if nbytes is not None and len(digits) != 2 * nbytes:
        raise ValueError(f"expected {nbytes} bytes of hex, got {len(digits) // 2}")
    return "0x" + digits


class SettlementReceipt(BaseModel):
    """One settlement's leaf, its inclusion proof, and the anchor of the tree head it proves into."""

    model_config = ConfigDict(frozen=True)

    version: int = RECEIPT_VERSION
    leaf: str
    leaf_index: int = Field(ge=0)
    tree_size: int = Field(ge=1)
    root: str
    inclusion_proof: tuple[str, ...]
    chain_id: int = Field(ge=1)
    contract_address: str
    anchor_tx_hash: str
    anchor_block_number: int = Field(ge=0)

    @field_validator("leaf")
    @classmethod
    def _leaf_hex(cls, value: str) -> str:
        return _normal_hex(value)

    @field_validator("root", "anchor_tx_hash")
    @classmethod
    def _hash_hex(cls, value: str) -> str:
        return _normal_hex(value, HASH_SIZE)

    @field_validator("inclusion_proof")
    @classmethod
    def _proof_hex(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_normal_hex(node, HASH_SIZE) for node in value)

    @field_validator("contract_address")
    @classmethod
    def _address(cls, value: str) -> str:
        if not _ADDRESS.match(value):
            raise ValueError("not a 20-byte 0x address")
        return value

    @model_validator(mode="after")
    def _index_in_tree(self) -> SettlementReceipt:
        if self.leaf_index >= self.tree_size:
            raise ValueError(f"leaf_index {self.leaf_index} is outside a tree of size {self.tree_size}")
        return self

    def leaf_bytes(self) -> bytes:
        return bytes.fromhex(self.leaf[2:])

    def root_bytes(self) -> bytes:
        return bytes.fromhex(self.root[2:])

    def proof_bytes(self) -> list[bytes]:
        return [bytes.fromhex(node[2:]) for node in self.inclusion_proof]

    def write(self, path: Path) -> None:
        """Write the receipt's JSON file form."""
        path.write_text(self.model_dump_json(indent=2) + "\n")

    @classmethod
    def read(cls, path: Path) -> SettlementReceipt:
        """Read a receipt from its JSON file form; raises pydantic's ValidationError when malformed."""
        return cls.model_validate_json(path.read_text())


def issue_receipt(
    leaf: bytes,
    leaf_index: int,
    tree: TreeHasher,
    tree_size: int,
    *,
    chain_id: int,
    contract_address: str,
    anchor_tx_hash: str,
    anchor_block_number: int,
) -> SettlementReceipt:
    """The receipt for the leaf at `leaf_index`, proving it into the anchored head of `tree_size`."""
    return SettlementReceipt(
        leaf="0x" + leaf.hex(),
        leaf_index=leaf_index,
        tree_size=tree_size,
        root="0x" + tree.root(tree_size).hex(),
        inclusion_proof=tuple("0x" + node.hex() for node in tree.inclusion_proof(leaf_index, tree_size)),
        chain_id=chain_id,
        contract_address=contract_address,
        anchor_tx_hash=anchor_tx_hash,
        anchor_block_number=anchor_block_number,
    )
