"""DC-GREEN-POWER: the same megawatt-hours claimed by a credit and by a green-electricity certificate.

The seed (item 4) lets green-electricity reductions count only for the part not
already certified as CCER or another voluntary credit. A credit issuance from a
generating plant states the plant's net generation in its monitoring period and
the MWh it credited; certificates of the same plant for overlapping days claim
MWh too. Where, on any stretch of days, credited plus certified MWh exceed what
the plant generated, the excess is double counted.

The arithmetic (docs/double-counting.md walks through an example):
- the credit's monitoring period is cut into stretches at every certificate's
  first day and the day after its last, so within a stretch every certificate
  either covers every day or none;
- on a stretch of d days, out of D in the monitoring period, the plant generated
  G·d/D and the issuance credited K·d/D; a certificate of M MWh over c days
  certifies M·d'/c, d' being the days it shares with the stretch (generation is
  taken as spread evenly over a period, the only assumption monthly or yearly
  figures allow);
- excess = Σ over stretches of max(0, credited + certified − generated),
  compared to the kWh;
- the excess is taken off the top of the issuance: its last
  ⌈excess · units / K⌉ serials are the double-counted part, and only a transfer
  touching them is refused. The lower serials still count.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal
from itertools import pairwise
from typing import ClassVar

from compliance_rules.facts import CreditedGeneration, DoubleCountingFacts, GenerationCertificate
from compliance_rules.findings import Collision, Finding, serials, shared_serials
from compliance_rules.periods import Period
from compliance_rules.proposal import TransferProposal
from domain.serials import SerialBlock

_KWH = Decimal("0.001")  # monitoring reports and certificates state MWh to the kWh at most
_ONE_DAY = timedelta(days=1)


class GreenPowerCheck:
    code: ClassVar[str] = "DC-GREEN-POWER"
    meaning: ClassVar[str] = (
        "The serials do not stand for megawatt-hours of a plant that green-electricity certificates "
        "or other credits already claim, beyond what the plant generated in the overlapping period."
    )

    def evaluate(self, proposal: TransferProposal, facts: DoubleCountingFacts) -> list[Finding]:
        findings = []
        for record in facts.credited_generation(proposal.block):
            others = [
                c
                for c in facts.generation_certificates(record.plant_id, record.period)
                if (c.programme, c.certificate_id) != (record.programme, record.issuance_id)
            ]
            unbacked = double_counted_serials(record, others)
            if unbacked is not None and unbacked.overlaps(proposal.block):
                findings.append(self._finding(proposal, record, others, unbacked))
        return findings

    def _finding(
        self,
        proposal: TransferProposal,
        record: CreditedGeneration,
        certificates: list[GenerationCertificate],
        unbacked: SerialBlock,
    ) -> Finding:
        shared = shared_serials(proposal.block, unbacked)
        claimed_by = ", ".join(f"{c.programme} {c.certificate_id}" for c in certificates)
        return Finding(
            code=self.code,
            message=f"{serials(shared)} stand for generation of plant {record.plant_id} in {record.period} "
            f"already certified by {claimed_by}: issuance {record.issuance_id} credits "
            f"{record.credited_mwh} MWh of {record.generated_mwh} MWh generated, "
            f"{excess_mwh(record, certificates)} MWh too many, so {serials(unbacked)} do not count",
            collides_with=Collision.over(
                shared,
                programme=record.programme,
                reference=",".join(c.certificate_id for c in certificates),
            ),
        )


def double_counted_serials(
    record: CreditedGeneration, certificates: list[GenerationCertificate]
) -> SerialBlock | None:
    """The top serials of the issuance that the plant's generation no longer backs, or None."""
    excess = excess_mwh(record, certificates)
    if excess <= 0:
        return None
    issued = record.block.quantity
    units = (excess * issued / record.credited_mwh).quantize(Decimal(1), rounding=ROUND_CEILING)
    count = min(int(units), issued)
    return record.block.with_range(record.block.end - count + 1, record.block.end)


def excess_mwh(record: CreditedGeneration, certificates: list[GenerationCertificate]) -> Decimal:
    """MWh claimed beyond the plant's generation, summed over the stretches of the monitoring period."""
    total = Decimal(0)
    for stretch in _stretches(record.period, certificates):
        share = Decimal(stretch.days) / Decimal(record.period.days)
        certified = sum((_certified_in(c, stretch) for c in certificates), Decimal(0))
        total += max(Decimal(0), (record.credited_mwh - record.generated_mwh) * share + certified)
    return total.quantize(_KWH, rounding=ROUND_HALF_EVEN)


def _certified_in(certificate: GenerationCertificate, stretch: Period) -> Decimal:
    shared = certificate.period.overlap(stretch)
    if shared is None:
        return Decimal(0)
    return certificate.mwh * Decimal(shared.days) / Decimal(certificate.period.days)


def _stretches(period: Period, certificates: list[GenerationCertificate]) -> list[Period]:
    """`period` cut wherever a certificate begins or ends inside it."""
    cuts = {period.start, period.end + _ONE_DAY}
    for certificate in certificates:
        for day in (certificate.period.start, certificate.period.end + _ONE_DAY):
            if period.start < day <= period.end:
                cuts.add(day)
    ordered = sorted(cuts)
    return [Period(start=first, end=after - _ONE_DAY) for first, after in pairwise(ordered)]
