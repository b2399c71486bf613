"""A hostile client's catalogue, over every RPC of the landed contract: each bad input gets a clear refusal.

Each case sends one request (built from a valid one with one thing wrong) and checks
that the status is the right one (INVALID_ARGUMENT unless another code is right),
that the refusal names the field by its full path (google.rpc.BadRequest, or the
PreconditionFailure subject, or ErrorInfo's `field`), that its message shows no
internals and is bounded in size without repeating an oversized input, and that
nothing changed: the ledger's fact and request tables hold as many rows as before,
the probe account's holdings are as they were, and the conftest's conservation check
holds. One gateway serves the whole module; the only setup is one seeded account. The
cases are grouped into one test per RPC (each case still checked on its own, every
failing case listed), so some 500 cases run in seconds.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import grpc
import pytest
import sqlalchemy as sa
from google.protobuf import message_factory, timestamp_pb2
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from domain import paging
from gateway.request_bounds import MAX_REFUSAL
from gateway.required_fields import missing
from gateway.runtime import EmbeddedGateway
from protos.carbon.gateway.v1 import compliance_pb2 as pb
from protos.carbon.gateway.v1 import finance_pb2 as fin
from protos.carbon.gateway.v1 import oversight_pb2, registry_pb2, transfer_pb2
from tests.e2e.client import transfer_request
from tests.e2e.sandbox_admin import SandboxAdmin
from tests.e2e.serials import CcerSerial, ccer_serials
from tests.e2e.test_refusals import _shows_no_internals, _violations

pytestmark = pytest.mark.e2e
INVALID = grpc.StatusCode.INVALID_ARGUMENT
PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION
NOT_FOUND = grpc.StatusCode.NOT_FOUND
OK = grpc.StatusCode.OK
_n = itertools.count(1)

# Tables a request could write to and no saga of another test does: what "nothing stored" counts.
PROBED_TABLES = (
    "transfers",
    "account_holders",
    "crosswalk_entries",
    "article6_authorisations",
    "issuances",
    "credited_generation",
    "generation_certificates",
    "pledges",
    "covered_entities",
    "covered_entity_accounts",
    "verified_emissions",
    "owner_keys",
    "signed_request_nonces",
    "library_entries",
    "library_links",
    "green_loans",
    "repos",
    "public_benefit_accounts",
    "retirements",
    "subscriptions",
    "finance_events",
)
MAX_DETAILS = MAX_REFUSAL + 64  # the refusal's code prefix
# RPCs that could move or lock the probe account's units: their cases also compare its holdings.
MOVES_UNITS = {
    "TransferService/SubmitTransfer",
    "TransferService/ResolveTransfer",
    "TransferService/SubmitEvidence",
    "ComplianceService/EvaluateTransfer",
    "ComplianceService/RecordPledge",
    "FinanceService/Pledge",
    "FinanceService/EnforcePledge",
    "FinanceService/OpenRepo",
    "FinanceService/RetireForBeneficiary",
}


@dataclass(frozen=True)
class World:
    """What the cases refer to: an account holding a block, an open destination, real page tokens."""

    account: str
    held: str  # a CCER block the account holds
    serial: CcerSerial  # more serials of the same project (not held)
    destination: str  # an open account of cn-sz-ets
    registries_token: str  # a next_page_token of ListRegistries
    checks_token: str  # a next_page_token of ListChecks


Build = Callable[[World], Message]


@dataclass(frozen=True)
class Case:
    name: str
    rpc: str  # Service/Method
    build: Build | Callable[[World], bytes]
    code: grpc.StatusCode = INVALID
    field: str | None = None  # the path the refusal must name ("" for the request as a whole)
    raw: bool = False  # `build` gives bytes, sent as they are


def _day(text: str) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromJsonString(f"{text}T00:00:00Z")
    return stamp


def _submit(w: World) -> transfer_pb2.SubmitTransferRequest:
    return transfer_request(
        f"hostile-{w.account}", ("cn-ccer", w.account), ("cn-sz-ets", w.destination), w.held, quantity=10
    )


# A valid request of every RPC that has fields (for those with none, only undecodable bytes are hostile).
BASES: dict[str, Build] = {
    "TransferService/SubmitTransfer": _submit,
    "TransferService/GetTransfer": lambda w: transfer_pb2.GetTransferRequest(transfer_id="hostile-never"),
    "TransferService/ListTransfers": lambda w: transfer_pb2.ListTransfersRequest(
        filter=transfer_pb2.TransferFilter(registry_id="cn-ccer", account_id=w.account)
    ),
    "TransferService/WatchTransfer": lambda w: transfer_pb2.WatchTransferRequest(transfer_id="hostile-never"),
    "TransferService/SubmitEvidence": lambda w: transfer_pb2.SubmitEvidenceRequest(
        transfer_id="hostile-never"
    ),
    "TransferService/ResolveTransfer": lambda w: transfer_pb2.ResolveTransferRequest(
        transfer_id="hostile-never",
        resolution=transfer_pb2.RESOLUTION_RETRY,
        reason="back",
        operator="ops-eve",
    ),
    "RegistryService/ListRegistries": lambda w: registry_pb2.ListRegistriesRequest(),
    "RegistryService/RecordAccountHolder": lambda w: registry_pb2.RecordAccountHolderRequest(
        registry_id="cn-sz-ets", account_id=w.destination, holder_org="Hostile Org"
    ),
    "RegistryService/ParseSerial": lambda w: registry_pb2.ParseSerialRequest(
        registry_id="cn-ccer", serial=w.held
    ),
    "RegistryService/ListHoldings": lambda w: registry_pb2.ListHoldingsRequest(
        registry_id="cn-ccer", account_id=w.account
    ),
    "ComplianceService/EvaluateTransfer": lambda w: pb.EvaluateTransferRequest(transfer=_submit(w)),
    "ComplianceService/ListChecks": lambda w: pb.ListChecksRequest(),
    "ComplianceService/RecordAuthorisation": lambda w: pb.RecordAuthorisationRequest(
        authorisation_id=f"HOSTILE-A-{w.account}",
        host_party="CN",
        authorised_use=pb.AUTHORISED_USE_NDC,
        cooperative_approach_id="CN-SG-01",
        authorised_on=_day("2025-03-01"),
        programme="CCER",
        project_id="1",
        vintage="2024",
    ),
    "ComplianceService/RecordIssuance": lambda w: pb.RecordIssuanceRequest(
        issuance_id=f"HOSTILE-I-{w.account}",
        registry_id="cn-ccer",
        serial=w.held,
        monitoring_start=_day("2024-01-01"),
        monitoring_end=_day("2024-12-31"),
    ),
    "ComplianceService/RecordCreditedGeneration": lambda w: pb.RecordCreditedGenerationRequest(
        issuance_id=f"HOSTILE-G-{w.account}",
        registry_id="cn-ccer",
        serial=w.held,
        plant_id="wind-hostile",
        period_start=_day("2024-01-01"),
        period_end=_day("2024-12-31"),
        generated_mwh=100.0,
        credited_mwh=90.0,
    ),
    "ComplianceService/RecordGenerationCertificate": lambda w: pb.RecordGenerationCertificateRequest(
        certificate_id=f"GEC-{w.account}",
        programme="GEC",
        plant_id="wind-hostile",
        period_start=_day("2024-01-01"),
        period_end=_day("2024-12-31"),
        mwh=10.0,
    ),
    "ComplianceService/RecordPledge": lambda w: pb.RecordPledgeRequest(
        pledge_id=f"PL-{w.account}",
        lender="Shenzhen Green Bank",
        holder=transfer_pb2.AccountRef(registry_id="cn-ccer", account_id=w.account),
        serial=w.held,
    ),
    "ComplianceService/ReleasePledge": lambda w: pb.ReleasePledgeRequest(pledge_id="PL-never"),
    "ComplianceService/AdvanceCorrespondingAdjustment": lambda w: pb.AdvanceCorrespondingAdjustmentRequest(
        transfer_id="hostile-never", state=pb.CORRESPONDING_ADJUSTMENT_PENDING
    ),
    "ComplianceService/ListFirstTransfers": lambda w: pb.ListFirstTransfersRequest(),
    "ComplianceService/ListUnadjustedUses": lambda w: pb.ListUnadjustedUsesRequest(),
    "ComplianceService/ExportArticle6Actions": lambda w: pb.ExportArticle6ActionsRequest(),
    "ComplianceService/GetLineage": lambda w: pb.GetLineageRequest(registry_id="cn-ccer", serial=w.held),
    "ComplianceService/ListRulePacks": lambda w: pb.ListRulePacksRequest(),
    "ComplianceService/RecordCoveredEntity": lambda w: pb.RecordCoveredEntityRequest(
        entity_id=f"entity-{w.account}",
        name="Hostile Steel",
        market="cn-sz-ets",
        accounts=[transfer_pb2.AccountRef(registry_id="cn-sz-ets", account_id=w.destination)],
        verified_emissions=[pb.VerifiedEmissions(year=2025, tonnes=100)],
    ),
    "ComplianceService/ImportCrosswalk": lambda w: pb.ImportCrosswalkRequest(csv=CROSSWALK_HEADER),
    "ComplianceService/ImportCoveredEntities": lambda w: pb.ImportCoveredEntitiesRequest(csv=ENTITIES_HEADER),
    "OversightService/GetSettlementProof": lambda w: oversight_pb2.GetSettlementProofRequest(
        transfer_id="hostile-never"
    ),
    "OversightService/GetConsistencyProof": lambda w: oversight_pb2.GetConsistencyProofRequest(
        from_size=1, to_size=1
    ),
    "OversightService/ListAuditEvents": lambda w: oversight_pb2.ListAuditEventsRequest(),
    "OversightService/RunReconciliation": lambda w: oversight_pb2.RunReconciliationRequest(
        reconciliation_id="hostile-never"
    ),
    "OversightService/GetReconciliation": lambda w: oversight_pb2.GetReconciliationRequest(
        reconciliation_id="hostile-never"
    ),
    "OversightService/GetReconciliationReport": lambda w: oversight_pb2.GetReconciliationReportRequest(
        reconciliation_id="hostile-never", format=oversight_pb2.REPORT_FORMAT_JSON
    ),
    "OversightService/ListReconciliations": lambda w: oversight_pb2.ListReconciliationsRequest(),
    "OversightService/ResolveFinding": lambda w: oversight_pb2.ResolveFindingRequest(
        reconciliation_id="hostile-never", finding_id="hostile-never-00001", note="checked"
    ),
}


def _ccer(account: str) -> transfer_pb2.AccountRef:
    return transfer_pb2.AccountRef(registry_id="cn-ccer", account_id=account)


def _sz(account: str) -> transfer_pb2.AccountRef:
    return transfer_pb2.AccountRef(registry_id="cn-sz-ets", account_id=account)


_CNY = fin.Money(currency_code="CNY", amount="1000.00")
FINANCE_BASES: dict[str, Build] = {
    "FinanceService/RecordLibraryEntry": lambda w: fin.RecordLibraryEntryRequest(
        entry=fin.LibraryEntry(
            entry_id=f"hostile-entry-{w.account}",
            name="Hostile Wind",
            owner_entity="owner-1",
            sector=fin.SECTOR_ENERGY,
            location="CN-GD",
            expected_reductions_t=1000,
            funding_need=_CNY,
        )
    ),
    "FinanceService/SetLibraryEntryStatus": lambda w: fin.SetLibraryEntryStatusRequest(
        entry_id="hostile-never", status=fin.LIBRARY_ENTRY_STATUS_ADMITTED, note="admitted"
    ),
    "FinanceService/LinkLibraryProject": lambda w: fin.LinkLibraryProjectRequest(
        entry_id="hostile-never", project=fin.ProjectRef(programme="CCER", project_id="1")
    ),
    "FinanceService/GetLibraryEntry": lambda w: fin.GetLibraryEntryRequest(entry_id="hostile-never"),
    "FinanceService/ListLibraryEntries": lambda w: fin.ListLibraryEntriesRequest(),
    "FinanceService/RecordGreenLoan": lambda w: fin.RecordGreenLoanRequest(
        loan=fin.GreenLoan(
            loan_id=f"hostile-loan-{w.account}",
            borrower_entity="borrower-1",
            amount=_CNY,
            projects=[fin.ProjectRef(programme="CCER", project_id="1")],
            use_of_proceeds="a wind farm",
            sign_date="2026-01-01",
            maturity_date="2030-01-01",
        )
    ),
    "FinanceService/GetGreenLoan": lambda w: fin.GetGreenLoanRequest(loan_id="hostile-never"),
    "FinanceService/ListGreenLoans": lambda w: fin.ListGreenLoansRequest(),
    "FinanceService/Pledge": lambda w: fin.PledgeRequest(
        pledge_id=f"HP-{w.account}", holder=_ccer(w.account), serial=w.held
    ),
    "FinanceService/ConsentToTransfer": lambda w: fin.ConsentToTransferRequest(
        pledge_id="hostile-never", transfer_id="hostile-never"
    ),
    "FinanceService/ReleaseCollateral": lambda w: fin.ReleaseCollateralRequest(pledge_id="hostile-never"),
    "FinanceService/EnforcePledge": lambda w: fin.EnforcePledgeRequest(
        pledge_id="hostile-never", lender_account=_sz(w.destination)
    ),
    "FinanceService/ListPledges": lambda w: fin.ListPledgesRequest(),
    "FinanceService/OpenRepo": lambda w: fin.OpenRepoRequest(
        repo_id=f"HR-{w.account}",
        seller_account=_ccer(w.account),
        buyer_account=_sz(w.destination),
        buyer="bank",
        serial=w.held,
        repurchase_date="2099-01-01",
    ),
    "FinanceService/ConfirmRepurchase": lambda w: fin.ConfirmRepurchaseRequest(repo_id="hostile-never"),
    "FinanceService/GetRepo": lambda w: fin.GetRepoRequest(repo_id="hostile-never"),
    "FinanceService/GetEnterpriseAccount": lambda w: fin.GetEnterpriseAccountRequest(
        entity_id="hostile-never"
    ),
    "FinanceService/OpenPublicBenefitAccount": lambda w: fin.OpenPublicBenefitAccountRequest(
        account=fin.PublicBenefitAccount(
            account_id=f"hostile-pba-{w.account}",
            kind=fin.BENEFICIARY_KIND_PERSON,
            display_name="Ann",
            holding=_sz(w.destination),
        )
    ),
    "FinanceService/RetireForBeneficiary": lambda w: fin.RetireForBeneficiaryRequest(
        retirement_id=f"hostile-ret-{w.account}", account_id="hostile-never", serial=w.held, reason="a gift"
    ),
    "FinanceService/GetRetirementCertificate": lambda w: fin.GetRetirementCertificateRequest(
        retirement_id="hostile-never", format=fin.CERTIFICATE_FORMAT_JSON
    ),
    "FinanceService/CreateSubscription": lambda w: fin.CreateSubscriptionRequest(
        subscription=fin.Subscription(endpoint_url="https://bank.example/hooks", kinds=["pledge.created"])
    ),
    "FinanceService/ListSubscriptions": lambda w: fin.ListSubscriptionsRequest(),
    "FinanceService/ListDeliveries": lambda w: fin.ListDeliveriesRequest(subscription_id="hostile-never"),
    "FinanceService/ReplayDeliveries": lambda w: fin.ReplayDeliveriesRequest(subscription_id="hostile-never"),
    "FinanceService/WatchFinanceEvents": lambda w: fin.WatchFinanceEventsRequest(kinds=["pledge.created"]),
}
BASES |= FINANCE_BASES
CROSSWALK_HEADER = (
    "programme_a,project_a,programme_b,project_b,period_start,period_end,source_reference,loaded_by"
)
ENTITIES_HEADER = "entity_id,name,market,account,year,verified_emissions_t"
SERVICES = {
    "TransferService": transfer_pb2,
    "RegistryService": registry_pb2,
    "ComplianceService": pb,
    "OversightService": oversight_pb2,
    "FinanceService": fin,
}


def every_rpc() -> list[str]:
    return [
        f"{name}/{method.name}"
        for name, module in SERVICES.items()
        for method in module.DESCRIPTOR.services_by_name[name].methods
    ]


def _method(rpc: str) -> MethodDescriptor:
    service, name = rpc.split("/")
    return SERVICES[service].DESCRIPTOR.services_by_name[service].methods_by_name[name]


def _set(message: Message, path: str, value: object) -> None:
    """Set the field at `path` (`holder.account_id`, `accounts[0].registry_id`) of `message` to `value`."""
    *parents, last = path.split(".")
    cursor = message
    for part in parents:
        name, _, index = part.partition("[")
        cursor = getattr(cursor, name)[int(index.rstrip("]"))] if index else getattr(cursor, name)
    if isinstance(value, list):
        target = getattr(cursor, last)
        del target[:]
        if value and isinstance(value[0], Message):
            for element in value:
                target.add().CopyFrom(element)
        else:
            target.extend(value)
    elif isinstance(value, Message):
        getattr(cursor, last).CopyFrom(value)
    else:
        setattr(cursor, last, value)


def _with(rpc: str, **changes: object) -> Build:
    """The RPC's valid request with `changes` (paths spelled with __ for . and _i for [i])."""
    return _changed(rpc, {k.replace("__", "."): v for k, v in changes.items()})


