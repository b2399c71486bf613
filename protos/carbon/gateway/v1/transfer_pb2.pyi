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

class Purpose(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PURPOSE_UNSPECIFIED: _ClassVar[Purpose]
    PURPOSE_NDC: _ClassVar[Purpose]
    PURPOSE_OIMP: _ClassVar[Purpose]
    PURPOSE_VOLUNTARY: _ClassVar[Purpose]
    PURPOSE_OFFSET: _ClassVar[Purpose]

class TransferState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSFER_STATE_UNSPECIFIED: _ClassVar[TransferState]
    TRANSFER_STATE_RECEIVED: _ClassVar[TransferState]
    TRANSFER_STATE_CHECKED: _ClassVar[TransferState]
    TRANSFER_STATE_SOURCE_LOCKED: _ClassVar[TransferState]
    TRANSFER_STATE_DESTINATION_CREDITED: _ClassVar[TransferState]
    TRANSFER_STATE_SETTLED: _ClassVar[TransferState]
    TRANSFER_STATE_REJECTED: _ClassVar[TransferState]
    TRANSFER_STATE_COMPENSATED: _ClassVar[TransferState]
    TRANSFER_STATE_NEEDS_INTERVENTION: _ClassVar[TransferState]
    TRANSFER_STATE_ANCHORED: _ClassVar[TransferState]

class Resolution(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESOLUTION_UNSPECIFIED: _ClassVar[Resolution]
    RESOLUTION_RETRY: _ClassVar[Resolution]
    RESOLUTION_RECORD_SETTLED: _ClassVar[Resolution]
    RESOLUTION_RECORD_COMPENSATED: _ClassVar[Resolution]
PURPOSE_UNSPECIFIED: Purpose
PURPOSE_NDC: Purpose
PURPOSE_OIMP: Purpose
PURPOSE_VOLUNTARY: Purpose
PURPOSE_OFFSET: Purpose
TRANSFER_STATE_UNSPECIFIED: TransferState
TRANSFER_STATE_RECEIVED: TransferState
TRANSFER_STATE_CHECKED: TransferState
TRANSFER_STATE_SOURCE_LOCKED: TransferState
TRANSFER_STATE_DESTINATION_CREDITED: TransferState
TRANSFER_STATE_SETTLED: TransferState
TRANSFER_STATE_REJECTED: TransferState
TRANSFER_STATE_COMPENSATED: TransferState
TRANSFER_STATE_NEEDS_INTERVENTION: TransferState
TRANSFER_STATE_ANCHORED: TransferState
RESOLUTION_UNSPECIFIED: Resolution
RESOLUTION_RETRY: Resolution
RESOLUTION_RECORD_SETTLED: Resolution
RESOLUTION_RECORD_COMPENSATED: Resolution

class AccountRef(_message.Message):
    __slots__ = ("registry_id", "account_id")
    REGISTRY_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    registry_id: str
    account_id: str
    def __init__(self, registry_id: _Optional[str] = ..., account_id: _Optional[str] = ...) -> None: ...

class Reason(_message.Message):
    __slots__ = ("code", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: str
    message: str
    def __init__(self, code: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class SubmitTransferRequest(_message.Message):
    __slots__ = ("transfer_id", "source", "destination", "serial", "quantity", "purpose", "compliance_year")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    COMPLIANCE_YEAR_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    source: AccountRef
    destination: AccountRef
    serial: str
    quantity: int
    purpose: Purpose
    compliance_year: int
    def __init__(self, transfer_id: _Optional[str] = ..., source: _Optional[_Union[AccountRef, _Mapping]] = ..., destination: _Optional[_Union[AccountRef, _Mapping]] = ..., serial: _Optional[str] = ..., quantity: _Optional[int] = ..., purpose: _Optional[_Union[Purpose, str]] = ..., compliance_year: _Optional[int] = ...) -> None: ...

class SubmitTransferResponse(_message.Message):
    __slots__ = ("transfer",)
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    transfer: Transfer
    def __init__(self, transfer: _Optional[_Union[Transfer, _Mapping]] = ...) -> None: ...

class Transfer(_message.Message):
    __slots__ = ("transfer_id", "state", "reasons", "source", "destination", "serial", "quantity", "purpose", "moved_serial", "create_time", "update_time", "evidence_awaited", "compliance_year")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    MOVED_SERIAL_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_AWAITED_FIELD_NUMBER: _ClassVar[int]
    COMPLIANCE_YEAR_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    state: TransferState
    reasons: _containers.RepeatedCompositeFieldContainer[Reason]
    source: AccountRef
    destination: AccountRef
    serial: str
    quantity: int
    purpose: Purpose
    moved_serial: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    evidence_awaited: EvidenceAwaited
    compliance_year: int
    def __init__(self, transfer_id: _Optional[str] = ..., state: _Optional[_Union[TransferState, str]] = ..., reasons: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ..., source: _Optional[_Union[AccountRef, _Mapping]] = ..., destination: _Optional[_Union[AccountRef, _Mapping]] = ..., serial: _Optional[str] = ..., quantity: _Optional[int] = ..., purpose: _Optional[_Union[Purpose, str]] = ..., moved_serial: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., evidence_awaited: _Optional[_Union[EvidenceAwaited, _Mapping]] = ..., compliance_year: _Optional[int] = ...) -> None: ...

class EvidenceAwaited(_message.Message):
    __slots__ = ("holder_action", "deadline_time")
    HOLDER_ACTION_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_TIME_FIELD_NUMBER: _ClassVar[int]
    holder_action: str
    deadline_time: _timestamp_pb2.Timestamp
    def __init__(self, holder_action: _Optional[str] = ..., deadline_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetTransferRequest(_message.Message):
    __slots__ = ("transfer_id",)
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    def __init__(self, transfer_id: _Optional[str] = ...) -> None: ...

class ListTransfersRequest(_message.Message):
    __slots__ = ("filter", "page_size", "page_token")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    filter: TransferFilter
    page_size: int
    page_token: str
    def __init__(self, filter: _Optional[_Union[TransferFilter, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class TransferFilter(_message.Message):
    __slots__ = ("states", "registry_id", "account_id")
    STATES_FIELD_NUMBER: _ClassVar[int]
    REGISTRY_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    states: _containers.RepeatedScalarFieldContainer[TransferState]
    registry_id: str
    account_id: str
    def __init__(self, states: _Optional[_Iterable[_Union[TransferState, str]]] = ..., registry_id: _Optional[str] = ..., account_id: _Optional[str] = ...) -> None: ...

class ListTransfersResponse(_message.Message):
    __slots__ = ("transfers", "next_page_token")
    TRANSFERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    transfers: _containers.RepeatedCompositeFieldContainer[Transfer]
    next_page_token: str
    def __init__(self, transfers: _Optional[_Iterable[_Union[Transfer, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WatchTransferRequest(_message.Message):
    __slots__ = ("transfer_id",)
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    def __init__(self, transfer_id: _Optional[str] = ...) -> None: ...

class WatchTransferResponse(_message.Message):
    __slots__ = ("transfer",)
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    transfer: Transfer
    def __init__(self, transfer: _Optional[_Union[Transfer, _Mapping]] = ...) -> None: ...

class SubmitEvidenceRequest(_message.Message):
    __slots__ = ("transfer_id",)
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    def __init__(self, transfer_id: _Optional[str] = ...) -> None: ...

class SubmitEvidenceResponse(_message.Message):
    __slots__ = ("transfer",)
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    transfer: Transfer
    def __init__(self, transfer: _Optional[_Union[Transfer, _Mapping]] = ...) -> None: ...

class ResolveTransferRequest(_message.Message):
    __slots__ = ("transfer_id", "resolution", "reason", "operator")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    resolution: Resolution
    reason: str
    operator: str
    def __init__(self, transfer_id: _Optional[str] = ..., resolution: _Optional[_Union[Resolution, str]] = ..., reason: _Optional[str] = ..., operator: _Optional[str] = ...) -> None: ...

class ResolveTransferResponse(_message.Message):
    __slots__ = ("transfer",)
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    transfer: Transfer
    def __init__(self, transfer: _Optional[_Union[Transfer, _Mapping]] = ...) -> None: ...
