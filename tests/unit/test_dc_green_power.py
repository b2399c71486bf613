"""DC-GREEN-POWER: credits and certificates claiming the same MWh of one plant, refused only for the excess."""

from decimal import Decimal

from compliance_rules.facts import CreditedGeneration, GenerationCertificate
from compliance_rules.green_power import GreenPowerCheck, double_counted_serials, excess_mwh
from tests.unit.dc_fake_facts import InMemoryFacts, ccer, period, proposal

CHECK = GreenPowerCheck()


def credit(
    generated: str, credited: str, *, start="2023-01-01", end="2023-12-31", units=600
) -> CreditedGeneration:
    return CreditedGeneration(
        issuance_id="CCER-ISS-7",
        programme="CCER",
        plant_id="wind-farm-12",
        period=period(start, end),
        generated_mwh=Decimal(generated),
        credited_mwh=Decimal(credited),
        block=ccer(1, units, vintage="2023"),
    )


def gec(mwh: str, start="2023-01-01", end="2023-12-31", certificate_id="GEC-88") -> GenerationCertificate:
    return GenerationCertificate(
        certificate_id=certificate_id,
        programme="GEC",
        plant_id="wind-farm-12",
        period=period(start, end),
        mwh=Decimal(mwh),
    )


def test_credits_and_certificates_within_generation_pass():
    record = credit("1000", "900")
    facts = InMemoryFacts(generation=[record], certificates=[gec("100")])
    assert excess_mwh(record, [gec("100")]) == 0
    assert CHECK.evaluate(proposal(ccer(1, 600, vintage="2023")), facts) == []


def test_only_the_top_serials_standing_for_the_excess_are_refused():
    record = credit("1000", "1000")
    facts = InMemoryFacts(generation=[record], certificates=[gec("100")])
    # 100 MWh too many at 0.6 units per MWh: the last 60 of 600 units do not count.
    assert double_counted_serials(record, [gec("100")]) == ccer(541, 600, vintage="2023")
    assert CHECK.evaluate(proposal(ccer(1, 540, vintage="2023")), facts) == []
    [finding] = CHECK.evaluate(proposal(ccer(500, 560, vintage="2023")), facts)
    assert finding.code == "DC-GREEN-POWER"
    assert finding.message.startswith(
        "serials CCER:123:2023:1 541-560 stand for generation of plant wind-farm-12 in 2023-01-01..2023-12-31 "
        "already certified by GEC GEC-88"
    )
    assert "100.000 MWh too many, so serials CCER:123:2023:1 541-600 do not count" in finding.message
    assert finding.collides_with is not None
    assert (finding.collides_with.start, finding.collides_with.end) == (541, 560)
    assert finding.collides_with.reference == "GEC-88"


def test_a_partial_excess_unit_is_refused_whole():
    record = credit("1000", "900")
    # 900 + 150 - 1000 = 50 MWh; 50 * 600 / 900 = 33.3 units, rounded up to 34.
    assert double_counted_serials(record, [gec("150")]) == ccer(567, 600, vintage="2023")


def test_spare_generation_elsewhere_in_the_period_does_not_back_a_certificate():
    # 100 days (2023-01-01..2023-04-10), 10 MWh a day generated, 9 credited: 1 MWh a day spare.
    record = credit("1000", "900", end="2023-04-10", units=900)
    january = gec("30", end="2023-01-20")  # 20 days: 200 generated, 180 credited, 30 certified
    assert excess_mwh(record, [january]) == Decimal("10.000")
    assert double_counted_serials(record, [january]) == ccer(891, 900, vintage="2023")


def test_a_certificate_reaching_outside_the_period_counts_only_for_its_days_inside():
    record = credit("1000", "900", end="2023-04-10", units=900)
    straddling = gec("45", start="2022-12-22", end="2023-01-20")  # 30 days, 20 of them inside: 30 MWh
    assert excess_mwh(record, [straddling]) == Decimal("10.000")


def test_several_certificates_add_up():
    record = credit("1000", "1000")
    certificates = [gec("40", certificate_id="GEC-1"), gec("60", end="2023-06-30", certificate_id="I-REC-2")]
    facts = InMemoryFacts(generation=[record], certificates=certificates)
    assert excess_mwh(record, certificates) == Decimal("100.000")
    [finding] = CHECK.evaluate(proposal(ccer(600, 600, vintage="2023")), facts)
    assert "GEC GEC-1, GEC I-REC-2" in finding.message


def test_the_issuance_itself_is_not_another_claim():
    record = credit("1000", "1000")
    itself = GenerationCertificate(
        certificate_id="CCER-ISS-7",
        programme="CCER",
        plant_id="wind-farm-12",
        period=record.period,
        mwh=Decimal(1000),
    )
    facts = InMemoryFacts(generation=[record], certificates=[itself])
    assert CHECK.evaluate(proposal(ccer(1, 600, vintage="2023")), facts) == []


def test_certificates_of_another_period_do_not_collide():
    record = credit("1000", "1000")
    facts = InMemoryFacts(
        generation=[record], certificates=[gec("500", start="2024-01-01", end="2024-12-31")]
    )
    assert CHECK.evaluate(proposal(ccer(1, 600, vintage="2023")), facts) == []