def _changed(rpc: str, changes: dict[str, object]) -> Build:
    def build(w: World) -> Message:
        message = BASES[rpc](w)
        for path, value in changes.items():
            _set(message, path, value(w) if callable(value) else value)
        return message

    return build


# Hostile strings, by name; every id field refuses each of them.
HOSTILE = {
    "sql": "'; DROP TABLE transfers; --",
    "path-traversal": "../../etc/passwd",
    "format-string": "%s%n{0}",
    "bidi-override": "acct\u202eevil",
    "zero-width": "ac\u200bct",
    "combining-mark": "acct\u0301",
    "emoji": "acct\U0001f600",
    "nul": "acct\x00",
    "blank": "   ",
    "oversize": "a" * 10_000,
}
FEW = ("sql", "bidi-override", "nul", "oversize")
# What no bound admits: for a field read only after a lookup (a serial of an account's registry) or
# never (a deprecated RPC refuses whatever it is sent).
UNREADABLE = ("bidi-override", "nul", "oversize")
# Free text takes any script and punctuation; it refuses what forges logs or reorders reading.
TEXT_REFUSED = {
    "nul": "bank\x00",
    "newline": "bank\nFORGED LOG LINE",
    "bidi-override": "\u202ebank",
    "blank": "   ",
    "oversize": "b" * 10_000,
}

