"""Who may call what: the one role table, read by the access interceptor and docs/security.md.

Every RPC the gateway serves has exactly one row here (a test checks the table
against the services' descriptors, both ways). A row says which roles may call
the method, whether the call changes state (so the audit log records it) and
whether what it returns is scoped to the caller's organisation. Health checking
and reflection are open to anyone and are not in the table.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from enum import StrEnum
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict


class Role(StrEnum):
    """A kind of caller, read from the organizational unit (OU) of its client certificate."""

    EXCHANGE = "exchange"
    PROJECT_OWNER = "project-owner"
    BANK = "bank"
    REGULATOR = "regulator"
    REGISTRY_OPERATOR = "registry-operator"
    ADMIN = "admin"


class Caller(BaseModel):
    """Who made a call: its role, organisation (certificate O) and name (certificate CN)."""

    model_config = ConfigDict(frozen=True)

    role: Role
    org: str
    name: str
    # Plaintext development mode: nobody is authenticated, so the one caller holds every role.
    every_role: bool = False

    def may(self, roles: frozenset[Role]) -> bool:
        return self.every_role or self.role in roles

    @property
    def sees_everything(self) -> bool:
        """Regulators, the gateway's administrators and registry operators (the custodians of the
        accounts) see every organisation's data."""
        return self.every_role or self.role in (Role.REGULATOR, Role.ADMIN, Role.REGISTRY_OPERATOR)

    @property
    def visible_org(self) -> str | None:
        """The organisation whose data alone this caller sees; None when it sees everything."""
        return None if self.sees_everything else self.org

    @property
    def label(self) -> str:
        return f"{self.role.value}:{self.org}/{self.name}"


PLAINTEXT_CALLER = Caller(role=Role.ADMIN, org="plaintext", name="unauthenticated", every_role=True)


class Access(NamedTuple):
    roles: frozenset[Role]
    changes_state: bool
    scoped: bool = False  # answers only with the caller's organisation's data, unless it sees everything


def _roles(*roles: Role) -> frozenset[Role]:
    return frozenset(roles)


EVERYONE = frozenset(Role)
E, PO, B, REG, OP, ADM = (
    Role.EXCHANGE,
    Role.PROJECT_OWNER,
    Role.BANK,
    Role.REGULATOR,
    Role.REGISTRY_OPERATOR,
    Role.ADMIN,
)
_READERS_OF_TRANSFERS = _roles(E, PO, B, REG, ADM)

