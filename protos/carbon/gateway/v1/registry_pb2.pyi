from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Capability(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CAPABILITY_UNSPECIFIED: _ClassVar[Capability]
    CAPABILITY_LOCK: _ClassVar[Capability]
    CAPABILITY_CREDIT: _ClassVar[Capability]
    CAPABILITY_FINALISE: _ClassVar[Capability]
    CAPABILITY_EVIDENCE: _ClassVar[Capability]

class Gas(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GAS_UNSPECIFIED: _ClassVar[Gas]
    GAS_CO2: _ClassVar[Gas]
    GAS_CH4: _ClassVar[Gas]
    GAS_N2O: _ClassVar[Gas]

class GwpSet(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GWP_SET_UNSPECIFIED: _ClassVar[GwpSet]
    GWP_SET_AR5: _ClassVar[GwpSet]
    GWP_SET_AR6: _ClassVar[GwpSet]

class UnitStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UNIT_STATUS_UNSPECIFIED: _ClassVar[UnitStatus]
    UNIT_STATUS_HELD: _ClassVar[UnitStatus]
    UNIT_STATUS_LOCKED: _ClassVar[UnitStatus]
    UNIT_STATUS_EXPORTED: _ClassVar[UnitStatus]
    UNIT_STATUS_RETIRED: _ClassVar[UnitStatus]
    UNIT_STATUS_CANCELLED: _ClassVar[UnitStatus]
    UNIT_STATUS_EXPIRED: _ClassVar[UnitStatus]
    UNIT_STATUS_PLEDGED: _ClassVar[UnitStatus]
CAPABILITY_UNSPECIFIED: Capability
CAPABILITY_LOCK: Capability
CAPABILITY_CREDIT: Capability
CAPABILITY_FINALISE: Capability
CAPABILITY_EVIDENCE: Capability
GAS_UNSPECIFIED: Gas
GAS_CO2: Gas
GAS_CH4: Gas
GAS_N2O: Gas
GWP_SET_UNSPECIFIED: GwpSet
GWP_SET_AR5: GwpSet
GWP_SET_AR6: GwpSet
UNIT_STATUS_UNSPECIFIED: UnitStatus
UNIT_STATUS_HELD: UnitStatus
UNIT_STATUS_LOCKED: UnitStatus
UNIT_STATUS_EXPORTED: UnitStatus
UNIT_STATUS_RETIRED: UnitStatus
UNIT_STATUS_CANCELLED: UnitStatus
UNIT_STATUS_EXPIRED: UnitStatus
UNIT_STATUS_PLEDGED: UnitStatus

class RecordAccountHolderRequest(_message.Message):
    __slots__ = ("registry_id", "account_id", "holder_org")
    REGISTRY_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    HOLDER_ORG_FIELD_NUMBER: _ClassVar[int]
    registry_id: str
    account_id: str
    holder_org: str
    def __init__(self, registry_id: _Optional[str] = ..., account_id: _Optional[str] = ..., holder_org: _Optional[str] = ...) -> None: ...

class RecordAccountHolderResponse(_message.Message):
    __slots__ = ("registry_id", "account_id", "holder_org")
    REGISTRY_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    HOLDER_ORG_FIELD_NUMBER: _ClassVar[int]
    registry_id: str
    account_id: str
    holder_org: str
    def __init__(self, registry_id: _Optional[str] = ..., account_id: _Optional[str] = ..., holder_org: _Optional[str] = ...) -> None: ...

class Registry(_message.Message):
    __slots__ = ("registry_id", "name", "jurisdiction", "programme", "evidence_based", "unit_types", "capabilities")
    REGISTRY_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    JURISDICTION_FIELD_NUMBER: _ClassVar[int]
    PROGRAMME_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_BASED_FIELD_NUMBER: _ClassVar[int]
    UNIT_TYPES_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    registry_id: str
    name: str
    jurisdiction: str
    programme: str
    evidence_based: bool
    unit_types: _containers.RepeatedScalarFieldContainer[str]
    capabilities: _containers.RepeatedScalarFieldContainer[Capability]
    def __init__(self, registry_id: _Optional[str] = ..., name: _Optional[str] = ..., jurisdiction: _Optional[str] = ..., programme: _Optional[str] = ..., evidence_based: _Optional[bool] = ..., unit_types: _Optional[_Iterable[str]] = ..., capabilities: _Optional[_Iterable[_Union[Capability, str]]] = ...) -> None: ...

class ListRegistriesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRegistriesResponse(_message.Message):
    __slots__ = ("registries", "next_page_token")
    REGISTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    registries: _containers.RepeatedCompositeFieldContainer[Registry]
    next_page_token: str
    def __init__(self, registries: _Optional[_Iterable[_Union[Registry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ParseSerialRequest(_message.Message):
    __slots__ = ("registry_id", "serial")
    REGISTRY_ID_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    registry_id: str
    serial: str
    def __init__(self, registry_id: _Optional[str] = ..., serial: _Optional[str] = ...) -> None: ...

class ParseSerialResponse(_message.Message):
    __slots__ = ("block",)
    BLOCK_FIELD_NUMBER: _ClassVar[int]
    block: SerialBlock
    def __init__(self, block: _Optional[_Union[SerialBlock, _Mapping]] = ...) -> None: ...

class SerialBlock(_message.Message):
    __slots__ = ("registry_id", "programme", "project_id", "vintage", "unit_type", "country", "start", "end", "quantity", "serial_space", "attributes", "gas", "gwp_set")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    REGISTRY_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAMME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    VINTAGE_FIELD_NUMBER: _ClassVar[int]
    UNIT_TYPE_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    SERIAL_SPACE_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    GAS_FIELD_NUMBER: _ClassVar[int]
    GWP_SET_FIELD_NUMBER: _ClassVar[int]
    registry_id: str
    programme: str
    project_id: str
    vintage: str
    unit_type: str
    country: str
    start: int
    end: int
    quantity: int
    serial_space: str
    attributes: _containers.ScalarMap[str, str]
    gas: Gas
    gwp_set: GwpSet
    def __init__(self, registry_id: _Optional[str] = ..., programme: _Optional[str] = ..., project_id: _Optional[str] = ..., vintage: _Optional[str] = ..., unit_type: _Optional[str] = ..., country: _Optional[str] = ..., start: _Optional[int] = ..., end: _Optional[int] = ..., quantity: _Optional[int] = ..., serial_space: _Optional[str] = ..., attributes: _Optional[_Mapping[str, str]] = ..., gas: _Optional[_Union[Gas, str]] = ..., gwp_set: _Optional[_Union[GwpSet, str]] = ...) -> None: ...

class ListHoldingsRequest(_message.Message):
    __slots__ = ("registry_id", "account_id", "page_size", "page_token")
    REGISTRY_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    registry_id: str
    account_id: str
    page_size: int
    page_token: str
    def __init__(self, registry_id: _Optional[str] = ..., account_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class Holding(_message.Message):
    __slots__ = ("account_id", "serial", "quantity", "status", "registry_status", "block")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REGISTRY_STATUS_FIELD_NUMBER: _ClassVar[int]
    BLOCK_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    serial: str
    quantity: int
    status: UnitStatus
    registry_status: str
    block: SerialBlock
    def __init__(self, account_id: _Optional[str] = ..., serial: _Optional[str] = ..., quantity: _Optional[int] = ..., status: _Optional[_Union[UnitStatus, str]] = ..., registry_status: _Optional[str] = ..., block: _Optional[_Union[SerialBlock, _Mapping]] = ...) -> None: ...

class ListHoldingsResponse(_message.Message):
    __slots__ = ("holdings", "next_page_token")
    HOLDINGS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    holdings: _containers.RepeatedCompositeFieldContainer[Holding]
    next_page_token: str
    def __init__(self, holdings: _Optional[_Iterable[_Union[Holding, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