# (rpc, field path, which hostile strings): every string field of every request.
STRING_FIELDS: list[tuple[str, str, tuple[str, ...]]] = [
    ("TransferService/SubmitTransfer", "transfer_id", tuple(HOSTILE)),
    ("TransferService/SubmitTransfer", "source.registry_id", FEW),
    ("TransferService/SubmitTransfer", "source.account_id", tuple(HOSTILE)),
    ("TransferService/SubmitTransfer", "destination.registry_id", FEW),
    ("TransferService/SubmitTransfer", "destination.account_id", FEW),
    ("TransferService/SubmitTransfer", "serial", tuple(HOSTILE)),
    ("TransferService/GetTransfer", "transfer_id", FEW),
    ("TransferService/ListTransfers", "filter.registry_id", FEW),
    ("TransferService/ListTransfers", "filter.account_id", FEW),
    ("TransferService/ListTransfers", "page_token", tuple(HOSTILE)),
    ("TransferService/WatchTransfer", "transfer_id", FEW),
    ("TransferService/SubmitEvidence", "transfer_id", FEW),
    ("TransferService/ResolveTransfer", "transfer_id", FEW),
    ("TransferService/ResolveTransfer", "operator", FEW),
    ("RegistryService/ListRegistries", "page_token", FEW),
    ("RegistryService/ParseSerial", "registry_id", FEW),
    ("RegistryService/ParseSerial", "serial", FEW),
    ("RegistryService/ListHoldings", "registry_id", FEW),
    ("RegistryService/ListHoldings", "account_id", tuple(HOSTILE)),
    ("RegistryService/ListHoldings", "page_token", FEW),
    ("RegistryService/RecordAccountHolder", "registry_id", FEW),
    ("RegistryService/RecordAccountHolder", "account_id", FEW),
    ("ComplianceService/EvaluateTransfer", "transfer.transfer_id", FEW),
    ("ComplianceService/EvaluateTransfer", "transfer.source.account_id", FEW),
    ("ComplianceService/EvaluateTransfer", "transfer.serial", FEW),
    ("ComplianceService/ListChecks", "page_token", FEW),
    ("ComplianceService/RecordAuthorisation", "authorisation_id", tuple(HOSTILE)),
    ("ComplianceService/RecordAuthorisation", "host_party", tuple(HOSTILE)),
    ("ComplianceService/RecordAuthorisation", "cooperative_approach_id", FEW),
    ("ComplianceService/RecordAuthorisation", "programme", FEW),
    ("ComplianceService/RecordAuthorisation", "project_id", FEW),
    ("ComplianceService/RecordAuthorisation", "vintage", FEW),
    ("ComplianceService/RecordAuthorisation", "registry_id", FEW),
    ("ComplianceService/RecordIssuance", "issuance_id", FEW),
    ("ComplianceService/RecordIssuance", "registry_id", FEW),
    ("ComplianceService/RecordIssuance", "serial", FEW),
    ("ComplianceService/RecordCreditedGeneration", "issuance_id", FEW),
    ("ComplianceService/RecordCreditedGeneration", "registry_id", FEW),
    ("ComplianceService/RecordCreditedGeneration", "serial", FEW),
    ("ComplianceService/RecordCreditedGeneration", "plant_id", FEW),
    ("ComplianceService/RecordGenerationCertificate", "certificate_id", FEW),
    ("ComplianceService/RecordGenerationCertificate", "programme", FEW),
    ("ComplianceService/RecordGenerationCertificate", "plant_id", FEW),
    ("ComplianceService/RecordPledge", "pledge_id", FEW),
    ("ComplianceService/RecordPledge", "holder.registry_id", FEW),
    ("ComplianceService/RecordPledge", "holder.account_id", tuple(HOSTILE)),
    ("ComplianceService/RecordPledge", "serial", UNREADABLE),
    ("ComplianceService/ReleasePledge", "pledge_id", FEW),
    ("ComplianceService/AdvanceCorrespondingAdjustment", "transfer_id", FEW),
    ("ComplianceService/ListFirstTransfers", "page_token", FEW),
    ("ComplianceService/ListUnadjustedUses", "page_token", FEW),
    ("ComplianceService/GetLineage", "registry_id", FEW),
    ("ComplianceService/GetLineage", "serial", FEW),
    ("ComplianceService/GetLineage", "page_token", FEW),
    ("ComplianceService/ListRulePacks", "page_token", FEW),
    ("ComplianceService/RecordCoveredEntity", "entity_id", FEW),
    ("ComplianceService/RecordCoveredEntity", "market", FEW),
    ("ComplianceService/RecordCoveredEntity", "accounts[0].registry_id", FEW),
    ("ComplianceService/RecordCoveredEntity", "accounts[0].account_id", FEW),
    ("OversightService/GetSettlementProof", "transfer_id", FEW),
    ("OversightService/ListAuditEvents", "filter.method", FEW),
    ("OversightService/ListAuditEvents", "filter.outcome", FEW),
    ("OversightService/ListAuditEvents", "page_token", FEW),
    ("OversightService/RunReconciliation", "reconciliation_id", tuple(HOSTILE)),
    ("OversightService/GetReconciliation", "reconciliation_id", FEW),
    ("OversightService/GetReconciliationReport", "reconciliation_id", FEW),
    ("OversightService/ResolveFinding", "reconciliation_id", FEW),
    ("OversightService/ResolveFinding", "finding_id", FEW),
    ("FinanceService/RecordLibraryEntry", "entry.entry_id", tuple(HOSTILE)),
    ("FinanceService/RecordLibraryEntry", "entry.location", FEW),
    ("FinanceService/RecordLibraryEntry", "entry.funding_need.currency_code", FEW),
    ("FinanceService/RecordLibraryEntry", "entry.funding_need.amount", FEW),
    ("FinanceService/SetLibraryEntryStatus", "entry_id", FEW),
    ("FinanceService/LinkLibraryProject", "entry_id", FEW),
    ("FinanceService/LinkLibraryProject", "project.programme", FEW),
    ("FinanceService/LinkLibraryProject", "project.project_id", FEW),
    ("FinanceService/GetLibraryEntry", "entry_id", FEW),
    ("FinanceService/ListLibraryEntries", "page_token", FEW),
    ("FinanceService/RecordGreenLoan", "loan.loan_id", FEW),
    ("FinanceService/RecordGreenLoan", "loan.amount.currency_code", FEW),
    ("FinanceService/RecordGreenLoan", "loan.amount.amount", FEW),
    ("FinanceService/RecordGreenLoan", "loan.projects[0].project_id", FEW),
    ("FinanceService/RecordGreenLoan", "loan.sign_date", FEW),
    ("FinanceService/RecordGreenLoan", "loan.maturity_date", FEW),
    ("FinanceService/GetGreenLoan", "loan_id", FEW),
    ("FinanceService/ListGreenLoans", "page_token", FEW),
    ("FinanceService/Pledge", "pledge_id", tuple(HOSTILE)),
    ("FinanceService/Pledge", "holder.registry_id", FEW),
    ("FinanceService/Pledge", "holder.account_id", tuple(HOSTILE)),
    ("FinanceService/Pledge", "serial", FEW),
    ("FinanceService/Pledge", "loan_id", FEW),
    ("FinanceService/ConsentToTransfer", "pledge_id", FEW),
    ("FinanceService/ConsentToTransfer", "transfer_id", FEW),
    ("FinanceService/ReleaseCollateral", "pledge_id", FEW),
    ("FinanceService/EnforcePledge", "pledge_id", FEW),
    ("FinanceService/EnforcePledge", "lender_account.account_id", FEW),
    ("FinanceService/ListPledges", "page_token", FEW),
    ("FinanceService/OpenRepo", "repo_id", FEW),
    ("FinanceService/OpenRepo", "seller_account.account_id", FEW),
    ("FinanceService/OpenRepo", "buyer_account.registry_id", FEW),
    ("FinanceService/OpenRepo", "serial", FEW),
    ("FinanceService/OpenRepo", "repurchase_date", FEW),
    ("FinanceService/ConfirmRepurchase", "repo_id", FEW),
    ("FinanceService/GetRepo", "repo_id", FEW),
    ("FinanceService/GetEnterpriseAccount", "entity_id", FEW),
    ("FinanceService/OpenPublicBenefitAccount", "account.account_id", FEW),
    ("FinanceService/OpenPublicBenefitAccount", "account.holding.account_id", FEW),
    ("FinanceService/RetireForBeneficiary", "retirement_id", FEW),
    ("FinanceService/RetireForBeneficiary", "account_id", FEW),
    ("FinanceService/RetireForBeneficiary", "serial", UNREADABLE),
    ("FinanceService/GetRetirementCertificate", "retirement_id", FEW),
    ("FinanceService/CreateSubscription", "subscription.endpoint_url", FEW),
    ("FinanceService/ListDeliveries", "subscription_id", FEW),
    ("FinanceService/ListDeliveries", "page_token", FEW),
    ("FinanceService/ReplayDeliveries", "subscription_id", FEW),
]
TEXT_FIELDS = [
    ("TransferService/ResolveTransfer", "reason"),
    ("ComplianceService/RecordAuthorisation", "mitigation_type"),
    ("ComplianceService/RecordPledge", "lender"),
    ("ComplianceService/RecordCoveredEntity", "name"),
    ("FinanceService/RecordLibraryEntry", "entry.name"),
    ("FinanceService/RecordLibraryEntry", "entry.owner_entity"),
    ("FinanceService/RecordGreenLoan", "loan.borrower_entity"),
    ("FinanceService/SetLibraryEntryStatus", "note"),
    ("FinanceService/RecordGreenLoan", "loan.use_of_proceeds"),
    ("FinanceService/OpenPublicBenefitAccount", "account.display_name"),
    ("FinanceService/RetireForBeneficiary", "reason"),
    ("OversightService/ResolveFinding", "note"),
]


