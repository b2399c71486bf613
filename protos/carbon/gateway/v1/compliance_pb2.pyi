import datetime

from protos.carbon.gateway.v1 import transfer_pb2 as _transfer_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AuthorisedUse(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUTHORISED_USE_UNSPECIFIED: _ClassVar[AuthorisedUse]
    AUTHORISED_USE_NDC: _ClassVar[AuthorisedUse]
    AUTHORISED_USE_OIMP: _ClassVar[AuthorisedUse]
    AUTHORISED_USE_MITIGATION_CONTRIBUTION: _ClassVar[AuthorisedUse]

class CorrespondingAdjustment(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CORRESPONDING_ADJUSTMENT_UNSPECIFIED: _ClassVar[CorrespondingAdjustment]
    CORRESPONDING_ADJUSTMENT_NOT_STARTED: _ClassVar[CorrespondingAdjustment]
    CORRESPONDING_ADJUSTMENT_PENDING: _ClassVar[CorrespondingAdjustment]
    CORRESPONDING_ADJUSTMENT_APPLIED: _ClassVar[CorrespondingAdjustment]

class ExportFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXPORT_FORMAT_UNSPECIFIED: _ClassVar[ExportFormat]
    EXPORT_FORMAT_CSV: _ClassVar[ExportFormat]
    EXPORT_FORMAT_JSON: _ClassVar[ExportFormat]
AUTHORISED_USE_UNSPECIFIED: AuthorisedUse
AUTHORISED_USE_NDC: AuthorisedUse
AUTHORISED_USE_OIMP: AuthorisedUse
AUTHORISED_USE_MITIGATION_CONTRIBUTION: AuthorisedUse
CORRESPONDING_ADJUSTMENT_UNSPECIFIED: CorrespondingAdjustment
CORRESPONDING_ADJUSTMENT_NOT_STARTED: CorrespondingAdjustment
CORRESPONDING_ADJUSTMENT_PENDING: CorrespondingAdjustment
CORRESPONDING_ADJUSTMENT_APPLIED: CorrespondingAdjustment
EXPORT_FORMAT_UNSPECIFIED: ExportFormat
EXPORT_FORMAT_CSV: ExportFormat
EXPORT_FORMAT_JSON: ExportFormat

class EvaluateTransferRequest(_message.Message):
    __slots__ = ("transfer",)
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    transfer: _transfer_pb2.SubmitTransferRequest
    def __init__(self, transfer: _Optional[_Union[_transfer_pb2.SubmitTransferRequest, _Mapping]] = ...) -> None: ...

class Collision(_message.Message):
    __slots__ = ("serial_space", "start", "end", "transfer_id", "registry_id", "account_id", "reference")
    SERIAL_SPACE_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    REGISTRY_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    serial_space: str
    start: int
    end: int
    transfer_id: str
    registry_id: str
    account_id: str
    reference: str
    def __init__(self, serial_space: _Optional[str] = ..., start: _Optional[int] = ..., end: _Optional[int] = ..., transfer_id: _Optional[str] = ..., registry_id: _Optional[str] = ..., account_id: _Optional[str] = ..., reference: _Optional[str] = ...) -> None: ...

class Finding(_message.Message):
    __slots__ = ("code", "message", "collides_with", "meaning", "source")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    COLLIDES_WITH_FIELD_NUMBER: _ClassVar[int]
    MEANING_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    code: str
    message: str
    collides_with: Collision
    meaning: str
    source: str
    def __init__(self, code: _Optional[str] = ..., message: _Optional[str] = ..., collides_with: _Optional[_Union[Collision, _Mapping]] = ..., meaning: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class EvaluateTransferResponse(_message.Message):
    __slots__ = ("allowed", "findings")
    ALLOWED_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    allowed: bool
    findings: _containers.RepeatedCompositeFieldContainer[Finding]
    def __init__(self, allowed: _Optional[bool] = ..., findings: _Optional[_Iterable[_Union[Finding, _Mapping]]] = ...) -> None: ...

class ListChecksRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class Check(_message.Message):
    __slots__ = ("code", "meaning")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MEANING_FIELD_NUMBER: _ClassVar[int]
    code: str
    meaning: str
    def __init__(self, code: _Optional[str] = ..., meaning: _Optional[str] = ...) -> None: ...

class ListChecksResponse(_message.Message):
    __slots__ = ("checks", "next_page_token")
    CHECKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    checks: _containers.RepeatedCompositeFieldContainer[Check]
    next_page_token: str
    def __init__(self, checks: _Optional[_Iterable[_Union[Check, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ImportCrosswalkRequest(_message.Message):
    __slots__ = ("csv",)
    CSV_FIELD_NUMBER: _ClassVar[int]
    csv: str
    def __init__(self, csv: _Optional[str] = ...) -> None: ...

class ImportCrosswalkResponse(_message.Message):
    __slots__ = ("loaded", "total")
    LOADED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    loaded: int
    total: int
    def __init__(self, loaded: _Optional[int] = ..., total: _Optional[int] = ...) -> None: ...

class ExportCrosswalkRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ExportCrosswalkResponse(_message.Message):
    __slots__ = ("csv",)
    CSV_FIELD_NUMBER: _ClassVar[int]
    csv: str
    def __init__(self, csv: _Optional[str] = ...) -> None: ...

class RecordAuthorisationRequest(_message.Message):
    __slots__ = ("authorisation_id", "host_party", "authorised_use", "cooperative_approach_id", "authorised_on", "mitigation_type", "registry_id", "serial", "programme", "project_id", "vintage")
    AUTHORISATION_ID_FIELD_NUMBER: _ClassVar[int]
    HOST_PARTY_FIELD_NUMBER: _ClassVar[int]
    AUTHORISED_USE_FIELD_NUMBER: _ClassVar[int]
    COOPERATIVE_APPROACH_ID_FIELD_NUMBER: _ClassVar[int]
    AUTHORISED_ON_FIELD_NUMBER: _ClassVar[int]
    MITIGATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    REGISTRY_ID_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    PROGRAMME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    VINTAGE_FIELD_NUMBER: _ClassVar[int]
    authorisation_id: str
    host_party: str
    authorised_use: AuthorisedUse
    cooperative_approach_id: str
    authorised_on: _timestamp_pb2.Timestamp
    mitigation_type: str
    registry_id: str
    serial: str
    programme: str
    project_id: str
    vintage: str
    def __init__(self, authorisation_id: _Optional[str] = ..., host_party: _Optional[str] = ..., authorised_use: _Optional[_Union[AuthorisedUse, str]] = ..., cooperative_approach_id: _Optional[str] = ..., authorised_on: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., mitigation_type: _Optional[str] = ..., registry_id: _Optional[str] = ..., serial: _Optional[str] = ..., programme: _Optional[str] = ..., project_id: _Optional[str] = ..., vintage: _Optional[str] = ...) -> None: ...

class RecordAuthorisationResponse(_message.Message):
    __slots__ = ("created",)
    CREATED_FIELD_NUMBER: _ClassVar[int]
    created: bool
    def __init__(self, created: _Optional[bool] = ...) -> None: ...

class RecordIssuanceRequest(_message.Message):
    __slots__ = ("issuance_id", "registry_id", "serial", "monitoring_start", "monitoring_end")
    ISSUANCE_ID_FIELD_NUMBER: _ClassVar[int]
    REGISTRY_ID_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    MONITORING_START_FIELD_NUMBER: _ClassVar[int]
    MONITORING_END_FIELD_NUMBER: _ClassVar[int]
    issuance_id: str
    registry_id: str
    serial: str
    monitoring_start: _timestamp_pb2.Timestamp
    monitoring_end: _timestamp_pb2.Timestamp
    def __init__(self, issuance_id: _Optional[str] = ..., registry_id: _Optional[str] = ..., serial: _Optional[str] = ..., monitoring_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., monitoring_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RecordIssuanceResponse(_message.Message):
    __slots__ = ("created",)
    CREATED_FIELD_NUMBER: _ClassVar[int]
    created: bool
    def __init__(self, created: _Optional[bool] = ...) -> None: ...

class RecordCreditedGenerationRequest(_message.Message):
    __slots__ = ("issuance_id", "registry_id", "serial", "plant_id", "period_start", "period_end", "generated_mwh", "credited_mwh")
    ISSUANCE_ID_FIELD_NUMBER: _ClassVar[int]
    REGISTRY_ID_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    PLANT_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    GENERATED_MWH_FIELD_NUMBER: _ClassVar[int]
    CREDITED_MWH_FIELD_NUMBER: _ClassVar[int]
    issuance_id: str
    registry_id: str
    serial: str
    plant_id: str
    period_start: _timestamp_pb2.Timestamp
    period_end: _timestamp_pb2.Timestamp
    generated_mwh: float
    credited_mwh: float
    def __init__(self, issuance_id: _Optional[str] = ..., registry_id: _Optional[str] = ..., serial: _Optional[str] = ..., plant_id: _Optional[str] = ..., period_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., period_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., generated_mwh: _Optional[float] = ..., credited_mwh: _Optional[float] = ...) -> None: ...

class RecordCreditedGenerationResponse(_message.Message):
    __slots__ = ("created",)
    CREATED_FIELD_NUMBER: _ClassVar[int]
    created: bool
    def __init__(self, created: _Optional[bool] = ...) -> None: ...

class RecordGenerationCertificateRequest(_message.Message):
    __slots__ = ("certificate_id", "programme", "plant_id", "period_start", "period_end", "mwh")
    CERTIFICATE_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAMME_FIELD_NUMBER: _ClassVar[int]
    PLANT_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    MWH_FIELD_NUMBER: _ClassVar[int]
    certificate_id: str
    programme: str
    plant_id: str
    period_start: _timestamp_pb2.Timestamp
    period_end: _timestamp_pb2.Timestamp
    mwh: float
    def __init__(self, certificate_id: _Optional[str] = ..., programme: _Optional[str] = ..., plant_id: _Optional[str] = ..., period_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., period_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., mwh: _Optional[float] = ...) -> None: ...

class RecordGenerationCertificateResponse(_message.Message):
    __slots__ = ("created",)
    CREATED_FIELD_NUMBER: _ClassVar[int]
    created: bool
    def __init__(self, created: _Optional[bool] = ...) -> None: ...

class RecordPledgeRequest(_message.Message):
    __slots__ = ("pledge_id", "lender", "holder", "serial")
    PLEDGE_ID_FIELD_NUMBER: _ClassVar[int]
    LENDER_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    pledge_id: str
    lender: str
    holder: _transfer_pb2.AccountRef
    serial: str
    def __init__(self, pledge_id: _Optional[str] = ..., lender: _Optional[str] = ..., holder: _Optional[_Union[_transfer_pb2.AccountRef, _Mapping]] = ..., serial: _Optional[str] = ...) -> None: ...

class RecordPledgeResponse(_message.Message):
    __slots__ = ("created",)
    CREATED_FIELD_NUMBER: _ClassVar[int]
    created: bool
    def __init__(self, created: _Optional[bool] = ...) -> None: ...

class ReleasePledgeRequest(_message.Message):
    __slots__ = ("pledge_id",)
    PLEDGE_ID_FIELD_NUMBER: _ClassVar[int]
    pledge_id: str
    def __init__(self, pledge_id: _Optional[str] = ...) -> None: ...

class ReleasePledgeResponse(_message.Message):
    __slots__ = ("released",)
    RELEASED_FIELD_NUMBER: _ClassVar[int]
    released: bool
    def __init__(self, released: _Optional[bool] = ...) -> None: ...

class AdvanceCorrespondingAdjustmentRequest(_message.Message):
    __slots__ = ("transfer_id", "state")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    state: CorrespondingAdjustment
    def __init__(self, transfer_id: _Optional[str] = ..., state: _Optional[_Union[CorrespondingAdjustment, str]] = ...) -> None: ...

class AdvanceCorrespondingAdjustmentResponse(_message.Message):
    __slots__ = ("first_transfer",)
    FIRST_TRANSFER_FIELD_NUMBER: _ClassVar[int]
    first_transfer: FirstTransfer
    def __init__(self, first_transfer: _Optional[_Union[FirstTransfer, _Mapping]] = ...) -> None: ...

class FirstTransfer(_message.Message):
    __slots__ = ("transfer_id", "authorisation_id", "host_party", "acquiring_party", "serial_space", "start", "end", "adjustment")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    AUTHORISATION_ID_FIELD_NUMBER: _ClassVar[int]
    HOST_PARTY_FIELD_NUMBER: _ClassVar[int]
    ACQUIRING_PARTY_FIELD_NUMBER: _ClassVar[int]
    SERIAL_SPACE_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    ADJUSTMENT_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    authorisation_id: str
    host_party: str
    acquiring_party: str
    serial_space: str
    start: int
    end: int
    adjustment: CorrespondingAdjustment
    def __init__(self, transfer_id: _Optional[str] = ..., authorisation_id: _Optional[str] = ..., host_party: _Optional[str] = ..., acquiring_party: _Optional[str] = ..., serial_space: _Optional[str] = ..., start: _Optional[int] = ..., end: _Optional[int] = ..., adjustment: _Optional[_Union[CorrespondingAdjustment, str]] = ...) -> None: ...

class ListFirstTransfersRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListFirstTransfersResponse(_message.Message):
    __slots__ = ("first_transfers", "next_page_token")
    FIRST_TRANSFERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    first_transfers: _containers.RepeatedCompositeFieldContainer[FirstTransfer]
    next_page_token: str
    def __init__(self, first_transfers: _Optional[_Iterable[_Union[FirstTransfer, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ExportArticle6ActionsRequest(_message.Message):
    __slots__ = ("format",)
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    format: ExportFormat
    def __init__(self, format: _Optional[_Union[ExportFormat, str]] = ...) -> None: ...

class ExportArticle6ActionsResponse(_message.Message):
    __slots__ = ("content_type", "content")
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    content_type: str
    content: str
    def __init__(self, content_type: _Optional[str] = ..., content: _Optional[str] = ...) -> None: ...

class GetLineageRequest(_message.Message):
    __slots__ = ("registry_id", "serial", "page_size", "page_token")
    REGISTRY_ID_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    registry_id: str
    serial: str
    page_size: int
    page_token: str
    def __init__(self, registry_id: _Optional[str] = ..., serial: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class Movement(_message.Message):
    __slots__ = ("transfer_id", "source", "destination", "serial_space", "start", "end", "settle_time")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    SERIAL_SPACE_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    SETTLE_TIME_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    source: _transfer_pb2.AccountRef
    destination: _transfer_pb2.AccountRef
    serial_space: str
    start: int
    end: int
    settle_time: _timestamp_pb2.Timestamp
    def __init__(self, transfer_id: _Optional[str] = ..., source: _Optional[_Union[_transfer_pb2.AccountRef, _Mapping]] = ..., destination: _Optional[_Union[_transfer_pb2.AccountRef, _Mapping]] = ..., serial_space: _Optional[str] = ..., start: _Optional[int] = ..., end: _Optional[int] = ..., settle_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetLineageResponse(_message.Message):
    __slots__ = ("movements", "next_page_token")
    MOVEMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    movements: _containers.RepeatedCompositeFieldContainer[Movement]
    next_page_token: str
    def __init__(self, movements: _Optional[_Iterable[_Union[Movement, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListUnadjustedUsesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class UnadjustedUse(_message.Message):
    __slots__ = ("transfer_id", "serial_space", "start", "end", "host_party", "using_party", "first_transfer_id", "adjustment")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    SERIAL_SPACE_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    HOST_PARTY_FIELD_NUMBER: _ClassVar[int]
    USING_PARTY_FIELD_NUMBER: _ClassVar[int]
    FIRST_TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    ADJUSTMENT_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    serial_space: str
    start: int
    end: int
    host_party: str
    using_party: str
    first_transfer_id: str
    adjustment: CorrespondingAdjustment
    def __init__(self, transfer_id: _Optional[str] = ..., serial_space: _Optional[str] = ..., start: _Optional[int] = ..., end: _Optional[int] = ..., host_party: _Optional[str] = ..., using_party: _Optional[str] = ..., first_transfer_id: _Optional[str] = ..., adjustment: _Optional[_Union[CorrespondingAdjustment, str]] = ...) -> None: ...

class ListUnadjustedUsesResponse(_message.Message):
    __slots__ = ("uses", "next_page_token")
    USES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    uses: _containers.RepeatedCompositeFieldContainer[UnadjustedUse]
    next_page_token: str
    def __init__(self, uses: _Optional[_Iterable[_Union[UnadjustedUse, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListRulePacksRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class Rule(_message.Message):
    __slots__ = ("rule_id", "kind", "meaning", "effective_from", "effective_to", "source", "confirmed", "params_json")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MEANING_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FROM_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_TO_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    CONFIRMED_FIELD_NUMBER: _ClassVar[int]
    PARAMS_JSON_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    kind: str
    meaning: str
    effective_from: _timestamp_pb2.Timestamp
    effective_to: _timestamp_pb2.Timestamp
    source: str
    confirmed: bool
    params_json: str
    def __init__(self, rule_id: _Optional[str] = ..., kind: _Optional[str] = ..., meaning: _Optional[str] = ..., effective_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., effective_to: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source: _Optional[str] = ..., confirmed: _Optional[bool] = ..., params_json: _Optional[str] = ...) -> None: ...

class RulePack(_message.Message):
    __slots__ = ("pack_id", "version", "title", "rules")
    PACK_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    pack_id: str
    version: str
    title: str
    rules: _containers.RepeatedCompositeFieldContainer[Rule]
    def __init__(self, pack_id: _Optional[str] = ..., version: _Optional[str] = ..., title: _Optional[str] = ..., rules: _Optional[_Iterable[_Union[Rule, _Mapping]]] = ...) -> None: ...

class ListRulePacksResponse(_message.Message):
    __slots__ = ("packs", "next_page_token")
    PACKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    packs: _containers.RepeatedCompositeFieldContainer[RulePack]
    next_page_token: str
    def __init__(self, packs: _Optional[_Iterable[_Union[RulePack, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class VerifiedEmissions(_message.Message):
    __slots__ = ("year", "tonnes")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    TONNES_FIELD_NUMBER: _ClassVar[int]
    year: int
    tonnes: int
    def __init__(self, year: _Optional[int] = ..., tonnes: _Optional[int] = ...) -> None: ...

class RecordCoveredEntityRequest(_message.Message):
    __slots__ = ("entity_id", "name", "market", "accounts", "verified_emissions")
    ENTITY_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MARKET_FIELD_NUMBER: _ClassVar[int]
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_EMISSIONS_FIELD_NUMBER: _ClassVar[int]
    entity_id: str
    name: str
    market: str
    accounts: _containers.RepeatedCompositeFieldContainer[_transfer_pb2.AccountRef]
    verified_emissions: _containers.RepeatedCompositeFieldContainer[VerifiedEmissions]
    def __init__(self, entity_id: _Optional[str] = ..., name: _Optional[str] = ..., market: _Optional[str] = ..., accounts: _Optional[_Iterable[_Union[_transfer_pb2.AccountRef, _Mapping]]] = ..., verified_emissions: _Optional[_Iterable[_Union[VerifiedEmissions, _Mapping]]] = ...) -> None: ...

class RecordCoveredEntityResponse(_message.Message):
    __slots__ = ("created",)
    CREATED_FIELD_NUMBER: _ClassVar[int]
    created: bool
    def __init__(self, created: _Optional[bool] = ...) -> None: ...

class ImportCoveredEntitiesRequest(_message.Message):
    __slots__ = ("csv",)
    CSV_FIELD_NUMBER: _ClassVar[int]
    csv: str
    def __init__(self, csv: _Optional[str] = ...) -> None: ...

class ImportCoveredEntitiesResponse(_message.Message):
    __slots__ = ("changed",)
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    changed: int
    def __init__(self, changed: _Optional[int] = ...) -> None: ...
