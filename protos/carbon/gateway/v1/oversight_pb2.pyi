from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class GetSettlementProofRequest(_message.Message):
    __slots__ = ("transfer_id",)
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    def __init__(self, transfer_id: _Optional[str] = ...) -> None: ...

class SettlementProof(_message.Message):
    __slots__ = ("leaf", "leaf_index", "tree_size", "root", "inclusion_proof", "chain_id", "contract_address", "anchor_tx_hash", "anchor_block_number", "transfer_id")
    LEAF_FIELD_NUMBER: _ClassVar[int]
    LEAF_INDEX_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    ROOT_FIELD_NUMBER: _ClassVar[int]
    INCLUSION_PROOF_FIELD_NUMBER: _ClassVar[int]
    CHAIN_ID_FIELD_NUMBER: _ClassVar[int]
    CONTRACT_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_TX_HASH_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    leaf: bytes
    leaf_index: int
    tree_size: int
    root: bytes
    inclusion_proof: _containers.RepeatedScalarFieldContainer[bytes]
    chain_id: int
    contract_address: str
    anchor_tx_hash: str
    anchor_block_number: int
    transfer_id: str
    def __init__(self, leaf: _Optional[bytes] = ..., leaf_index: _Optional[int] = ..., tree_size: _Optional[int] = ..., root: _Optional[bytes] = ..., inclusion_proof: _Optional[_Iterable[bytes]] = ..., chain_id: _Optional[int] = ..., contract_address: _Optional[str] = ..., anchor_tx_hash: _Optional[str] = ..., anchor_block_number: _Optional[int] = ..., transfer_id: _Optional[str] = ...) -> None: ...

class GetConsistencyProofRequest(_message.Message):
    __slots__ = ("from_size", "to_size")
    FROM_SIZE_FIELD_NUMBER: _ClassVar[int]
    TO_SIZE_FIELD_NUMBER: _ClassVar[int]
    from_size: int
    to_size: int
    def __init__(self, from_size: _Optional[int] = ..., to_size: _Optional[int] = ...) -> None: ...

class ConsistencyProof(_message.Message):
    __slots__ = ("from_size", "to_size", "from_root", "to_root", "proof")
    FROM_SIZE_FIELD_NUMBER: _ClassVar[int]
    TO_SIZE_FIELD_NUMBER: _ClassVar[int]
    FROM_ROOT_FIELD_NUMBER: _ClassVar[int]
    TO_ROOT_FIELD_NUMBER: _ClassVar[int]
    PROOF_FIELD_NUMBER: _ClassVar[int]
    from_size: int
    to_size: int
    from_root: bytes
    to_root: bytes
    proof: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, from_size: _Optional[int] = ..., to_size: _Optional[int] = ..., from_root: _Optional[bytes] = ..., to_root: _Optional[bytes] = ..., proof: _Optional[_Iterable[bytes]] = ...) -> None: ...

class GetLatestTreeHeadRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TreeHead(_message.Message):
    __slots__ = ("tree_size", "root", "chain_id", "contract_address", "anchor_tx_hash", "anchor_block_number")
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    ROOT_FIELD_NUMBER: _ClassVar[int]
    CHAIN_ID_FIELD_NUMBER: _ClassVar[int]
    CONTRACT_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_TX_HASH_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    tree_size: int
    root: bytes
    chain_id: int
    contract_address: str
    anchor_tx_hash: str
    anchor_block_number: int
    def __init__(self, tree_size: _Optional[int] = ..., root: _Optional[bytes] = ..., chain_id: _Optional[int] = ..., contract_address: _Optional[str] = ..., anchor_tx_hash: _Optional[str] = ..., anchor_block_number: _Optional[int] = ...) -> None: ...