def _short(rpc: str) -> str:
    return rpc.split("/")[1]


def string_cases() -> list[Case]:
    cases = [
        Case(f"{_short(rpc)}-{path}-{kind}", rpc, _changed(rpc, {path: HOSTILE[kind]}), field=path)
        for rpc, path, kinds in STRING_FIELDS
        for kind in kinds
    ]
    cases += [
        Case(f"{_short(rpc)}-{path}-{kind}", rpc, _changed(rpc, {path: value}), field=path)
        for rpc, path in TEXT_FIELDS
        for kind, value in TEXT_REFUSED.items()
    ]
    organisations = [
        ("OversightService/ListAuditEvents", "filter.org"),
        ("RegistryService/RecordAccountHolder", "holder_org"),
    ]
    refused_orgs = {"nul": "org\x00", "newline": "org\n", "padded": " org", "oversize": "o" * 10_000}
    cases += [
        Case(f"{_short(rpc)}-{path}-{kind}", rpc, _changed(rpc, {path: value}), field=path)
        for rpc, path in organisations
        for kind, value in refused_orgs.items()
    ]
    return cases


# A serial naming unit numbers a signed 64-bit integer cannot hold, or a block of more units than one holds.
HUGE_SERIALS = {
    "20-digit-units": "CCER-CN-100001-2024-3-1-99999999999999999999",
    "int64-overflowing-block": "CCER-CN-100001-2024-3-0-9223372036854775807",
}
SERIAL_FIELDS = [
    ("TransferService/SubmitTransfer", "serial"),
    ("RegistryService/ParseSerial", "serial"),
    ("ComplianceService/EvaluateTransfer", "transfer.serial"),
    ("ComplianceService/RecordIssuance", "serial"),
    ("ComplianceService/RecordCreditedGeneration", "serial"),
    ("ComplianceService/GetLineage", "serial"),
    ("FinanceService/Pledge", "serial"),
    ("FinanceService/OpenRepo", "serial"),
]


