import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

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

class ListAuditEventsRequest(_message.Message):
    __slots__ = ("filter", "page_size", "page_token")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    filter: AuditEventFilter
    page_size: int
    page_token: str
    def __init__(self, filter: _Optional[_Union[AuditEventFilter, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class AuditEventFilter(_message.Message):
    __slots__ = ("method", "org", "outcome", "start_time", "end_time")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    ORG_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    method: str
    org: str
    outcome: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, method: _Optional[str] = ..., org: _Optional[str] = ..., outcome: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListAuditEventsResponse(_message.Message):
    __slots__ = ("events", "next_page_token")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[AuditEvent]
    next_page_token: str
    def __init__(self, events: _Optional[_Iterable[_Union[AuditEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class AuditEvent(_message.Message):
    __slots__ = ("seq", "time", "role", "org", "caller", "method", "target", "outcome", "reason", "prev_hash", "hash")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    ORG_FIELD_NUMBER: _ClassVar[int]
    CALLER_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PREV_HASH_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    seq: int
    time: _timestamp_pb2.Timestamp
    role: str
    org: str
    caller: str
    method: str
    target: str
    outcome: str
    reason: str
    prev_hash: bytes
    hash: bytes
    def __init__(self, seq: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., role: _Optional[str] = ..., org: _Optional[str] = ..., caller: _Optional[str] = ..., method: _Optional[str] = ..., target: _Optional[str] = ..., outcome: _Optional[str] = ..., reason: _Optional[str] = ..., prev_hash: _Optional[bytes] = ..., hash: _Optional[bytes] = ...) -> None: ...

class GetAuditHeadRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AuditHead(_message.Message):
    __slots__ = ("size", "hash")
    SIZE_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    size: int
    hash: bytes
    def __init__(self, size: _Optional[int] = ..., hash: _Optional[bytes] = ...) -> None: ...
