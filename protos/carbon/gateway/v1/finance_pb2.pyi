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

class Sector(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SECTOR_UNSPECIFIED: _ClassVar[Sector]
    SECTOR_ENERGY: _ClassVar[Sector]
    SECTOR_INDUSTRY: _ClassVar[Sector]
    SECTOR_BUILDINGS: _ClassVar[Sector]
    SECTOR_TRANSPORT: _ClassVar[Sector]
    SECTOR_LAND_USE: _ClassVar[Sector]
    SECTOR_WASTE: _ClassVar[Sector]
    SECTOR_OTHER: _ClassVar[Sector]

class LibraryEntryStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LIBRARY_ENTRY_STATUS_UNSPECIFIED: _ClassVar[LibraryEntryStatus]
    LIBRARY_ENTRY_STATUS_PROPOSED: _ClassVar[LibraryEntryStatus]
    LIBRARY_ENTRY_STATUS_ADMITTED: _ClassVar[LibraryEntryStatus]
    LIBRARY_ENTRY_STATUS_FUNDED: _ClassVar[LibraryEntryStatus]
    LIBRARY_ENTRY_STATUS_CLOSED: _ClassVar[LibraryEntryStatus]
    LIBRARY_ENTRY_STATUS_WITHDRAWN: _ClassVar[LibraryEntryStatus]

class PledgeState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PLEDGE_STATE_UNSPECIFIED: _ClassVar[PledgeState]
    PLEDGE_STATE_ACTIVE: _ClassVar[PledgeState]
    PLEDGE_STATE_RELEASED: _ClassVar[PledgeState]
    PLEDGE_STATE_TRANSFERRED: _ClassVar[PledgeState]
    PLEDGE_STATE_ENFORCED: _ClassVar[PledgeState]

class RepoState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPO_STATE_UNSPECIFIED: _ClassVar[RepoState]
    REPO_STATE_SELLING: _ClassVar[RepoState]
    REPO_STATE_SOLD: _ClassVar[RepoState]
    REPO_STATE_REPURCHASING: _ClassVar[RepoState]
    REPO_STATE_COMPLETED: _ClassVar[RepoState]
    REPO_STATE_DEFAULTED: _ClassVar[RepoState]
    REPO_STATE_FAILED: _ClassVar[RepoState]

class ComplianceStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPLIANCE_STATUS_UNSPECIFIED: _ClassVar[ComplianceStatus]
    COMPLIANCE_STATUS_NOT_REPORTED: _ClassVar[ComplianceStatus]
    COMPLIANCE_STATUS_COVERED: _ClassVar[ComplianceStatus]
    COMPLIANCE_STATUS_SHORT: _ClassVar[ComplianceStatus]

class BeneficiaryKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BENEFICIARY_KIND_UNSPECIFIED: _ClassVar[BeneficiaryKind]
    BENEFICIARY_KIND_ORGANISATION: _ClassVar[BeneficiaryKind]
    BENEFICIARY_KIND_PERSON: _ClassVar[BeneficiaryKind]

class RetirementState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RETIREMENT_STATE_UNSPECIFIED: _ClassVar[RetirementState]
    RETIREMENT_STATE_BUYING: _ClassVar[RetirementState]
    RETIREMENT_STATE_RETIRING: _ClassVar[RetirementState]
    RETIREMENT_STATE_RETIRED: _ClassVar[RetirementState]
    RETIREMENT_STATE_FAILED: _ClassVar[RetirementState]

class CertificateFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CERTIFICATE_FORMAT_UNSPECIFIED: _ClassVar[CertificateFormat]
    CERTIFICATE_FORMAT_JSON: _ClassVar[CertificateFormat]
    CERTIFICATE_FORMAT_HTML: _ClassVar[CertificateFormat]

class DeliveryState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELIVERY_STATE_UNSPECIFIED: _ClassVar[DeliveryState]
    DELIVERY_STATE_PENDING: _ClassVar[DeliveryState]
    DELIVERY_STATE_DELIVERED: _ClassVar[DeliveryState]
    DELIVERY_STATE_FAILED: _ClassVar[DeliveryState]
SECTOR_UNSPECIFIED: Sector
SECTOR_ENERGY: Sector
SECTOR_INDUSTRY: Sector
SECTOR_BUILDINGS: Sector
SECTOR_TRANSPORT: Sector
SECTOR_LAND_USE: Sector
SECTOR_WASTE: Sector
SECTOR_OTHER: Sector
LIBRARY_ENTRY_STATUS_UNSPECIFIED: LibraryEntryStatus
LIBRARY_ENTRY_STATUS_PROPOSED: LibraryEntryStatus
LIBRARY_ENTRY_STATUS_ADMITTED: LibraryEntryStatus
LIBRARY_ENTRY_STATUS_FUNDED: LibraryEntryStatus
LIBRARY_ENTRY_STATUS_CLOSED: LibraryEntryStatus
LIBRARY_ENTRY_STATUS_WITHDRAWN: LibraryEntryStatus
PLEDGE_STATE_UNSPECIFIED: PledgeState
PLEDGE_STATE_ACTIVE: PledgeState
PLEDGE_STATE_RELEASED: PledgeState
PLEDGE_STATE_TRANSFERRED: PledgeState
PLEDGE_STATE_ENFORCED: PledgeState
REPO_STATE_UNSPECIFIED: RepoState
REPO_STATE_SELLING: RepoState
REPO_STATE_SOLD: RepoState
REPO_STATE_REPURCHASING: RepoState
REPO_STATE_COMPLETED: RepoState
REPO_STATE_DEFAULTED: RepoState
REPO_STATE_FAILED: RepoState
COMPLIANCE_STATUS_UNSPECIFIED: ComplianceStatus
COMPLIANCE_STATUS_NOT_REPORTED: ComplianceStatus
COMPLIANCE_STATUS_COVERED: ComplianceStatus
COMPLIANCE_STATUS_SHORT: ComplianceStatus
BENEFICIARY_KIND_UNSPECIFIED: BeneficiaryKind
BENEFICIARY_KIND_ORGANISATION: BeneficiaryKind
BENEFICIARY_KIND_PERSON: BeneficiaryKind
RETIREMENT_STATE_UNSPECIFIED: RetirementState
RETIREMENT_STATE_BUYING: RetirementState
RETIREMENT_STATE_RETIRING: RetirementState
RETIREMENT_STATE_RETIRED: RetirementState
RETIREMENT_STATE_FAILED: RetirementState
CERTIFICATE_FORMAT_UNSPECIFIED: CertificateFormat
CERTIFICATE_FORMAT_JSON: CertificateFormat
CERTIFICATE_FORMAT_HTML: CertificateFormat
DELIVERY_STATE_UNSPECIFIED: DeliveryState
DELIVERY_STATE_PENDING: DeliveryState
DELIVERY_STATE_DELIVERED: DeliveryState
DELIVERY_STATE_FAILED: DeliveryState

class Money(_message.Message):
    __slots__ = ("currency_code", "amount")
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    currency_code: str
    amount: str
    def __init__(self, currency_code: _Optional[str] = ..., amount: _Optional[str] = ...) -> None: ...

class ProjectRef(_message.Message):
    __slots__ = ("programme", "project_id")
    PROGRAMME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    programme: str
    project_id: str
    def __init__(self, programme: _Optional[str] = ..., project_id: _Optional[str] = ...) -> None: ...

class LibraryEntry(_message.Message):
    __slots__ = ("entry_id", "name", "owner_entity", "sector", "location", "expected_reductions_t", "funding_need", "status", "projects", "status_note", "create_time", "update_time")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_ENTITY_FIELD_NUMBER: _ClassVar[int]
    SECTOR_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REDUCTIONS_T_FIELD_NUMBER: _ClassVar[int]
    FUNDING_NEED_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PROJECTS_FIELD_NUMBER: _ClassVar[int]
    STATUS_NOTE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    name: str
    owner_entity: str
    sector: Sector
    location: str
    expected_reductions_t: int
    funding_need: Money
    status: LibraryEntryStatus
    projects: _containers.RepeatedCompositeFieldContainer[ProjectRef]
    status_note: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, entry_id: _Optional[str] = ..., name: _Optional[str] = ..., owner_entity: _Optional[str] = ..., sector: _Optional[_Union[Sector, str]] = ..., location: _Optional[str] = ..., expected_reductions_t: _Optional[int] = ..., funding_need: _Optional[_Union[Money, _Mapping]] = ..., status: _Optional[_Union[LibraryEntryStatus, str]] = ..., projects: _Optional[_Iterable[_Union[ProjectRef, _Mapping]]] = ..., status_note: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RecordLibraryEntryRequest(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: LibraryEntry
    def __init__(self, entry: _Optional[_Union[LibraryEntry, _Mapping]] = ...) -> None: ...

class RecordLibraryEntryResponse(_message.Message):
    __slots__ = ("entry", "created")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    entry: LibraryEntry
    created: bool
    def __init__(self, entry: _Optional[_Union[LibraryEntry, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class SetLibraryEntryStatusRequest(_message.Message):
    __slots__ = ("entry_id", "status", "note")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    status: LibraryEntryStatus
    note: str
    def __init__(self, entry_id: _Optional[str] = ..., status: _Optional[_Union[LibraryEntryStatus, str]] = ..., note: _Optional[str] = ...) -> None: ...

class SetLibraryEntryStatusResponse(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: LibraryEntry
    def __init__(self, entry: _Optional[_Union[LibraryEntry, _Mapping]] = ...) -> None: ...

class LinkLibraryProjectRequest(_message.Message):
    __slots__ = ("entry_id", "project")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    project: ProjectRef
    def __init__(self, entry_id: _Optional[str] = ..., project: _Optional[_Union[ProjectRef, _Mapping]] = ...) -> None: ...

class LinkLibraryProjectResponse(_message.Message):
    __slots__ = ("entry", "linked")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    LINKED_FIELD_NUMBER: _ClassVar[int]
    entry: LibraryEntry
    linked: bool
    def __init__(self, entry: _Optional[_Union[LibraryEntry, _Mapping]] = ..., linked: _Optional[bool] = ...) -> None: ...

class GetLibraryEntryRequest(_message.Message):
    __slots__ = ("entry_id",)
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    def __init__(self, entry_id: _Optional[str] = ...) -> None: ...

class ListLibraryEntriesRequest(_message.Message):
    __slots__ = ("status", "page_size", "page_token")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    status: LibraryEntryStatus
    page_size: int
    page_token: str
    def __init__(self, status: _Optional[_Union[LibraryEntryStatus, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListLibraryEntriesResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[LibraryEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[LibraryEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GreenLoan(_message.Message):
    __slots__ = ("loan_id", "lender", "borrower_entity", "amount", "library_entry_ids", "projects", "use_of_proceeds", "sign_date", "maturity_date", "create_time")
    LOAN_ID_FIELD_NUMBER: _ClassVar[int]
    LENDER_FIELD_NUMBER: _ClassVar[int]
    BORROWER_ENTITY_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    LIBRARY_ENTRY_IDS_FIELD_NUMBER: _ClassVar[int]
    PROJECTS_FIELD_NUMBER: _ClassVar[int]
    USE_OF_PROCEEDS_FIELD_NUMBER: _ClassVar[int]
    SIGN_DATE_FIELD_NUMBER: _ClassVar[int]
    MATURITY_DATE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    loan_id: str
    lender: str
    borrower_entity: str
    amount: Money
    library_entry_ids: _containers.RepeatedScalarFieldContainer[str]
    projects: _containers.RepeatedCompositeFieldContainer[ProjectRef]
    use_of_proceeds: str
    sign_date: str
    maturity_date: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, loan_id: _Optional[str] = ..., lender: _Optional[str] = ..., borrower_entity: _Optional[str] = ..., amount: _Optional[_Union[Money, _Mapping]] = ..., library_entry_ids: _Optional[_Iterable[str]] = ..., projects: _Optional[_Iterable[_Union[ProjectRef, _Mapping]]] = ..., use_of_proceeds: _Optional[str] = ..., sign_date: _Optional[str] = ..., maturity_date: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RecordGreenLoanRequest(_message.Message):
    __slots__ = ("loan",)
    LOAN_FIELD_NUMBER: _ClassVar[int]
    loan: GreenLoan
    def __init__(self, loan: _Optional[_Union[GreenLoan, _Mapping]] = ...) -> None: ...

class RecordGreenLoanResponse(_message.Message):
    __slots__ = ("loan", "created")
    LOAN_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    loan: GreenLoan
    created: bool
    def __init__(self, loan: _Optional[_Union[GreenLoan, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class GetGreenLoanRequest(_message.Message):
    __slots__ = ("loan_id",)
    LOAN_ID_FIELD_NUMBER: _ClassVar[int]
    loan_id: str
    def __init__(self, loan_id: _Optional[str] = ...) -> None: ...

class ListGreenLoansRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListGreenLoansResponse(_message.Message):
    __slots__ = ("loans", "next_page_token")
    LOANS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    loans: _containers.RepeatedCompositeFieldContainer[GreenLoan]
    next_page_token: str
    def __init__(self, loans: _Optional[_Iterable[_Union[GreenLoan, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PledgeRecord(_message.Message):
    __slots__ = ("pledge_id", "lender", "holder", "serial", "quantity", "loan_id", "state", "consented_transfer_id", "pledge_time", "end_time")
    PLEDGE_ID_FIELD_NUMBER: _ClassVar[int]
    LENDER_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    LOAN_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CONSENTED_TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    PLEDGE_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    pledge_id: str
    lender: str
    holder: _transfer_pb2.AccountRef
    serial: str
    quantity: int
    loan_id: str
    state: PledgeState
    consented_transfer_id: str
    pledge_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, pledge_id: _Optional[str] = ..., lender: _Optional[str] = ..., holder: _Optional[_Union[_transfer_pb2.AccountRef, _Mapping]] = ..., serial: _Optional[str] = ..., quantity: _Optional[int] = ..., loan_id: _Optional[str] = ..., state: _Optional[_Union[PledgeState, str]] = ..., consented_transfer_id: _Optional[str] = ..., pledge_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PledgeRequest(_message.Message):
    __slots__ = ("pledge_id", "holder", "serial", "quantity", "loan_id")
    PLEDGE_ID_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    LOAN_ID_FIELD_NUMBER: _ClassVar[int]
    pledge_id: str
    holder: _transfer_pb2.AccountRef
    serial: str
    quantity: int
    loan_id: str
    def __init__(self, pledge_id: _Optional[str] = ..., holder: _Optional[_Union[_transfer_pb2.AccountRef, _Mapping]] = ..., serial: _Optional[str] = ..., quantity: _Optional[int] = ..., loan_id: _Optional[str] = ...) -> None: ...

class PledgeResponse(_message.Message):
    __slots__ = ("pledge", "created")
    PLEDGE_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    pledge: PledgeRecord
    created: bool
    def __init__(self, pledge: _Optional[_Union[PledgeRecord, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class ConsentToTransferRequest(_message.Message):
    __slots__ = ("pledge_id", "transfer_id")
    PLEDGE_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    pledge_id: str
    transfer_id: str
    def __init__(self, pledge_id: _Optional[str] = ..., transfer_id: _Optional[str] = ...) -> None: ...

class ConsentToTransferResponse(_message.Message):
    __slots__ = ("pledge",)
    PLEDGE_FIELD_NUMBER: _ClassVar[int]
    pledge: PledgeRecord
    def __init__(self, pledge: _Optional[_Union[PledgeRecord, _Mapping]] = ...) -> None: ...

class ReleaseCollateralRequest(_message.Message):
    __slots__ = ("pledge_id",)
    PLEDGE_ID_FIELD_NUMBER: _ClassVar[int]
    pledge_id: str
    def __init__(self, pledge_id: _Optional[str] = ...) -> None: ...

class ReleaseCollateralResponse(_message.Message):
    __slots__ = ("pledge", "released")
    PLEDGE_FIELD_NUMBER: _ClassVar[int]
    RELEASED_FIELD_NUMBER: _ClassVar[int]
    pledge: PledgeRecord
    released: bool
    def __init__(self, pledge: _Optional[_Union[PledgeRecord, _Mapping]] = ..., released: _Optional[bool] = ...) -> None: ...

class EnforcePledgeRequest(_message.Message):
    __slots__ = ("pledge_id", "lender_account")
    PLEDGE_ID_FIELD_NUMBER: _ClassVar[int]
    LENDER_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    pledge_id: str
    lender_account: _transfer_pb2.AccountRef
    def __init__(self, pledge_id: _Optional[str] = ..., lender_account: _Optional[_Union[_transfer_pb2.AccountRef, _Mapping]] = ...) -> None: ...

class EnforcePledgeResponse(_message.Message):
    __slots__ = ("pledge", "transfer_id")
    PLEDGE_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    pledge: PledgeRecord
    transfer_id: str
    def __init__(self, pledge: _Optional[_Union[PledgeRecord, _Mapping]] = ..., transfer_id: _Optional[str] = ...) -> None: ...

class ListPledgesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPledgesResponse(_message.Message):
    __slots__ = ("pledges", "next_page_token")
    PLEDGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    pledges: _containers.RepeatedCompositeFieldContainer[PledgeRecord]
    next_page_token: str
    def __init__(self, pledges: _Optional[_Iterable[_Union[PledgeRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Repo(_message.Message):
    __slots__ = ("repo_id", "seller", "buyer", "seller_account", "buyer_account", "serial", "quantity", "repurchase_quantity", "repurchase_date", "state", "sale_transfer_id", "repurchase_transfer_id", "update_time")
    REPO_ID_FIELD_NUMBER: _ClassVar[int]
    SELLER_FIELD_NUMBER: _ClassVar[int]
    BUYER_FIELD_NUMBER: _ClassVar[int]
    SELLER_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    BUYER_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REPURCHASE_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REPURCHASE_DATE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SALE_TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    REPURCHASE_TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    repo_id: str
    seller: str
    buyer: str
    seller_account: _transfer_pb2.AccountRef
    buyer_account: _transfer_pb2.AccountRef
    serial: str
    quantity: int
    repurchase_quantity: int
    repurchase_date: str
    state: RepoState
    sale_transfer_id: str
    repurchase_transfer_id: str
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, repo_id: _Optional[str] = ..., seller: _Optional[str] = ..., buyer: _Optional[str] = ..., seller_account: _Optional[_Union[_transfer_pb2.AccountRef, _Mapping]] = ..., buyer_account: _Optional[_Union[_transfer_pb2.AccountRef, _Mapping]] = ..., serial: _Optional[str] = ..., quantity: _Optional[int] = ..., repurchase_quantity: _Optional[int] = ..., repurchase_date: _Optional[str] = ..., state: _Optional[_Union[RepoState, str]] = ..., sale_transfer_id: _Optional[str] = ..., repurchase_transfer_id: _Optional[str] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OpenRepoRequest(_message.Message):
    __slots__ = ("repo_id", "seller_account", "buyer_account", "buyer", "serial", "quantity", "repurchase_quantity", "repurchase_date")
    REPO_ID_FIELD_NUMBER: _ClassVar[int]
    SELLER_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    BUYER_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    BUYER_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REPURCHASE_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REPURCHASE_DATE_FIELD_NUMBER: _ClassVar[int]
    repo_id: str
    seller_account: _transfer_pb2.AccountRef
    buyer_account: _transfer_pb2.AccountRef
    buyer: str
    serial: str
    quantity: int
    repurchase_quantity: int
    repurchase_date: str
    def __init__(self, repo_id: _Optional[str] = ..., seller_account: _Optional[_Union[_transfer_pb2.AccountRef, _Mapping]] = ..., buyer_account: _Optional[_Union[_transfer_pb2.AccountRef, _Mapping]] = ..., buyer: _Optional[str] = ..., serial: _Optional[str] = ..., quantity: _Optional[int] = ..., repurchase_quantity: _Optional[int] = ..., repurchase_date: _Optional[str] = ...) -> None: ...

class OpenRepoResponse(_message.Message):
    __slots__ = ("repo",)
    REPO_FIELD_NUMBER: _ClassVar[int]
    repo: Repo
    def __init__(self, repo: _Optional[_Union[Repo, _Mapping]] = ...) -> None: ...

class ConfirmRepurchaseRequest(_message.Message):
    __slots__ = ("repo_id",)
    REPO_ID_FIELD_NUMBER: _ClassVar[int]
    repo_id: str
    def __init__(self, repo_id: _Optional[str] = ...) -> None: ...

class ConfirmRepurchaseResponse(_message.Message):
    __slots__ = ("repo",)
    REPO_FIELD_NUMBER: _ClassVar[int]
    repo: Repo
    def __init__(self, repo: _Optional[_Union[Repo, _Mapping]] = ...) -> None: ...

class GetRepoRequest(_message.Message):
    __slots__ = ("repo_id",)
    REPO_ID_FIELD_NUMBER: _ClassVar[int]
    repo_id: str
    def __init__(self, repo_id: _Optional[str] = ...) -> None: ...

class EnterpriseHolding(_message.Message):
    __slots__ = ("registry_id", "account_id", "unit_type", "vintage", "held", "pledged")
    REGISTRY_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_TYPE_FIELD_NUMBER: _ClassVar[int]
    VINTAGE_FIELD_NUMBER: _ClassVar[int]
    HELD_FIELD_NUMBER: _ClassVar[int]
    PLEDGED_FIELD_NUMBER: _ClassVar[int]
    registry_id: str
    account_id: str
    unit_type: str
    vintage: str
    held: int
    pledged: int
    def __init__(self, registry_id: _Optional[str] = ..., account_id: _Optional[str] = ..., unit_type: _Optional[str] = ..., vintage: _Optional[str] = ..., held: _Optional[int] = ..., pledged: _Optional[int] = ...) -> None: ...

class ComplianceYear(_message.Message):
    __slots__ = ("year", "verified_emissions_t", "offsets_used_t", "status")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_EMISSIONS_T_FIELD_NUMBER: _ClassVar[int]
    OFFSETS_USED_T_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    year: int
    verified_emissions_t: int
    offsets_used_t: int
    status: ComplianceStatus
    def __init__(self, year: _Optional[int] = ..., verified_emissions_t: _Optional[int] = ..., offsets_used_t: _Optional[int] = ..., status: _Optional[_Union[ComplianceStatus, str]] = ...) -> None: ...

class CarbonRating(_message.Message):
    __slots__ = ("formula_version", "score", "grade", "components", "compute_time")
    FORMULA_VERSION_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    GRADE_FIELD_NUMBER: _ClassVar[int]
    COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    COMPUTE_TIME_FIELD_NUMBER: _ClassVar[int]
    formula_version: str
    score: int
    grade: str
    components: _containers.RepeatedScalarFieldContainer[str]
    compute_time: _timestamp_pb2.Timestamp
    def __init__(self, formula_version: _Optional[str] = ..., score: _Optional[int] = ..., grade: _Optional[str] = ..., components: _Optional[_Iterable[str]] = ..., compute_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetEnterpriseAccountRequest(_message.Message):
    __slots__ = ("entity_id",)
    ENTITY_ID_FIELD_NUMBER: _ClassVar[int]
    entity_id: str
    def __init__(self, entity_id: _Optional[str] = ...) -> None: ...

class GetEnterpriseAccountResponse(_message.Message):
    __slots__ = ("entity_id", "name", "market", "holdings", "years", "rating", "rating_history")
    ENTITY_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MARKET_FIELD_NUMBER: _ClassVar[int]
    HOLDINGS_FIELD_NUMBER: _ClassVar[int]
    YEARS_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    RATING_HISTORY_FIELD_NUMBER: _ClassVar[int]
    entity_id: str
    name: str
    market: str
    holdings: _containers.RepeatedCompositeFieldContainer[EnterpriseHolding]
    years: _containers.RepeatedCompositeFieldContainer[ComplianceYear]
    rating: CarbonRating
    rating_history: _containers.RepeatedCompositeFieldContainer[CarbonRating]
    def __init__(self, entity_id: _Optional[str] = ..., name: _Optional[str] = ..., market: _Optional[str] = ..., holdings: _Optional[_Iterable[_Union[EnterpriseHolding, _Mapping]]] = ..., years: _Optional[_Iterable[_Union[ComplianceYear, _Mapping]]] = ..., rating: _Optional[_Union[CarbonRating, _Mapping]] = ..., rating_history: _Optional[_Iterable[_Union[CarbonRating, _Mapping]]] = ...) -> None: ...

class PublicBenefitAccount(_message.Message):
    __slots__ = ("account_id", "kind", "display_name", "private", "holding", "operator", "retired_t")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    PRIVATE_FIELD_NUMBER: _ClassVar[int]
    HOLDING_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    RETIRED_T_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    kind: BeneficiaryKind
    display_name: str
    private: bool
    holding: _transfer_pb2.AccountRef
    operator: str
    retired_t: int
    def __init__(self, account_id: _Optional[str] = ..., kind: _Optional[_Union[BeneficiaryKind, str]] = ..., display_name: _Optional[str] = ..., private: _Optional[bool] = ..., holding: _Optional[_Union[_transfer_pb2.AccountRef, _Mapping]] = ..., operator: _Optional[str] = ..., retired_t: _Optional[int] = ...) -> None: ...

class OpenPublicBenefitAccountRequest(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: PublicBenefitAccount
    def __init__(self, account: _Optional[_Union[PublicBenefitAccount, _Mapping]] = ...) -> None: ...

class OpenPublicBenefitAccountResponse(_message.Message):
    __slots__ = ("account", "created")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    account: PublicBenefitAccount
    created: bool
    def __init__(self, account: _Optional[_Union[PublicBenefitAccount, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class RetireForBeneficiaryRequest(_message.Message):
    __slots__ = ("retirement_id", "account_id", "seller", "serial", "quantity", "reason")
    RETIREMENT_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    SELLER_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    retirement_id: str
    account_id: str
    seller: _transfer_pb2.AccountRef
    serial: str
    quantity: int
    reason: str
    def __init__(self, retirement_id: _Optional[str] = ..., account_id: _Optional[str] = ..., seller: _Optional[_Union[_transfer_pb2.AccountRef, _Mapping]] = ..., serial: _Optional[str] = ..., quantity: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class RetireForBeneficiaryResponse(_message.Message):
    __slots__ = ("state", "certificate_id")
    STATE_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_ID_FIELD_NUMBER: _ClassVar[int]
    state: RetirementState
    certificate_id: str
    def __init__(self, state: _Optional[_Union[RetirementState, str]] = ..., certificate_id: _Optional[str] = ...) -> None: ...

class GetRetirementCertificateRequest(_message.Message):
    __slots__ = ("retirement_id", "format")
    RETIREMENT_ID_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    retirement_id: str
    format: CertificateFormat
    def __init__(self, retirement_id: _Optional[str] = ..., format: _Optional[_Union[CertificateFormat, str]] = ...) -> None: ...

class GetRetirementCertificateResponse(_message.Message):
    __slots__ = ("state", "reasons", "certificate_id", "media_type", "content")
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_ID_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    state: RetirementState
    reasons: _containers.RepeatedCompositeFieldContainer[_transfer_pb2.Reason]
    certificate_id: str
    media_type: str
    content: bytes
    def __init__(self, state: _Optional[_Union[RetirementState, str]] = ..., reasons: _Optional[_Iterable[_Union[_transfer_pb2.Reason, _Mapping]]] = ..., certificate_id: _Optional[str] = ..., media_type: _Optional[str] = ..., content: _Optional[bytes] = ...) -> None: ...

class Subscription(_message.Message):
    __slots__ = ("subscription_id", "endpoint_url", "kinds", "owner", "acknowledged_offset", "create_time")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_URL_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_OFFSET_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    endpoint_url: str
    kinds: _containers.RepeatedScalarFieldContainer[str]
    owner: str
    acknowledged_offset: int
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, subscription_id: _Optional[str] = ..., endpoint_url: _Optional[str] = ..., kinds: _Optional[_Iterable[str]] = ..., owner: _Optional[str] = ..., acknowledged_offset: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateSubscriptionRequest(_message.Message):
    __slots__ = ("subscription", "after_offset")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    AFTER_OFFSET_FIELD_NUMBER: _ClassVar[int]
    subscription: Subscription
    after_offset: int
    def __init__(self, subscription: _Optional[_Union[Subscription, _Mapping]] = ..., after_offset: _Optional[int] = ...) -> None: ...

class CreateSubscriptionResponse(_message.Message):
    __slots__ = ("subscription", "secret")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    subscription: Subscription
    secret: str
    def __init__(self, subscription: _Optional[_Union[Subscription, _Mapping]] = ..., secret: _Optional[str] = ...) -> None: ...

class ListSubscriptionsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSubscriptionsResponse(_message.Message):
    __slots__ = ("subscriptions",)
    SUBSCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    subscriptions: _containers.RepeatedCompositeFieldContainer[Subscription]
    def __init__(self, subscriptions: _Optional[_Iterable[_Union[Subscription, _Mapping]]] = ...) -> None: ...

class Delivery(_message.Message):
    __slots__ = ("delivery_id", "offset", "kind", "state", "attempts", "last_error", "last_attempt_time")
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    LAST_ATTEMPT_TIME_FIELD_NUMBER: _ClassVar[int]
    delivery_id: str
    offset: int
    kind: str
    state: DeliveryState
    attempts: int
    last_error: str
    last_attempt_time: _timestamp_pb2.Timestamp
    def __init__(self, delivery_id: _Optional[str] = ..., offset: _Optional[int] = ..., kind: _Optional[str] = ..., state: _Optional[_Union[DeliveryState, str]] = ..., attempts: _Optional[int] = ..., last_error: _Optional[str] = ..., last_attempt_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListDeliveriesRequest(_message.Message):
    __slots__ = ("subscription_id", "state", "page_size", "page_token")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    state: DeliveryState
    page_size: int
    page_token: str
    def __init__(self, subscription_id: _Optional[str] = ..., state: _Optional[_Union[DeliveryState, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDeliveriesResponse(_message.Message):
    __slots__ = ("deliveries", "next_page_token")
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[Delivery]
    next_page_token: str
    def __init__(self, deliveries: _Optional[_Iterable[_Union[Delivery, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ReplayDeliveriesRequest(_message.Message):
    __slots__ = ("subscription_id", "after_offset")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_OFFSET_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    after_offset: int
    def __init__(self, subscription_id: _Optional[str] = ..., after_offset: _Optional[int] = ...) -> None: ...

class ReplayDeliveriesResponse(_message.Message):
    __slots__ = ("queued",)
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    queued: int
    def __init__(self, queued: _Optional[int] = ...) -> None: ...

class FinanceEvent(_message.Message):
    __slots__ = ("offset", "event_id", "kind", "subject", "data_json", "occur_time")
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    offset: int
    event_id: str
    kind: str
    subject: str
    data_json: str
    occur_time: _timestamp_pb2.Timestamp
    def __init__(self, offset: _Optional[int] = ..., event_id: _Optional[str] = ..., kind: _Optional[str] = ..., subject: _Optional[str] = ..., data_json: _Optional[str] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WatchFinanceEventsRequest(_message.Message):
    __slots__ = ("after_offset", "kinds")
    AFTER_OFFSET_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    after_offset: int
    kinds: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, after_offset: _Optional[int] = ..., kinds: _Optional[_Iterable[str]] = ...) -> None: ...

class WatchFinanceEventsResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: FinanceEvent
    def __init__(self, event: _Optional[_Union[FinanceEvent, _Mapping]] = ...) -> None: ...