def serial_cases() -> list[Case]:
    cases = [
        Case(f"{_short(rpc)}-{path}-{kind}", rpc, _changed(rpc, {path: serial}), field=path)
        for rpc, path in SERIAL_FIELDS
        for kind, serial in HUGE_SERIALS.items()
    ]
    authorise = "ComplianceService/RecordAuthorisation"
    for kind, serial in HUGE_SERIALS.items():
        block = {"programme": "", "project_id": "", "vintage": "", "registry_id": "cn-ccer", "serial": serial}
        cases.append(
            Case(f"RecordAuthorisation-serial-{kind}", authorise, _changed(authorise, block), field="serial")
        )
    return cases


LISTINGS = {
    "TransferService/ListTransfers": "transfers",
    "RegistryService/ListRegistries": "registries",
    "RegistryService/ListHoldings": "holdings",
    "ComplianceService/ListChecks": "checks",
    "ComplianceService/ListFirstTransfers": "first-transfers",
    "ComplianceService/ListUnadjustedUses": "unadjusted-uses",
    "ComplianceService/GetLineage": "lineage",
    "ComplianceService/ListRulePacks": "rule-packs",
    "OversightService/ListAuditEvents": "audit_events",
    "OversightService/ListReconciliations": "reconciliations",
}


def _foreign(rpc: str) -> Callable[[World], str]:
    """A real token of another listing (ListChecks' own test gets one of ListRegistries)."""
    return lambda w: w.registries_token if rpc == "ComplianceService/ListChecks" else w.checks_token


def token_cases() -> list[Case]:
    cases: list[Case] = []
    for rpc in LISTINGS:
        tokens: dict[str, object] = {
            "garbage": "not a token!",
            "truncated": lambda w: w.checks_token[:-4],
            "foreign": _foreign(rpc),
            "very-long": "A" * 50_000,
        }
        cases += [
            Case(
                f"{_short(rpc)}-page_token-{kind}",
                rpc,
                _changed(rpc, {"page_token": token}),
                field="page_token",
            )
            for kind, token in tokens.items()
        ]
        cases.append(
            Case(f"{_short(rpc)}-page_size-negative", rpc, _with(rpc, page_size=-1), field="page_size")
        )
    # Tokens carry no secret, so anyone can forge one: a moment at the calendar's edge must not reach a query.
    listing = {"states": "*", "registry_id": "*", "account_id": "*"}
    for kind, moment in (
        ("far-future", "9999-12-31T23:59:59-23:59"),
        ("far-past", "0001-01-01T00:00:00+23:59"),
    ):
        forged = paging.issue("transfers", listing, (moment, "t"))
        build = _changed(
            "TransferService/ListTransfers", {"filter": transfer_pb2.TransferFilter(), "page_token": forged}
        )
        cases.append(
            Case(
                f"ListTransfers-page_token-forged-{kind}",
                "TransferService/ListTransfers",
                build,
                field="page_token",
            )
        )
    return cases


def enum_cases() -> list[Case]:
    submit, resolve = "TransferService/SubmitTransfer", "TransferService/ResolveTransfer"
    listing, export = "TransferService/ListTransfers", "ComplianceService/ExportArticle6Actions"
    return [
        Case("SubmitTransfer-purpose-99", submit, _with(submit, purpose=99), field="purpose"),
        Case("SubmitTransfer-purpose-negative", submit, _with(submit, purpose=-1), field="purpose"),
        Case(
            "EvaluateTransfer-transfer.purpose-99",
            "ComplianceService/EvaluateTransfer",
            _with("ComplianceService/EvaluateTransfer", transfer__purpose=42),
            field="transfer.purpose",
        ),
        Case(
            "ListTransfers-states-99", listing, _with(listing, filter__states=[99]), field="filter.states[0]"
        ),
        Case(
            "ListTransfers-states-unspecified",
            listing,
            _with(listing, filter__states=[0]),
            field="filter.states[0]",
        ),
        Case(
            "ListTransfers-states-second-unknown",
            listing,
            _with(listing, filter__states=[1, 42]),
            field="filter.states[1]",
        ),
        Case(
            "ListTransfers-states-too-many",
            listing,
            _with(listing, filter__states=[1] * 17),
            field="filter.states",
        ),
        Case("ResolveTransfer-resolution-99", resolve, _with(resolve, resolution=99), field="resolution"),
        *(
            Case(f"{_short(rpc)}-{path}-99", rpc, _changed(rpc, {path: 99}), field=path)
            for rpc, path in (
                ("FinanceService/RecordLibraryEntry", "entry.sector"),
                ("FinanceService/SetLibraryEntryStatus", "status"),
                ("FinanceService/ListLibraryEntries", "status"),
                ("FinanceService/OpenPublicBenefitAccount", "account.kind"),
                ("FinanceService/GetRetirementCertificate", "format"),
                ("FinanceService/ListDeliveries", "state"),
            )
        ),
        *(
            Case(f"{_short(rpc)}-{path}-negative", rpc, _changed(rpc, {path: -1}), field=path)
            for rpc, path in (
                ("FinanceService/Pledge", "quantity"),
                ("FinanceService/OpenRepo", "repurchase_quantity"),
                ("FinanceService/RecordLibraryEntry", "entry.expected_reductions_t"),
                ("FinanceService/WatchFinanceEvents", "after_offset"),
            )
        ),
        Case(
            "WatchFinanceEvents-unknown-kind",
            "FinanceService/WatchFinanceEvents",
            _with("FinanceService/WatchFinanceEvents", kinds=["pledge.stolen"]),
            field="kinds[0]",
        ),
        Case(
            "RecordAuthorisation-authorised_use-99",
            "ComplianceService/RecordAuthorisation",
            _with("ComplianceService/RecordAuthorisation", authorised_use=99),
            field="authorised_use",
        ),
        Case(
            "AdvanceCorrespondingAdjustment-state-99",
            "ComplianceService/AdvanceCorrespondingAdjustment",
            _with("ComplianceService/AdvanceCorrespondingAdjustment", state=99),
            field="state",
        ),
        Case("ExportArticle6Actions-format-99", export, _with(export, format=99), field="format"),
        Case("ExportArticle6Actions-format-negative", export, _with(export, format=-7), field="format"),
    ]


