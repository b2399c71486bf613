"""FinanceService: Public-benefit carbon accounts, retirements on a beneficiary's behalf and their certificates.

An operator (the caller's organisation) opens an account for an organisation or a
person, backed by a registry account it holds in a registry with a write API: an
evidence-based registry, or one without a word for retired units, is refused here,
since the gateway could never retire there. A retirement is recorded, then runs as
workflows.retirement.RetirementWorkflow; the answer comes at once, and
GetRetirementCertificate follows it to its certificate.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import grpc
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from adapters import catalogue
from domain.errors import AlreadyExists, InvalidInput, NotFound, PreconditionFailed, quoted
from domain.finance import (
    BeneficiaryKind,
    PublicBenefitAccount,
    Retirement,
    RetirementState,
    require_record_id,
)
from domain.transfers import AccountRef, require_transfer_id
from domain.units import UnitStatus
from gateway import retirement_certificate, wire
from gateway.finance_base import FinanceRpcs
from gateway.roles import current_caller
from gateway.servicers import mapped, mapped_on
from protos.carbon.gateway.v1 import finance_pb2, transfer_pb2
from workflows.retirement import RetirementInput, RetirementWorkflow, retirement_workflow_id

ON_RETIREMENT = ("retirement", "retirement_id")
_KINDS = {
    finance_pb2.BENEFICIARY_KIND_ORGANISATION: BeneficiaryKind.ORGANISATION,
    finance_pb2.BENEFICIARY_KIND_PERSON: BeneficiaryKind.PERSON,
}
_KIND_NUMBERS = {kind: number for number, kind in _KINDS.items()}
_STATES = {
    RetirementState.BUYING: finance_pb2.RETIREMENT_STATE_BUYING,
    RetirementState.RETIRING: finance_pb2.RETIREMENT_STATE_RETIRING,
    RetirementState.RETIRED: finance_pb2.RETIREMENT_STATE_RETIRED,
    RetirementState.FAILED: finance_pb2.RETIREMENT_STATE_FAILED,
}
_ENDED = frozenset({RetirementState.RETIRED, RetirementState.FAILED})
# The longest derived transfer id, `retire-<id>-buy`, must still be a transfer id.
_RETIREMENT_ID_MAX = 128 - len("retire--buy")


class RetirementRpcs(FinanceRpcs):
    """The RPCs of this part of FinanceService (mixed into gateway.finance_servicer.FinanceServicer)."""

    @mapped
    async def OpenPublicBenefitAccount(
        self, request: finance_pb2.OpenPublicBenefitAccountRequest, context: grpc.aio.ServicerContext
    ) -> finance_pb2.OpenPublicBenefitAccountResponse:
        caller = current_caller()
        account = _account_from_proto(request.account, caller.org)
        # Only an account the operator holds can back it.
        await self._require_held_by_caller(account.holding, "account.holding.account_id")
        book = self._ledger.retirements
        stored, created = await asyncio.to_thread(book.open_account, account, datetime.now(UTC))
        retired = await asyncio.to_thread(book.retired_t, stored.account_id)
        return finance_pb2.OpenPublicBenefitAccountResponse(
            account=_account_to_proto(stored, retired), created=created
        )

    @mapped_on(ON_RETIREMENT)
    async def RetireForBeneficiary(
        self, request: finance_pb2.RetireForBeneficiaryRequest, context: grpc.aio.ServicerContext
    ) -> finance_pb2.RetireForBeneficiaryResponse:
        caller = current_caller()
        wire.every_refusal(
            lambda: _retirement_id(request.retirement_id),
            lambda: require_record_id(request.account_id, "account_id"),
            lambda: _seller(request),
        )
        book = self._ledger.retirements
        account = await asyncio.to_thread(book.account, request.account_id, caller.visible_org)
        seller = _seller(request)
        quantity = _quantity(request, seller or account.holding)
        if seller is not None:
            await self._require_seller(seller, account)
        asked = Retirement(
            retirement_id=request.retirement_id,
            account_id=account.account_id,
            seller=seller,
            serial=request.serial,
            quantity=quantity,
            reason=request.reason,
            state=RetirementState.BUYING if seller is not None else RetirementState.RETIRING,
            requested_by=caller.org,
            created_at=datetime.now(UTC),
        )
        await self._require_free_ids(asked)
        stored, _ = await asyncio.to_thread(book.record, asked)
        if stored.state not in _ENDED:
            await self._start(stored)
        return finance_pb2.RetireForBeneficiaryResponse(
            state=_STATES[stored.state], certificate_id=stored.certificate_id or ""
        )

    @mapped_on(ON_RETIREMENT)
    async def GetRetirementCertificate(
        self, request: finance_pb2.GetRetirementCertificateRequest, context: grpc.aio.ServicerContext
    ) -> finance_pb2.GetRetirementCertificateResponse:
        # Anyone holding the id may see a certificate: it is made to be shared. A retirement not
        # retired (yet) is its requester's business: its reasons name accounts.
        book = self._ledger.retirements
        retirement = await asyncio.to_thread(book.retirement, request.retirement_id)
        visible = current_caller().visible_org
        if retirement.state is not RetirementState.RETIRED and visible not in (None, retirement.requested_by):
            raise NotFound(f"no retirement {quoted(request.retirement_id)}", field="retirement_id")
        answer = finance_pb2.GetRetirementCertificateResponse(
            state=_STATES[retirement.state],
            reasons=[transfer_pb2.Reason(code=r.code, message=r.message) for r in retirement.reasons],
        )
        if retirement.state is not RetirementState.RETIRED:
            return answer
        account = await asyncio.to_thread(book.account, retirement.account_id)
        cert = await asyncio.to_thread(retirement_certificate.certificate, self._ledger, retirement, account)
        if request.format == finance_pb2.CERTIFICATE_FORMAT_HTML:
            answer.media_type = retirement_certificate.HTML_MEDIA_TYPE
            answer.content = retirement_certificate.as_html(cert)
        else:
            answer.media_type = retirement_certificate.JSON_MEDIA_TYPE
            answer.content = retirement_certificate.as_json(cert)
        answer.certificate_id = cert.certificate_id
        return answer

    async def _require_seller(self, seller: AccountRef, account: PublicBenefitAccount) -> None:
        """A purchase moves units out of the seller's account: like a transfer, only its holder may."""
        if seller == account.holding:
            raise InvalidInput(
                "seller is the account's own backing account: leave it out to retire what it holds",
                field="seller",
            )
        await self._require_held_by_caller(seller, "seller.account_id")

    async def _require_free_ids(self, asked: Retirement) -> None:
        """A new retirement's transfer ids must be its own (a client may have used them for a transfer)."""
        try:
            await asyncio.to_thread(self._ledger.retirements.retirement, asked.retirement_id)
            return  # stored already: the book compares the content
        except NotFound:
            pass
        for transfer_id in (asked.retirement_transfer_id, asked.purchase_transfer_id):
            if await asyncio.to_thread(self._ledger.get, transfer_id) is not None:
                raise AlreadyExists(
                    f"transfer {transfer_id} exists already, so retirement {asked.retirement_id} cannot "
                    "use it: choose another retirement id",
                    field="retirement_id",
                )

    async def _start(self, retirement: Retirement) -> None:
        """Start the retirement's workflow once: a running one is reused, a closed one never re-run."""
        s = self._settings
        params = RetirementInput(
            retirement_id=retirement.retirement_id,
            buying=retirement.seller is not None,
            policy=self._desk.step_policy(),
            poll_max_s=s.evidence_poll_s,
            looks_per_run=s.evidence_looks_per_run,
        )
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await self._temporal.start_workflow(
                RetirementWorkflow.run,
                params,
                id=retirement_workflow_id(retirement),
                task_queue=s.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )


