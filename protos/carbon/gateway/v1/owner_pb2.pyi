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

class SignatureAlgorithm(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIGNATURE_ALGORITHM_UNSPECIFIED: _ClassVar[SignatureAlgorithm]
    SIGNATURE_ALGORITHM_ED25519: _ClassVar[SignatureAlgorithm]
    SIGNATURE_ALGORITHM_ECDSA_P256_SHA256: _ClassVar[SignatureAlgorithm]
SIGNATURE_ALGORITHM_UNSPECIFIED: SignatureAlgorithm
SIGNATURE_ALGORITHM_ED25519: SignatureAlgorithm
SIGNATURE_ALGORITHM_ECDSA_P256_SHA256: SignatureAlgorithm

class OwnerKey(_message.Message):
    __slots__ = ("key_id", "registry_id", "account_id", "owner_org", "algorithm", "public_key", "register_time", "registered_by", "revoke_time", "revoked_by", "revoke_reason")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    REGISTRY_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ORG_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    REGISTER_TIME_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_BY_FIELD_NUMBER: _ClassVar[int]
    REVOKE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVOKED_BY_FIELD_NUMBER: _ClassVar[int]
    REVOKE_REASON_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    registry_id: str
    account_id: str
    owner_org: str
    algorithm: SignatureAlgorithm
    public_key: bytes
    register_time: _timestamp_pb2.Timestamp
    registered_by: str
    revoke_time: _timestamp_pb2.Timestamp
    revoked_by: str
    revoke_reason: str
    def __init__(self, key_id: _Optional[str] = ..., registry_id: _Optional[str] = ..., account_id: _Optional[str] = ..., owner_org: _Optional[str] = ..., algorithm: _Optional[_Union[SignatureAlgorithm, str]] = ..., public_key: _Optional[bytes] = ..., register_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., registered_by: _Optional[str] = ..., revoke_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoked_by: _Optional[str] = ..., revoke_reason: _Optional[str] = ...) -> None: ...

class RegisterOwnerKeyRequest(_message.Message):
    __slots__ = ("registry_id", "account_id", "owner_org", "algorithm", "public_key")
    REGISTRY_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ORG_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    registry_id: str
    account_id: str
    owner_org: str
    algorithm: SignatureAlgorithm
    public_key: bytes
    def __init__(self, registry_id: _Optional[str] = ..., account_id: _Optional[str] = ..., owner_org: _Optional[str] = ..., algorithm: _Optional[_Union[SignatureAlgorithm, str]] = ..., public_key: _Optional[bytes] = ...) -> None: ...

class RegisterOwnerKeyResponse(_message.Message):
    __slots__ = ("owner_key",)
    OWNER_KEY_FIELD_NUMBER: _ClassVar[int]
    owner_key: OwnerKey
    def __init__(self, owner_key: _Optional[_Union[OwnerKey, _Mapping]] = ...) -> None: ...

class RevokeOwnerKeyRequest(_message.Message):
    __slots__ = ("key_id", "reason")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    reason: str
    def __init__(self, key_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RevokeOwnerKeyResponse(_message.Message):
    __slots__ = ("owner_key",)
    OWNER_KEY_FIELD_NUMBER: _ClassVar[int]
    owner_key: OwnerKey
    def __init__(self, owner_key: _Optional[_Union[OwnerKey, _Mapping]] = ...) -> None: ...

class ListOwnerKeysRequest(_message.Message):
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

class ListOwnerKeysResponse(_message.Message):
    __slots__ = ("owner_keys", "next_page_token")
    OWNER_KEYS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    owner_keys: _containers.RepeatedCompositeFieldContainer[OwnerKey]
    next_page_token: str
    def __init__(self, owner_keys: _Optional[_Iterable[_Union[OwnerKey, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SubmitSignedTransferRequest(_message.Message):
    __slots__ = ("transfer_id", "source", "destination", "serial", "quantity", "purpose", "compliance_year", "key_id", "nonce", "expire_time", "signature")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    COMPLIANCE_YEAR_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    source: _transfer_pb2.AccountRef
    destination: _transfer_pb2.AccountRef
    serial: str
    quantity: int
    purpose: _transfer_pb2.Purpose
    compliance_year: int
    key_id: str
    nonce: str
    expire_time: _timestamp_pb2.Timestamp
    signature: bytes
    def __init__(self, transfer_id: _Optional[str] = ..., source: _Optional[_Union[_transfer_pb2.AccountRef, _Mapping]] = ..., destination: _Optional[_Union[_transfer_pb2.AccountRef, _Mapping]] = ..., serial: _Optional[str] = ..., quantity: _Optional[int] = ..., purpose: _Optional[_Union[_transfer_pb2.Purpose, str]] = ..., compliance_year: _Optional[int] = ..., key_id: _Optional[str] = ..., nonce: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., signature: _Optional[bytes] = ...) -> None: ...

class SubmitSignedTransferResponse(_message.Message):
    __slots__ = ("transfer",)
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    transfer: _transfer_pb2.Transfer
    def __init__(self, transfer: _Optional[_Union[_transfer_pb2.Transfer, _Mapping]] = ...) -> None: ...