def _moment(seconds: int, nanos: int = 0) -> timestamp_pb2.Timestamp:
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)


def number_cases() -> list[Case]:
    submit, evaluate = "TransferService/SubmitTransfer", "ComplianceService/EvaluateTransfer"
    generation, certificate = (
        "ComplianceService/RecordCreditedGeneration",
        "ComplianceService/RecordGenerationCertificate",
    )
    entity, proof = "ComplianceService/RecordCoveredEntity", "OversightService/GetConsistencyProof"
    authorise, issuance = "ComplianceService/RecordAuthorisation", "ComplianceService/RecordIssuance"
    audit = "OversightService/ListAuditEvents"
    noon = _moment(1_740_787_200 + 43_200)  # 2025-03-01T12:00:00Z
    return [
        Case("SubmitTransfer-quantity-zero", submit, _with(submit, quantity=0), field="quantity"),
        Case("SubmitTransfer-quantity-negative", submit, _with(submit, quantity=-1), field="quantity"),
        Case("SubmitTransfer-quantity-above-block", submit, _with(submit, quantity=101), field="quantity"),
        Case(
            "SubmitTransfer-compliance_year-1",
            submit,
            _with(submit, compliance_year=1),
            field="compliance_year",
        ),
        Case(
            "SubmitTransfer-compliance_year-99999",
            submit,
            _with(submit, compliance_year=99_999),
            field="compliance_year",
        ),
        Case(
            "EvaluateTransfer-quantity-min-int64",
            evaluate,
            _with(evaluate, transfer__quantity=-(2**63)),
            field="transfer.quantity",
        ),
        Case(
            "RecordCreditedGeneration-generated_mwh-nan",
            generation,
            _with(generation, generated_mwh=math.nan),
            field="generated_mwh",
        ),
        Case(
            "RecordCreditedGeneration-generated_mwh-inf",
            generation,
            _with(generation, generated_mwh=math.inf),
            field="generated_mwh",
        ),
        Case(
            "RecordCreditedGeneration-credited_mwh-negative",
            generation,
            _with(generation, credited_mwh=-1.0),
            field="credited_mwh",
        ),
        Case(
            "RecordCreditedGeneration-credited-above-generated",
            generation,
            _with(generation, credited_mwh=1e6),
            field="credited_mwh",
        ),
        Case(
            "RecordGenerationCertificate-mwh-nan", certificate, _with(certificate, mwh=math.nan), field="mwh"
        ),
        Case(
            "RecordGenerationCertificate-mwh-minus-inf",
            certificate,
            _with(certificate, mwh=-math.inf),
            field="mwh",
        ),
        Case(
            "RecordGenerationCertificate-mwh-1e300", certificate, _with(certificate, mwh=1e300), field="mwh"
        ),
        Case(
            "RecordCoveredEntity-year-3000",
            entity,
            _with(entity, verified_emissions=[pb.VerifiedEmissions(year=3000, tonnes=1)]),
            field="verified_emissions[0].year",
        ),
        Case(
            "RecordCoveredEntity-tonnes-negative",
            entity,
            _with(entity, verified_emissions=[pb.VerifiedEmissions(year=2025, tonnes=-1)]),
            field="verified_emissions[0].tonnes",
        ),
        Case(
            "RecordCoveredEntity-accounts-too-many",
            entity,
            _with(entity, accounts=[transfer_pb2.AccountRef(registry_id="cn-sz-ets", account_id="a")] * 101),
            field="accounts",
        ),
        Case(
            "RecordCoveredEntity-years-too-many",
            entity,
            _with(entity, verified_emissions=[pb.VerifiedEmissions(year=2025, tonnes=1)] * 301),
            field="verified_emissions",
        ),
        Case("GetConsistencyProof-from_size-negative", proof, _with(proof, from_size=-1), field="from_size"),
        Case("GetConsistencyProof-to_size-min-int64", proof, _with(proof, to_size=-(2**63)), field="to_size"),
        Case(
            "RecordAuthorisation-authorised_on-year-10000",
            authorise,
            _with(authorise, authorised_on=_moment(253_402_300_800)),
            field="authorised_on.seconds",
        ),
        Case(
            "RecordAuthorisation-authorised_on-noon",
            authorise,
            _with(authorise, authorised_on=noon),
            field="authorised_on",
        ),
        Case(
            "RecordIssuance-monitoring_end-negative-nanos",
            issuance,
            _with(issuance, monitoring_end=_moment(0, -1)),
            field="monitoring_end.nanos",
        ),
        Case(
            "RecordIssuance-monitoring_end-before-start",
            issuance,
            _with(issuance, monitoring_end=_day("2023-12-31")),
            field="monitoring_end",
        ),
        Case(
            "ListAuditEvents-start_time-before-year-1",
            audit,
            _with(audit, filter__start_time=_moment(-62_135_596_801)),
            field="filter.start_time.seconds",
        ),
    ]


def _csv_build(rpc: str, text: str) -> Build:
    return _changed(rpc, {"csv": text})


