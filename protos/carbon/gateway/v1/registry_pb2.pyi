from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

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
UNIT_STATUS_UNSPECIFIED: UnitStatus
UNIT_STATUS_HELD: UnitStatus
UNIT_STATUS_LOCKED: UnitStatus
UNIT_STATUS_EXPORTED: UnitStatus
UNIT_STATUS_RETIRED: UnitStatus
UNIT_STATUS_CANCELLED: UnitStatus
UNIT_STATUS_EXPIRED: UnitStatus
UNIT_STATUS_PLEDGED: UnitStatus

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
    capabilities: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, registry_id: _Optional[str] = ..., name: _Optional[str] = ..., jurisdiction: _Optional[str] = ..., programme: _Optional[str] = ..., evidence_based: _Optional[bool] = ..., unit_types: _Optional[_Iterable[str]] = ..., capabilities: _Optional[_Iterable[str]] = ...) -> None: ...

class ListRegistriesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListRegistriesResponse(_message.Message):
    __slots__ = ("registries",)
    REGISTRIES_FIELD_NUMBER: _ClassVar[int]
    registries: _containers.RepeatedCompositeFieldContainer[Registry]
    def __init__(self, registries: _Optional[_Iterable[_Union[Registry, _Mapping]]] = ...) -> None: ...

class ParseSerialRequest(_message.Message):
    __slots__ = ("registry_id", "serial")
    REGISTRY_ID_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    registry_id: str
    serial: str
    def __init__(self, registry_id: _Optional[str] = ..., serial: _Optional[str] = ...) -> None: ...

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
    gas: str
    gwp_set: str
    def __init__(self, registry_id: _Optional[str] = ..., programme: _Optional[str] = ..., project_id: _Optional[str] = ..., vintage: _Optional[str] = ..., unit_type: _Optional[str] = ..., country: _Optional[str] = ..., start: _Optional[int] = ..., end: _Optional[int] = ..., quantity: _Optional[int] = ..., serial_space: _Optional[str] = ..., attributes: _Optional[_Mapping[str, str]] = ..., gas: _Optional[str] = ..., gwp_set: _Optional[str] = ...) -> None: ...

class ListHoldingsRequest(_message.Message):
    __slots__ = ("registry_id", "account_id")
    REGISTRY_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    registry_id: str
    account_id: str
    def __init__(self, registry_id: _Optional[str] = ..., account_id: _Optional[str] = ...) -> None: ...

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
    __slots__ = ("holdings",)
    HOLDINGS_FIELD_NUMBER: _ClassVar[int]
    holdings: _containers.RepeatedCompositeFieldContainer[Holding]
    def __init__(self, holdings: _Optional[_Iterable[_Union[Holding, _Mapping]]] = ...) -> None: ...
