"""What a reconciliation checks in the gateway's own record, beside the registries' holdings.

Each check reuses the code that already answers the question elsewhere: the
settlement audit of `carbon-gateway audit`, the unadjusted uses of
`ListUnadjustedUses`, the rule packs' offset caps as the saga's check computes
them. Stuck transfers and double-counting refusals come from the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from web3 import Web3

from adapters import catalogue
from compliance_rules import evaluate
from compliance_rules.rulebook import Rulebook
from domain.reconciliation import Finding, FindingCode, finding
from domain.transfers import Transfer, TransferState
from gateway import article6_export
from gateway.settings import Settings
from gateway.settlement_proofs import audit
from ledger import Ledger
from workflows.proposals import proposal_for

DOUBLE_COUNTING_CODES = "DC-"


def _transfer_fields(t: Transfer) -> dict[str, object]:
    return {
        "registry_id": t.request.source.registry_id,
        "account_id": t.request.source.account_id,
        "serial_space": t.block.serial_space,
        "start": t.block.start,
        "end": t.block.end,
        "quantity": t.block.quantity,
        "unit_class": str(t.block.unit_class),
        "vintage": t.block.vintage,
        "serial": t.request.serial,
        "transfer_ids": [t.transfer_id],
        "transfer_state": t.state.value,
        "occurred_at": t.updated_at,
    }


@dataclass(frozen=True)
class GatewayChecks:
    """`workflows.reconciliation_activities.LedgerChecks` over the ledger, the rules and the chain."""

    ledger: Ledger
    settings: Settings
    rulebook: Rulebook
    w3: Web3 | None = None
    contract_address: str | None = None

    def findings(self, since: datetime | None, now: datetime) -> list[Finding]:
        return [
            *self.stuck(now),
            *self.double_counting(since),
            *self.unadjusted(),
            *self.offsets_above_caps(),
            *self.settlement_log(),
        ]

    def _deadline(self, t: Transfer) -> datetime:
        """When a transfer should have ended: its evidence wait, if any, plus the stuck allowance."""
        allowance = self.settings.reconciliation_stuck_after_s
        source = t.request.source.registry_id
        if catalogue.profile(source).info.evidence_based:
            allowance += self.settings.evidence_deadline_for(source)
        return t.created_at + timedelta(seconds=allowance)

    def stuck(self, now: datetime) -> list[Finding]:
        found = []
        for t in self.ledger.reconciliations.open_transfers():
            waiting = t.state is TransferState.NEEDS_INTERVENTION
            if not waiting and self._deadline(t) > now:
                continue
            why = (
                "waits for an operator's decision"
                if waiting
                else f"is still {t.state.value}, past its deadline"
            )
            found.append(
                finding(
                    FindingCode.STUCK,
                    f"transfer {t.transfer_id} {why} (started {t.created_at:%Y-%m-%d %H:%M} UTC)",
                    t.transfer_id,
                    **_transfer_fields(t),
                )
            )
        return found

    def double_counting(self, since: datetime | None) -> list[Finding]:
        return [
            finding(
                FindingCode.DOUBLE_COUNTING,
                f"transfer {t.transfer_id} was refused: "
                + "; ".join(
                    f"{r.code}: {r.message}" for r in t.reasons if r.code.startswith(DOUBLE_COUNTING_CODES)
                ),
                t.transfer_id,
                cause=next(r.code for r in t.reasons if r.code.startswith(DOUBLE_COUNTING_CODES)),
                **_transfer_fields(t),
            )
            for t in self.ledger.reconciliations.refused_since(since, DOUBLE_COUNTING_CODES)
        ]

    def unadjusted(self) -> list[Finding]:
        found = []
        for use in article6_export.unadjusted(self.ledger):
            t = self.ledger.get(use.transfer_id)
            state = use.adjustment.value if use.adjustment else "no first transfer recorded"
            fields = _transfer_fields(t) if t is not None else {"transfer_ids": [use.transfer_id]}
            found.append(
                finding(
                    FindingCode.UNADJUSTED,
                    f"{use.block.quantity} units moved by {use.transfer_id} are used by {use.using_party_or_entity}; "
                    f"host {use.host_party} has not applied the corresponding adjustment ({state})",
                    use.transfer_id,
                    cause=state,
                    **fields,
                )
            )
        return found

    def offsets_above_caps(self) -> list[Finding]:
        """Each entity-year whose counted uses exceed a cap the rule packs put in force now.

        The saga refuses a use that would break a cap, so this finds caps broken
        afterwards: verified emissions revised down, a pack's share changed.
        """
        facts = self.ledger.facts()
        found = []
        for entity_id, year in self.ledger.reconciliations.offset_years():
            uses = facts.offset_used(entity_id, year)
            latest = self.ledger.get(uses[-1].transfer_id) if uses else None
            if latest is None:
                continue
            claim = evaluate(proposal_for(latest), facts, rulebook=self.rulebook).offset_claim
            for limit in claim.limits if claim else []:
                used = limit.used_by(uses)
                if used <= limit.max_units:
                    continue
                found.append(
                    finding(
                        FindingCode.OFFSET_CAP,
                        f"entity {entity_id} used {used} units for offset in {year}, above {limit.max_units} "
                        f"allowed by {limit.rule_id}",
                        entity_id,
                        year,
                        limit.rule_id,
                        cause=limit.rule_id,
                        account_id=entity_id,
                        quantity=used - limit.max_units,
                        transfer_ids=[use.transfer_id for use in uses],
                    )
                )
        return found

    def settlement_log(self) -> list[Finding]:
        return [
            finding(FindingCode.LOG, f.message, f.code, f.message, cause=f.code)
            for f in audit(self.ledger, self.w3, self.contract_address)
        ]