def csv_cases() -> list[Case]:
    crosswalk, entities = "ComplianceService/ImportCrosswalk", "ComplianceService/ImportCoveredEntities"
    big = "1" * 131_073  # one character past the csv module's field limit
    row = "CCER,1,VCS,2,,,ref,reg"
    rows = {
        "bad-quoting": 'CCER,"1"x,VCS,2,,,ref,reg',
        "unclosed-quote": 'CCER,"1,VCS,2,,,ref,reg',
        "field-over-128KiB": f"CCER,{big},VCS,2,,,ref,reg",
        "project-over-128-characters": f"CCER,{'1' * 200},VCS,2,,,ref,reg",
        "too-few-fields": "CCER,1,VCS",
        "too-many-fields": row + ",extra",
        "10k-character-date": f"CCER,1,VCS,2,{'9' * 10_000},2020-01-01,ref,reg",
    }
    cases = [
        Case(
            f"ImportCrosswalk-{kind}",
            crosswalk,
            _csv_build(crosswalk, f"{CROSSWALK_HEADER}\n{row}\n{bad}\n"),
            field="csv",
        )
        for kind, bad in rows.items()
    ]
    cases.append(Case("ImportCrosswalk-no-header", crosswalk, _csv_build(crosswalk, f"{row}\n"), field="csv"))
    good = "SZ-H1,Hostile Steel,cn-sz-ets,,2025,100"
    entity_rows = {
        "bad-quoting": 'SZ-H2,"Steel"x,cn-sz-ets,,2025,100',
        "unclosed-quote": 'SZ-H2,"Steel,cn-sz-ets,,2025,100',
        "field-over-128KiB": f"SZ-H2,{big},cn-sz-ets,,2025,100",
        "bidi-entity-id": "\u202eSZ-H2,Steel,cn-sz-ets,,2025,100",
        "oversize-entity-id": f"{'E' * 10_000},Steel,cn-sz-ets,,2025,100",
        "blank-name": "SZ-H2,   ,cn-sz-ets,,2025,100",
        "16-digit-tonnes": "SZ-H2,Steel,cn-sz-ets,,2025,1234567890123456",
        "account-without-registry": "SZ-H2,Steel,cn-sz-ets,nocolon,,",
        "too-few-fields": "SZ-H2,Steel",
    }
    cases += [
        Case(
            f"ImportCoveredEntities-{kind}",
            entities,
            _csv_build(entities, f"{ENTITIES_HEADER}\n{good}\n{bad}\n"),
            field="csv",
        )
        for kind, bad in entity_rows.items()
    ]
    return cases


def missing_cases() -> list[Case]:
    """An empty request to every RPC that requires something names its first required field."""
    cases = []
    for rpc in every_rpc():
        if rpc not in BASES:
            continue
        method = _method(rpc)
        empty = message_factory.GetMessageClass(method.input_type)()
        named = missing(empty)
        if named:
            cases.append(Case(f"{_short(rpc)}-empty-request", rpc, lambda w, e=empty: e, field=named[0]))
    holdings = "RegistryService/ListHoldings"
    cases += [
        Case(
            "ListHoldings-account_id-set-but-empty",
            holdings,
            _with(holdings, account_id=""),
            field="account_id",
        ),
        Case(
            "SubmitTransfer-source-empty",
            "TransferService/SubmitTransfer",
            _with("TransferService/SubmitTransfer", source=transfer_pb2.AccountRef()),
            field="source.registry_id",
        ),
        Case(
            "RecordAuthorisation-host_party-ZZ",
            "ComplianceService/RecordAuthorisation",
            _with("ComplianceService/RecordAuthorisation", host_party="ZZ"),
            field="host_party",
        ),
        Case(
            "RecordAuthorisation-host_party-lowercase",
            "ComplianceService/RecordAuthorisation",
            _with("ComplianceService/RecordAuthorisation", host_party="cn"),
            field="host_party",
        ),
    ]
    return cases


def domain_cases() -> list[Case]:
    """Well-formed requests the world refuses: the right code, and injection strings stay inert."""
    pledge, resolve = "FinanceService/Pledge", "TransferService/ResolveTransfer"
    audit = "OversightService/ListAuditEvents"
    sql = HOSTILE["sql"]
    return [
        Case(
            "Pledge-block-not-held",
            pledge,
            _with(pledge, serial=lambda w: w.serial(5_001, 5_100)),
            PRECONDITION,
            "serial",
        ),
        Case(
            "Pledge-part-beyond-the-block",
            pledge,
            _with(pledge, serial=lambda w: w.serial(50, 150)),
            PRECONDITION,
            "serial",
        ),
        Case(
            "Pledge-holder-holds-nothing",
            pledge,
            _with(pledge, holder__account_id="hostile-nobody"),
            PRECONDITION,
            "holder.account_id",
        ),
        Case(
            "Pledge-unknown-loan",
            pledge,
            _with(pledge, loan_id="hostile-never"),
            NOT_FOUND,
        ),
        Case(
            "RecordPledge-moved-to-the-bank-s-own-door",
            "ComplianceService/RecordPledge",
            _with("ComplianceService/RecordPledge", lender=sql),
            PRECONDITION,
        ),
        Case(
            "ResolveTransfer-sql-reason-is-inert",
            resolve,
            _with(resolve, reason=sql),
            NOT_FOUND,
            "transfer_id",
        ),
        Case(
            "GetTransfer-well-formed-unknown",
            "TransferService/GetTransfer",
            BASES["TransferService/GetTransfer"],
            NOT_FOUND,
            "transfer_id",
        ),
        Case(
            "ReleasePledge-moved-to-the-bank-s-own-door",
            "ComplianceService/ReleasePledge",
            BASES["ComplianceService/ReleasePledge"],
            PRECONDITION,
        ),
        Case(
            "ReleaseCollateral-well-formed-unknown",
            "FinanceService/ReleaseCollateral",
            BASES["FinanceService/ReleaseCollateral"],
            NOT_FOUND,  # names the pledge in ResourceInfo, not a field
        ),
        Case(
            "CreateSubscription-plain-http-to-another-host",
            "FinanceService/CreateSubscription",
            _with(
                "FinanceService/CreateSubscription", subscription__endpoint_url="http://bank.example/hooks"
            ),
            INVALID,
            "subscription.endpoint_url",
        ),
        Case("ListAuditEvents-sql-org-is-inert", audit, _with(audit, filter__org=sql), OK),
        Case(
            "ListAuditEvents-unknown-outcome",
            audit,
            _with(audit, filter__outcome="NOT_A_CODE"),
            INVALID,
            "filter.outcome",
        ),
    ]


GARBAGE = b"\xff\xff\xff\xff\xff"


def garbage_cases() -> list[Case]:
    """Bytes that are no message at all, to every RPC of the contract."""
    return [
        Case(f"{_short(rpc)}-undecodable-bytes", rpc, lambda w: GARBAGE, field="", raw=True)
        for rpc in every_rpc()
    ]


CASES = (
    string_cases()
    + serial_cases()
    + token_cases()
    + enum_cases()
    + number_cases()
    + csv_cases()
    + missing_cases()
    + domain_cases()
    + garbage_cases()
)


@pytest.fixture(scope="module")
async def world(gateway: EmbeddedGateway, channel: grpc.aio.Channel):
    """One account holding a CCER block and an open destination, seeded once for every case."""
    admin = SandboxAdmin(gateway.sandbox_url)
    account = f"hostile-{next(_n)}"
    serial = ccer_serials()
    held = serial(1, 100)
    await admin.seed("cn-ccer", account, held)
    await admin.open_account("cn-sz-ets", f"{account}-dest")
    await admin.aclose()
    registries = await _call(
        channel, "RegistryService/ListRegistries", registry_pb2.ListRegistriesRequest(page_size=1)
    )
    checks = await _call(channel, "ComplianceService/ListChecks", pb.ListChecksRequest(page_size=1))
    assert registries.next_page_token and checks.next_page_token
    yield World(account, held, serial, f"{account}-dest", registries.next_page_token, checks.next_page_token)


@pytest.fixture(scope="module")
def ledger_engine(gateway: EmbeddedGateway):
    engine = sa.create_engine(gateway.settings.resolved_ledger_url())
    yield engine
    engine.dispose()