def _retirement_id(value: str) -> str:
    require_transfer_id(value, "retirement_id")
    if len(value) > _RETIREMENT_ID_MAX:
        raise InvalidInput(
            f"retirement_id is {len(value)} characters long (at most {_RETIREMENT_ID_MAX}, so that its "
            "purchase transfer retire-<id>-buy is a transfer id)",
            field="retirement_id",
        )
    return value


def _seller(request: finance_pb2.RetireForBeneficiaryRequest) -> AccountRef | None:
    if not request.HasField("seller"):
        return None
    seller = wire.account_from_proto(request.seller, "seller")
    wire.known_registry(seller.registry_id, "seller.registry_id")
    return seller


def _quantity(request: finance_pb2.RetireForBeneficiaryRequest, holder: AccountRef) -> int | None:
    """The units asked for (None: the whole block), checked against the serial in its registry's grammar."""
    named = catalogue.parse_serial(holder.registry_id, request.serial)
    if request.quantity > named.quantity:
        raise InvalidInput(
            f"quantity {request.quantity} exceeds the {named.quantity} units of the named block",
            field="quantity",
        )
    return request.quantity or None


def _account_from_proto(msg: finance_pb2.PublicBenefitAccount, operator: str) -> PublicBenefitAccount:
    """The account a caller opens; every field wrong on its own is named at once."""
    wire.every_refusal(
        lambda: require_record_id(msg.account_id, "account.account_id"),
        lambda: _kind(msg.kind),
        lambda: wire.account_from_proto(msg.holding, "account.holding"),
        lambda: wire.known_registry(msg.holding.registry_id, "account.holding.registry_id"),
    )
    holding = wire.account_from_proto(msg.holding, "account.holding")
    profile = catalogue.profile(holding.registry_id)
    if profile.info.evidence_based:
        raise PreconditionFailed(
            f"{holding.registry_id} has no write API: the gateway cannot retire units there, so it cannot "
            "back a public-benefit account",
            code="NO-WRITE-API",
            field="account.holding.registry_id",
        )
    if UnitStatus.RETIRED not in profile.status_words.values():
        raise PreconditionFailed(
            f"{holding.registry_id} records no retirements, so it cannot back a public-benefit account",
            code="NO-RETIREMENT",
            field="account.holding.registry_id",
        )
    return PublicBenefitAccount(
        account_id=msg.account_id,
        kind=_kind(msg.kind),
        display_name=msg.display_name,
        private=msg.private,
        holding=holding,
        operator=operator,
    )


def _kind(number: int) -> BeneficiaryKind:
    kind = _KINDS.get(number)  # type: ignore[call-overload]
    if kind is None:
        raise InvalidInput(
            "account.kind must be BENEFICIARY_KIND_ORGANISATION or BENEFICIARY_KIND_PERSON",
            field="account.kind",
        )
    return kind


def _account_to_proto(account: PublicBenefitAccount, retired_t: int) -> finance_pb2.PublicBenefitAccount:
    return finance_pb2.PublicBenefitAccount(
        account_id=account.account_id,
        kind=_KIND_NUMBERS[account.kind],
        display_name=account.display_name,
        private=account.private,
        holding=wire.account_to_proto(account.holding),
        operator=account.operator,
        retired_t=retired_t,
    )
