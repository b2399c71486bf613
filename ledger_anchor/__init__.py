"""The settlement log's Merkle tree, its on-chain anchor, and receipt verification.

`merkle` hashes and proves (RFC 9162); `leaf` fixes the bytes of a settlement;
`receipt` is what a holder keeps; `chain` and `journal` anchor tree heads on any
EVM chain; `embedded_chain` is the one-machine chain; `verify` checks a receipt
against a chain without the gateway's database. docs/anchoring.md has the detail.
"""
