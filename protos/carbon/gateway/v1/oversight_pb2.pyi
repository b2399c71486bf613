import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ReconciliationState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RECONCILIATION_STATE_UNSPECIFIED: _ClassVar[ReconciliationState]
    RECONCILIATION_STATE_RUNNING: _ClassVar[ReconciliationState]
    RECONCILIATION_STATE_FAILED: _ClassVar[ReconciliationState]
    RECONCILIATION_STATE_CONSISTENT: _ClassVar[ReconciliationState]
    RECONCILIATION_STATE_TOTALS_INCONSISTENT: _ClassVar[ReconciliationState]
    RECONCILIATION_STATE_UNIT_BLOCKS_INCONSISTENT: _ClassVar[ReconciliationState]
    RECONCILIATION_STATE_MANUAL_INTERVENTION_REQUIRED: _ClassVar[ReconciliationState]
    RECONCILIATION_STATE_COMPLETED_WITH_MANUAL_INTERVENTION: _ClassVar[ReconciliationState]

class ReportFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPORT_FORMAT_UNSPECIFIED: _ClassVar[ReportFormat]
    REPORT_FORMAT_JSON: _ClassVar[ReportFormat]
    REPORT_FORMAT_CSV: _ClassVar[ReportFormat]
    REPORT_FORMAT_HTML: _ClassVar[ReportFormat]
    REPORT_FORMAT_PDF: _ClassVar[ReportFormat]
RECONCILIATION_STATE_UNSPECIFIED: ReconciliationState
RECONCILIATION_STATE_RUNNING: ReconciliationState
RECONCILIATION_STATE_FAILED: ReconciliationState
RECONCILIATION_STATE_CONSISTENT: ReconciliationState
RECONCILIATION_STATE_TOTALS_INCONSISTENT: ReconciliationState
RECONCILIATION_STATE_UNIT_BLOCKS_INCONSISTENT: ReconciliationState
RECONCILIATION_STATE_MANUAL_INTERVENTION_REQUIRED: ReconciliationState
RECONCILIATION_STATE_COMPLETED_WITH_MANUAL_INTERVENTION: ReconciliationState
REPORT_FORMAT_UNSPECIFIED: ReportFormat
REPORT_FORMAT_JSON: ReportFormat
REPORT_FORMAT_CSV: ReportFormat
REPORT_FORMAT_HTML: ReportFormat
REPORT_FORMAT_PDF: ReportFormat

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

class RunReconciliationRequest(_message.Message):
    __slots__ = ("reconciliation_id",)
    RECONCILIATION_ID_FIELD_NUMBER: _ClassVar[int]
    reconciliation_id: str
    def __init__(self, reconciliation_id: _Optional[str] = ...) -> None: ...

class Reconciliation(_message.Message):
    __slots__ = ("reconciliation_id", "requested_by", "state", "start_time", "snapshot_time", "finish_time", "stage", "progress_done", "progress_total", "findings", "open_findings", "findings_by_code", "compared_blocks", "failure")
    class FindingsByCodeEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    RECONCILIATION_ID_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_TIME_FIELD_NUMBER: _ClassVar[int]
    FINISH_TIME_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_DONE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    OPEN_FINDINGS_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_BY_CODE_FIELD_NUMBER: _ClassVar[int]
    COMPARED_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    reconciliation_id: str
    requested_by: str
    state: ReconciliationState
    start_time: _timestamp_pb2.Timestamp
    snapshot_time: _timestamp_pb2.Timestamp
    finish_time: _timestamp_pb2.Timestamp
    stage: str
    progress_done: int
    progress_total: int
    findings: int
    open_findings: int
    findings_by_code: _containers.ScalarMap[str, int]
    compared_blocks: int
    failure: str
    def __init__(self, reconciliation_id: _Optional[str] = ..., requested_by: _Optional[str] = ..., state: _Optional[_Union[ReconciliationState, str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., snapshot_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finish_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., stage: _Optional[str] = ..., progress_done: _Optional[int] = ..., progress_total: _Optional[int] = ..., findings: _Optional[int] = ..., open_findings: _Optional[int] = ..., findings_by_code: _Optional[_Mapping[str, int]] = ..., compared_blocks: _Optional[int] = ..., failure: _Optional[str] = ...) -> None: ...

class GetReconciliationRequest(_message.Message):
    __slots__ = ("reconciliation_id",)
    RECONCILIATION_ID_FIELD_NUMBER: _ClassVar[int]
    reconciliation_id: str
    def __init__(self, reconciliation_id: _Optional[str] = ...) -> None: ...

class GetReconciliationReportRequest(_message.Message):
    __slots__ = ("reconciliation_id", "format")
    RECONCILIATION_ID_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    reconciliation_id: str
    format: ReportFormat
    def __init__(self, reconciliation_id: _Optional[str] = ..., format: _Optional[_Union[ReportFormat, str]] = ...) -> None: ...

class ReconciliationReportChunk(_message.Message):
    __slots__ = ("content_type", "content")
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    content_type: str
    content: bytes
    def __init__(self, content_type: _Optional[str] = ..., content: _Optional[bytes] = ...) -> None: ...

class ListReconciliationsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListReconciliationsResponse(_message.Message):
    __slots__ = ("reconciliations", "next_page_token")
    RECONCILIATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    reconciliations: _containers.RepeatedCompositeFieldContainer[Reconciliation]
    next_page_token: str
    def __init__(self, reconciliations: _Optional[_Iterable[_Union[Reconciliation, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ResolveFindingRequest(_message.Message):
    __slots__ = ("reconciliation_id", "finding_id", "note")
    RECONCILIATION_ID_FIELD_NUMBER: _ClassVar[int]
    FINDING_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    reconciliation_id: str
    finding_id: str
    note: str
    def __init__(self, reconciliation_id: _Optional[str] = ..., finding_id: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class ResolveFindingResponse(_message.Message):
    __slots__ = ("finding_id", "resolved_by", "resolve_time", "reconciliation")
    FINDING_ID_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_BY_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_TIME_FIELD_NUMBER: _ClassVar[int]
    RECONCILIATION_FIELD_NUMBER: _ClassVar[int]
    finding_id: str
    resolved_by: str
    resolve_time: _timestamp_pb2.Timestamp
    reconciliation: Reconciliation
    def __init__(self, finding_id: _Optional[str] = ..., resolved_by: _Optional[str] = ..., resolve_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reconciliation: _Optional[_Union[Reconciliation, _Mapping]] = ...) -> None: ...