# Keyed by the gRPC method path, `/package.Service/Method`.
ACCESS: dict[str, Access] = {
    # RegistryService: what each registry is and holds.
    "/carbon.gateway.v1.RegistryService/ListRegistries": Access(EVERYONE, False),
    "/carbon.gateway.v1.RegistryService/ParseSerial": Access(EVERYONE, False),
    "/carbon.gateway.v1.RegistryService/ListHoldings": Access(_roles(E, PO, B, REG, OP, ADM), False, True),
    "/carbon.gateway.v1.RegistryService/RecordAccountHolder": Access(_roles(OP), True),
    # TransferService: exchanges move units; everyone involved follows them.
    "/carbon.gateway.v1.TransferService/SubmitTransfer": Access(_roles(E), True),
    "/carbon.gateway.v1.TransferService/GetTransfer": Access(_READERS_OF_TRANSFERS, False, True),
    "/carbon.gateway.v1.TransferService/ListTransfers": Access(_READERS_OF_TRANSFERS, False, True),
    "/carbon.gateway.v1.TransferService/WatchTransfer": Access(_READERS_OF_TRANSFERS, False, True),
    "/carbon.gateway.v1.TransferService/SubmitEvidence": Access(_roles(E, PO), True, True),
    "/carbon.gateway.v1.TransferService/ResolveTransfer": Access(_roles(ADM), True),
    # OwnerService: project owners' signed requests; registry operators hold their keys.
    "/carbon.gateway.v1.OwnerService/RegisterOwnerKey": Access(_roles(OP), True),
    "/carbon.gateway.v1.OwnerService/RevokeOwnerKey": Access(_roles(OP), True),
    "/carbon.gateway.v1.OwnerService/ListOwnerKeys": Access(_roles(PO, REG, OP, ADM), False),
    "/carbon.gateway.v1.OwnerService/SubmitSignedTransfer": Access(_roles(PO, E), True),
    # OversightService: anyone may verify a settlement; regulators read the audit log.
    "/carbon.gateway.v1.OversightService/GetSettlementProof": Access(EVERYONE, False),
    "/carbon.gateway.v1.OversightService/GetConsistencyProof": Access(EVERYONE, False),
    "/carbon.gateway.v1.OversightService/GetLatestTreeHead": Access(EVERYONE, False),
    "/carbon.gateway.v1.OversightService/ListAuditEvents": Access(_roles(REG), False),
    "/carbon.gateway.v1.OversightService/GetAuditHead": Access(_roles(REG), False),
    # Regulators reconcile the registries with the ledger and resolve what they find.
    "/carbon.gateway.v1.OversightService/RunReconciliation": Access(_roles(REG), True),
    "/carbon.gateway.v1.OversightService/GetReconciliation": Access(_roles(REG), False),
    "/carbon.gateway.v1.OversightService/GetReconciliationReport": Access(_roles(REG), False),
    "/carbon.gateway.v1.OversightService/ListReconciliations": Access(_roles(REG), False),
    "/carbon.gateway.v1.OversightService/ResolveFinding": Access(_roles(REG), True),
    # FinanceService: banks' financing hooks; the library and enterprise accounts for all who lend.
    "/carbon.gateway.v1.FinanceService/RecordLibraryEntry": Access(_roles(PO, REG, ADM), True),
    "/carbon.gateway.v1.FinanceService/SetLibraryEntryStatus": Access(_roles(REG, ADM), True),
    "/carbon.gateway.v1.FinanceService/LinkLibraryProject": Access(_roles(PO, REG, ADM), True),
    "/carbon.gateway.v1.FinanceService/GetLibraryEntry": Access(_roles(PO, B, REG, ADM), False),
    "/carbon.gateway.v1.FinanceService/ListLibraryEntries": Access(_roles(PO, B, REG, ADM), False),
    "/carbon.gateway.v1.FinanceService/RecordGreenLoan": Access(_roles(B), True),
    "/carbon.gateway.v1.FinanceService/GetGreenLoan": Access(_roles(B, REG, ADM), False, True),
    "/carbon.gateway.v1.FinanceService/ListGreenLoans": Access(_roles(B, REG, ADM), False, True),
    "/carbon.gateway.v1.FinanceService/Pledge": Access(_roles(B), True),
    "/carbon.gateway.v1.FinanceService/ConsentToTransfer": Access(_roles(B), True, True),
    "/carbon.gateway.v1.FinanceService/ReleaseCollateral": Access(_roles(B), True, True),
    "/carbon.gateway.v1.FinanceService/EnforcePledge": Access(_roles(B), True, True),
    "/carbon.gateway.v1.FinanceService/ListPledges": Access(_roles(B, REG, ADM), False, True),
    "/carbon.gateway.v1.FinanceService/OpenRepo": Access(_roles(E, PO, B), True),
    "/carbon.gateway.v1.FinanceService/ConfirmRepurchase": Access(_roles(B), True, True),
    "/carbon.gateway.v1.FinanceService/GetRepo": Access(_roles(E, PO, B, REG, ADM), False, True),
    "/carbon.gateway.v1.FinanceService/GetEnterpriseAccount": Access(_roles(B, REG, ADM), False),
    "/carbon.gateway.v1.FinanceService/OpenPublicBenefitAccount": Access(_roles(B, E, ADM), True),
    "/carbon.gateway.v1.FinanceService/RetireForBeneficiary": Access(_roles(B, E, ADM), True, True),
    "/carbon.gateway.v1.FinanceService/GetRetirementCertificate": Access(EVERYONE, False),
    "/carbon.gateway.v1.FinanceService/CreateSubscription": Access(_roles(B), True),
    "/carbon.gateway.v1.FinanceService/ListSubscriptions": Access(_roles(B, ADM), False, True),
    "/carbon.gateway.v1.FinanceService/ListDeliveries": Access(_roles(B, ADM), False, True),
    "/carbon.gateway.v1.FinanceService/ReplayDeliveries": Access(_roles(B, ADM), True, True),
    "/carbon.gateway.v1.FinanceService/WatchFinanceEvents": Access(_roles(B, ADM), False, True),
    # ComplianceService: checks for those who move units; facts from those who own them.
    "/carbon.gateway.v1.ComplianceService/EvaluateTransfer": Access(_roles(E, PO, B, REG, ADM), False),
    "/carbon.gateway.v1.ComplianceService/ListChecks": Access(EVERYONE, False),
    "/carbon.gateway.v1.ComplianceService/ImportCrosswalk": Access(_roles(OP), True),
    "/carbon.gateway.v1.ComplianceService/ExportCrosswalk": Access(_roles(REG, OP, ADM), False),
    "/carbon.gateway.v1.ComplianceService/RecordAuthorisation": Access(_roles(REG), True),
    "/carbon.gateway.v1.ComplianceService/RecordIssuance": Access(_roles(OP), True),
    "/carbon.gateway.v1.ComplianceService/RecordCreditedGeneration": Access(_roles(OP), True),
    "/carbon.gateway.v1.ComplianceService/RecordGenerationCertificate": Access(_roles(OP), True),
    "/carbon.gateway.v1.ComplianceService/RecordPledge": Access(_roles(B), True),
    "/carbon.gateway.v1.ComplianceService/ReleasePledge": Access(_roles(B), True),
    "/carbon.gateway.v1.ComplianceService/AdvanceCorrespondingAdjustment": Access(_roles(REG), True),
    "/carbon.gateway.v1.ComplianceService/ListFirstTransfers": Access(_roles(REG, ADM), False),
    "/carbon.gateway.v1.ComplianceService/ListUnadjustedUses": Access(_roles(REG, ADM), False),
    "/carbon.gateway.v1.ComplianceService/ExportArticle6Actions": Access(_roles(REG, ADM), False),
    "/carbon.gateway.v1.ComplianceService/GetLineage": Access(_roles(E, B, REG, OP, ADM), False),
    "/carbon.gateway.v1.ComplianceService/ListRulePacks": Access(EVERYONE, False),
    "/carbon.gateway.v1.ComplianceService/RecordCoveredEntity": Access(_roles(REG), True),
    "/carbon.gateway.v1.ComplianceService/ImportCoveredEntities": Access(_roles(REG), True),
}

OPEN_SERVICES = ("grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection")


def is_open(method: str) -> bool:
    """Health checks and reflection need no certificate: load balancers and tools call them."""
    return any(method.startswith(f"/{service}/") for service in OPEN_SERVICES)


_CURRENT_CALLER: ContextVar[Caller] = ContextVar("carbon_gateway_caller", default=PLAINTEXT_CALLER)


def current_caller() -> Caller:
    """The caller of the RPC being served, as the access interceptor authenticated it."""
    return _CURRENT_CALLER.get()


def acting_as(caller: Caller) -> Token[Caller]:
    """Make `caller` the current one for the rest of this call (the interceptor's job)."""
    return _CURRENT_CALLER.set(caller)


def restore(token: Token[Caller]) -> None:
    """Undo `acting_as` when the call ends."""
    _CURRENT_CALLER.reset(token)