def _footprint(engine: sa.Engine) -> dict[str, int]:
    """Rows in every probed table, read in one statement."""
    counts = ", ".join(f"(SELECT count(*) FROM {table})" for table in PROBED_TABLES)
    with engine.connect() as connection:
        row = connection.execute(sa.text(f"SELECT {counts}")).one()
    return dict(zip(PROBED_TABLES, row, strict=True))


async def _call(channel: grpc.aio.Channel, rpc: str, request: Message | bytes) -> Message:
    method = _method(rpc)
    path = f"/{method.containing_service.full_name}/{method.name}"
    reply = message_factory.GetMessageClass(method.output_type)
    serialise = (lambda raw: raw) if isinstance(request, bytes) else type(request).SerializeToString
    if method.server_streaming:
        stream = channel.unary_stream(
            path, request_serializer=serialise, response_deserializer=reply.FromString
        )
        return [update async for update in stream(request, timeout=10)]  # type: ignore[return-value]
    unary = channel.unary_unary(path, request_serializer=serialise, response_deserializer=reply.FromString)
    return await unary(request, timeout=10)


def _fields_named(error: grpc.aio.AioRpcError) -> list[str]:
    """Every field path the refusal names: BadRequest, PreconditionFailure, and ErrorInfo's `field`."""
    named = [field for field, _ in _violations(error)]
    status = rpc_status.from_call(error)
    assert status is not None
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info) and "field" in info.metadata:
            named.append(info.metadata["field"])
    return named


def _long_strings(message: Message | bytes) -> list[str]:
    if isinstance(message, bytes):
        return []
    found = []
    for field, value in message.ListFields():
        for one in value if field.is_repeated else [value]:
            if isinstance(one, Message):
                found += _long_strings(one)
            elif isinstance(one, str) and len(one) > 100:
                found.append(one)
    return found


_CLASS_NAME = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception)\b")


def _check_refusal(case: Case, error: grpc.aio.AioRpcError, sent: Message | bytes) -> None:
    assert error.code() == case.code, f"{case.name}: {error.code()} {error.details()}"
    details = error.details() or ""
    if case.field is not None:
        assert case.field in _fields_named(error), f"{case.name}: names {_fields_named(error)}: {details}"
    _shows_no_internals(error)
    assert not _CLASS_NAME.search(details), details
    assert len(details) <= MAX_DETAILS, f"{case.name}: {len(details)} characters"
    for long in _long_strings(sent):
        assert long[:100] not in details, f"{case.name}: an oversized input was echoed"


async def _holdings(channel: grpc.aio.Channel, world: World) -> list[Message]:
    shown = []
    for registry_id, account_id in (("cn-ccer", world.account), ("cn-sz-ets", world.destination)):
        request = registry_pb2.ListHoldingsRequest(registry_id=registry_id, account_id=account_id)
        shown.append(await _call(channel, "RegistryService/ListHoldings", request))
    return shown


async def _one(case: Case, channel: grpc.aio.Channel, world: World, engine: sa.Engine) -> None:
    before = await asyncio.to_thread(_footprint, engine)
    books = await _holdings(channel, world) if case.rpc in MOVES_UNITS else None
    sent = case.build(world)
    if case.code is OK:
        await _call(channel, case.rpc, sent)
    else:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await _call(channel, case.rpc, sent)
        _check_refusal(case, refused.value, sent)
    assert await asyncio.to_thread(_footprint, engine) == before, f"{case.name} stored something"
    if books is not None:
        assert await _holdings(channel, world) == books, f"{case.name} moved units"


# One test per RPC runs that RPC's cases in turn (each checked on its own), inside one conservation check.
BY_RPC: dict[str, list[Case]] = {}
for _case in CASES:
    BY_RPC.setdefault(_case.rpc, []).append(_case)


@pytest.mark.parametrize("rpc", sorted(BY_RPC), ids=[_short(rpc) for rpc in sorted(BY_RPC)])
async def test_hostile_requests_are_refused_clearly_and_change_nothing(
    rpc: str, channel, world: World, ledger_engine, sandbox: SandboxAdmin
):
    failed = []
    for case in BY_RPC[rpc]:
        try:
            await _one(case, channel, world, ledger_engine)
        except (AssertionError, pytest.fail.Exception) as wrong:  # DID NOT RAISE is a Failed
            failed.append(f"{case.name}: {str(wrong)[:500]}")
    assert not failed, "\n".join(failed)


def test_the_catalogue_covers_every_rpc_of_the_landed_contract():
    covered = {case.rpc for case in CASES}
    assert covered == set(every_rpc())
    with_fields = {rpc for rpc in every_rpc() if _method(rpc).input_type.fields}
    assert with_fields <= {c.rpc for c in CASES if not c.raw}, "an RPC with fields is only sent garbage"
    assert len(CASES) >= 300


async def test_an_oversized_account_id_never_reaches_a_registry(channel, world: World, sandbox: SandboxAdmin):
    """With the registry failing every call, only a request refused before asking it can be INVALID."""
    huge = "h" * 100_000
    await sandbox.fail("cn-gd-ets", error_rate=1.0)
    asked = registry_pb2.ListHoldingsRequest(registry_id="cn-gd-ets", account_id=world.account)
    with pytest.raises(grpc.aio.AioRpcError) as down:
        await _call(channel, "RegistryService/ListHoldings", asked)
    assert down.value.code() == grpc.StatusCode.UNAVAILABLE, "the fault is not in force"
    source = transfer_pb2.AccountRef(registry_id="cn-gd-ets", account_id=huge)
    requests = [
        ("RegistryService/ListHoldings", replace_field(asked, account_id=huge), "account_id"),
        (
            "ComplianceService/RecordPledge",
            pb.RecordPledgeRequest(pledge_id="PL-huge", lender="bank", holder=source, serial=world.held),
            "holder.account_id",
        ),
        (
            "TransferService/SubmitTransfer",
            transfer_request(
                "huge-source", ("cn-gd-ets", huge), ("cn-sz-ets", world.destination), world.held
            ),
            "source.account_id",
        ),
        (
            "ComplianceService/EvaluateTransfer",
            pb.EvaluateTransferRequest(
                transfer=transfer_request(
                    "huge-dest", ("cn-ccer", world.account), ("cn-gd-ets", huge), world.held
                )
            ),
            "transfer.destination.account_id",
        ),
    ]
    for rpc, request, field in requests:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await _call(channel, rpc, request)
        _check_refusal(Case(rpc, rpc, BASES[rpc], field=field), refused.value, request)


def replace_field(message: Message, **changes: object) -> Message:
    copy = type(message)()
    copy.CopyFrom(message)
    for name, value in changes.items():
        setattr(copy, name, value)
    return copy


async def test_a_request_over_the_message_limit_is_refused_before_it_is_read(channel, ledger_engine):
    """The server reads at most 4 MiB (gateway/server.py); the bounds apply within that."""
    before = await asyncio.to_thread(_footprint, ledger_engine)
    request = pb.ImportCrosswalkRequest(csv=CROSSWALK_HEADER + "\n" + "x" * (5 * 1024 * 1024))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await _call(channel, "ComplianceService/ImportCrosswalk", request)
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "x" * 100 not in (refused.value.details() or "")
    assert await asyncio.to_thread(_footprint, ledger_engine) == before
