"""TransferActivities: every I/O step of a transfer, idempotent by (transfer id, step).

Registry calls carry idempotency keys built from the transfer id and the step, so a
retried activity never applies a step twice; ledger moves are idempotent by state.
A business refusal raises a non-retryable ApplicationError carrying every reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Mapping
from datetime import UTC, datetime

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from adapters.base import RegistryAdapter
from adapters.evidence import EvidenceReader, EvidenceRefused
from compliance_rules import evaluate
from compliance_rules.claims import first_transfer_for
from compliance_rules.offset_claims import OffsetClaim
from compliance_rules.rulebook import Rulebook
from domain.errors import DoubleCountingConflict, RegistryRefused, RegistryUnavailable, UnderReview
from domain.holdings import Holding
from domain.transfers import Reason, Transfer, TransferState
from domain.units import UnitStatus
from ledger import Ledger
from ledger_anchor.leaf import SettlementRecord, encode_settlement
from workflows.inputs import REJECTED_ERROR, StepInput
from workflows.proposals import proposal_for

_log = logging.getLogger(__name__)


def rejection(reasons: list[Reason]) -> ApplicationError:
    message = "; ".join(f"{r.code}: {r.message}" for r in reasons)
    # Benign: a refusal is the saga working as meant, logged without a traceback.
    return ApplicationError(
        message,
        [r.model_dump() for r in reasons],
        type=REJECTED_ERROR,
        non_retryable=True,
        category=ApplicationErrorCategory.BENIGN,
    )


def _not_held(t: Transfer) -> Reason:
    return Reason(
        code="SOURCE-NOT-HELD",
        message=f"units {t.block.serial_space} {t.block.start}-{t.block.end} are not held "
        f"by account {t.request.source.account_id} in {t.request.source.registry_id}",
    )


def _key(transfer: Transfer, step: str) -> str:
    return f"{transfer.transfer_id}:{step}"


class TransferActivities:
    """Holds the clients every step needs (the ledger and one adapter per registry)."""

    def __init__(
        self,
        ledger: Ledger,
        adapters: Mapping[str, RegistryAdapter],
        evidence_readers: Mapping[str, EvidenceReader] | None = None,
        rulebook: Rulebook | None = None,
    ) -> None:
        self._ledger = ledger
        self._adapters = adapters
        self._evidence_readers = evidence_readers or {}
        self._rulebook = rulebook

    async def _advance(self, transfer: Transfer, state: TransferState, reasons: list[Reason]) -> None:
        await asyncio.to_thread(
            self._ledger.advance, transfer.transfer_id, state, datetime.now(UTC), tuple(reasons)
        )

    @activity.defn
    async def check(self, step: StepInput) -> OffsetClaim | None:
        """Refuse, with every reason, a transfer whose units are not movable, would be counted twice or
        break a rule in force; what it would use of an entity's offset headroom goes to `reserve`."""
        t = step.transfer
        source = self._adapters[t.request.source.registry_id]
        reasons: list[Reason] = []
        held: list[Holding] = []
        # An evidence-based source may already show the units immobilised by their holder;
        # the evidence reader checks those exact units instead.
        if not source.profile.info.evidence_based:
            held = await source.holdings(t.request.source.account_id)
            if not any(h.status is UnitStatus.HELD and h.block.contains(t.block) for h in held):
                reasons.append(_not_held(t))
        decision = await asyncio.to_thread(
            lambda: evaluate(proposal_for(t, held), self._ledger.facts(), rulebook=self._rulebook)
        )
        if decision.judgement is not None:
            await asyncio.to_thread(
                self._ledger.record_judgement, t.transfer_id, decision.judgement, datetime.now(UTC)
            )
        reasons += decision.reasons()
        if reasons:
            raise rejection(reasons)
        await self._advance(t, TransferState.CHECKED, [])
        return decision.offset_claim

    @activity.defn
    async def reserve(self, step: StepInput) -> bool:
        """Claim the serials in the ledger's index: exactly one of two overlapping claims wins.

        False, reserving nothing, while a reconciliation reviews the serials (`wait_for_review`).
        """
        t = step.transfer
        try:
            await asyncio.to_thread(
                self._ledger.reserve, t.transfer_id, t.block, t.request.source, step.offset_claim
            )
        except DoubleCountingConflict as conflict:
            raise rejection([Reason(code=conflict.code, message=conflict.message)]) from conflict
        except UnderReview as held:
            if not step.wait_for_review:
                raise
            _log.info("transfer %s waits: %s", t.transfer_id, held.message)
            return False
        return True

    @activity.defn
    async def release_reservation(self, step: StepInput) -> None:
        await asyncio.to_thread(self._ledger.release, step.transfer.transfer_id)

    @activity.defn
    async def lock_source(self, step: StepInput) -> None:
        t = step.transfer
        source = self._adapters[t.request.source.registry_id]
        await _refusals_are_final(source.lock(_key(t, "lock"), t.request.source.account_id, t.block))
        await self._advance(t, TransferState.SOURCE_LOCKED, [])

    @activity.defn
    async def find_evidence(self, step: StepInput) -> bool:
        """Look for the holder's immobilisation naming this transfer; record it when found.

        False keeps the workflow waiting (also while the public API is out or answers
        in a shape we cannot read); evidence naming another transfer, covering other
        serials or retiring the units is a final refusal.
        """
        t = step.transfer
        reader = self._evidence_readers[t.request.source.registry_id]
        try:
            evidence = await reader.find(t.transfer_id, t.block)
        except EvidenceRefused as refused:
            raise rejection([Reason(code=refused.code, message=refused.message)]) from refused
        except (RegistryRefused, RegistryUnavailable) as unreadable:
            # An outage, a rate limit or a reply we cannot read says nothing about the units: look later.
            activity.logger.info("evidence for %s not readable now: %s", t.transfer_id, unreadable.message)
            return False
        if evidence is None:
            return False
        if step.state is TransferState.COMPENSATED:
            return True  # a late look after the deadline: the saga flags it, nothing stands locked
        recorded = Reason(
            code="IMMOBILISED-FOR-TRANSFER",
            message=f"{evidence.registry_id} shows {evidence.serial} as {evidence.registry_status} "
            f"(record {evidence.record_id}), an immobilisation for this transfer, not a retirement",
        )
        await self._advance(t, TransferState.SOURCE_LOCKED, [recorded])
        return True

    @activity.defn
    async def unlock_source(self, step: StepInput) -> None:
        t = step.transfer
        # A refusal here is retried like unavailability: giving up would strand locked units.
        await self._adapters[t.request.source.registry_id].unlock(_key(t, "lock"))

    @activity.defn
    async def credit_destination(self, step: StepInput) -> None:
        t = step.transfer
        destination = self._adapters[t.request.destination.registry_id]
        await _refusals_are_final(
            destination.credit(_key(t, "credit"), t.request.destination.account_id, t.block)
        )
        await self._advance(t, TransferState.DESTINATION_CREDITED, [])

    @activity.defn
    async def uncredit_destination(self, step: StepInput) -> None:
        t = step.transfer
        # A refusal here is retried like unavailability: giving up would leave units in two places.
        await self._adapters[t.request.destination.registry_id].uncredit(_key(t, "credit"))

    @activity.defn
    async def finalise_source(self, step: StepInput) -> None:
        t = step.transfer
        await _refusals_are_final(self._adapters[t.request.source.registry_id].finalise(_key(t, "lock")))

    @activity.defn
    async def settle(self, step: StepInput) -> None:
        """Settle in the ledger and append the settlement's canonical leaf to the log, atomically.

        A first transfer of authorised units out of their host Party is recorded too,
        with its corresponding adjustment not started.
        """
        t = step.transfer
        at = datetime.now(UTC)
        # Recorded first, so whoever sees the transfer settled also sees its first transfer;
        # settling always follows (it retries until done) and the record is once per transfer.
        first = await asyncio.to_thread(first_transfer_for, proposal_for(t), self._ledger.facts(), at)
        if first is not None:
            await asyncio.to_thread(self._ledger.record_first_transfer, first)
        leaf = encode_settlement(SettlementRecord.from_transfer(t, at))
        await asyncio.to_thread(self._ledger.settle, t.transfer_id, t.request.destination, at, leaf)

    @activity.defn
    async def mark_rejected(self, step: StepInput) -> None:
        await self._advance(step.transfer, TransferState.REJECTED, step.reasons)

    @activity.defn
    async def mark_compensated(self, step: StepInput) -> None:
        await self._advance(step.transfer, TransferState.COMPENSATED, step.reasons)

    @activity.defn
    async def mark_needs_intervention(self, step: StepInput) -> None:
        await self._advance(step.transfer, TransferState.NEEDS_INTERVENTION, step.reasons)

    @activity.defn
    async def resume_at(self, step: StepInput) -> None:
        """Record an operator's decision: the transfer stands at `step.state` again, with the reason."""
        assert step.state is not None
        await self._advance(step.transfer, step.state, step.reasons)


async def _refusals_are_final(call: Awaitable[None]) -> None:
    """Await a registry call; a registry's refusal becomes a non-retryable rejection.

    Unavailability is left to propagate, so Temporal retries it with the same key.
    """
    try:
        await call
    except RegistryRefused as refused:
        raise rejection([Reason(code=refused.code, message=refused.message)]) from refused
