"""Packs that apply by route, Article 6 authorisation, and account states."""

from datetime import date

import pytest

from compliance_rules import evaluate, load_rulebook
from compliance_rules.facts import Authorisation, AuthorisedUse
from compliance_rules.proposal import Purpose, account_key
from domain.serials import SerialBlock
from domain.transfers import AccountRef
from tests.unit.rule_fake_facts import (
    CCER_OWNER,
    PUHUI_OWNER,
    SZ_EMITTER,
    book,
    ccer_units,
    offset,
    puhui,
    rule,
    with_entities,
)

SHIPPED = load_rulebook()
HK = AccountRef(registry_id="hk-core-climate", account_id="hk-7")
MO = AccountRef(registry_id="mo-micx", account_id="mo-1")
VU = AccountRef(registry_id="vu-national", account_id="vu-seller")
CN_CCER = AccountRef(registry_id="cn-ccer", account_id="ccer-buyer")


def itmo(start: int, end: int, *, host: str = "VU", vintage: str = "2023") -> SerialBlock:
    return SerialBlock(
        programme="ITMO",
        serial_space=f"ITMO:{host}:356:{vintage}",
        project_id="356",
        vintage=vintage,
        unit_type="ITMO",
        country=host,
        start=start,
        end=end,
    )


def authorised(block: SerialBlock, use: AuthorisedUse = AuthorisedUse.NDC, host: str = "VU") -> Authorisation:
    return Authorisation(
        authorisation_id=f"{host}-A6-1",
        host_party=host,
        authorised_use=use,
        cooperative_approach_id="VU-CN-01",
        authorised_on=date(2024, 5, 1),
        block=block,
    )


def judged(rules, proposal, facts=None, year=2025):
    return evaluate(proposal, facts or with_entities(), checks=(), rulebook=rules, compliance_year=year)


def stamps(decision):
    return decision.judgement.packs


def test_the_gba_pack_applies_both_ways_between_guangdong_and_hong_kong_or_macau():
    assert stamps(judged(SHIPPED, offset(puhui(1, 10), source=PUHUI_OWNER, destination=HK))) == [
        "gba-cross-border@1.0.0"
    ]
    assert stamps(judged(SHIPPED, offset(puhui(1, 10), source=MO, destination=PUHUI_OWNER))) == [
        "gba-cross-border@1.0.0"
    ]
    within_guangdong = offset(
        puhui(1, 10), source=PUHUI_OWNER, destination=SZ_EMITTER, purpose=Purpose.VOLUNTARY
    )
    assert stamps(judged(SHIPPED, within_guangdong)) == ["cn-sz-ets@1.0.0"]
    assert (
        stamps(judged(SHIPPED, offset(ccer_units(10), source=CCER_OWNER, destination=HK))) == []
    )  # CN, not CN-GD


def test_allowances_do_not_cross_to_hong_kong():
    allowance = ccer_units(10).model_copy(update={"programme": "SZA", "unit_type": "SZA"})
    decision = judged(
        SHIPPED, offset(allowance, source=SZ_EMITTER, destination=HK, purpose=Purpose.VOLUNTARY)
    )
    assert [f.code for f in decision.findings] == ["RULE-GBA-ELIGIBLE"]
    assert judged(SHIPPED, offset(puhui(1, 10), source=PUHUI_OWNER, destination=HK)).allowed


def test_a_route_matches_only_a_transfer_that_crosses_a_border():
    one_way = book(
        rule("host_countries", {"excluded": ["CN"]}),
        applies_to={"routes": [{"from": ["CN-GD"], "to": ["HK"]}]},
    )
    assert not judged(one_way, offset(puhui(1, 10), source=PUHUI_OWNER, destination=HK)).allowed
    assert judged(one_way, offset(puhui(1, 10), source=HK, destination=PUHUI_OWNER)).allowed  # not both ways
    assert judged(one_way, offset(puhui(1, 10), source=PUHUI_OWNER, destination=SZ_EMITTER)).allowed


def test_article6_units_into_china_need_their_hosts_authorisation_over_every_serial():
    into_ccer = offset(itmo(1, 100), source=VU, destination=CN_CCER, purpose=Purpose.VOLUNTARY)
    partly = with_entities(authorisations=[authorised(itmo(1, 60))])
    [finding] = judged(SHIPPED, into_ccer, partly).findings
    assert finding.code == "RULE-A6-AUTHORISED"
    assert finding.message == (
        "serials ITMO:VU:356:2023 61-100 hosted in VU have no Article 6 authorisation by VU for NDC or OIMP use, "
        "needed to bring them to CN (registry cn-ccer)"
    )
    assert finding.collides_with is not None and (finding.collides_with.start, finding.collides_with.end) == (
        61,
        100,
    )
    assert judged(SHIPPED, into_ccer, with_entities(authorisations=[authorised(itmo(1, 100))])).allowed


def test_a_mitigation_contribution_or_another_partys_authorisation_does_not_count():
    into_ccer = offset(itmo(1, 100), source=VU, destination=CN_CCER, purpose=Purpose.VOLUNTARY)
    contribution = with_entities(
        authorisations=[authorised(itmo(1, 100), AuthorisedUse.MITIGATION_CONTRIBUTION)]
    )
    assert [f.code for f in judged(SHIPPED, into_ccer, contribution).findings] == ["RULE-A6-AUTHORISED"]
    other_party = with_entities(authorisations=[authorised(itmo(1, 100), host="SG")])
    assert [f.code for f in judged(SHIPPED, into_ccer, other_party).findings] == ["RULE-A6-AUTHORISED"]


def test_the_article6_pack_judges_only_units_hosted_abroad():
    facts = with_entities(authorisations=[authorised(itmo(1, 100, host="KE", vintage="2019"), host="KE")])
    old_kenyan = offset(itmo(1, 100, host="KE", vintage="2019"), source=VU, destination=CN_CCER)
    assert [f.code for f in judged(SHIPPED, old_kenyan, facts).findings] == ["RULE-A6-VINTAGE"]
    us_hosted = offset(itmo(1, 100, host="US"), source=VU, destination=CN_CCER)
    codes = [f.code for f in judged(SHIPPED, us_hosted).findings]
    assert codes == ["RULE-A6-AUTHORISED", "RULE-A6-HOSTS"]
    home = offset(ccer_units(10, vintage="2015"), source=HK, destination=CN_CCER)  # hosted in CN, coming home
    assert stamps(judged(SHIPPED, home)) == []


def test_authorisation_is_not_asked_of_units_staying_with_their_host():
    rules = book(rule("authorisation_required", {}), applies_to={"destinations": ["cn-ccer"]})
    assert judged(rules, offset(ccer_units(10), source=HK, destination=CN_CCER)).allowed
    assert not judged(rules, offset(itmo(1, 10), source=VU, destination=CN_CCER)).allowed


STATUS = {"minimum": "open", "missing_state": "refuse"}


@pytest.mark.parametrize(
    ("state", "allowed"), [("open", True), ("Open", True), ("restricted", False), ("closed", False)]
)
def test_accounts_must_be_at_least_the_minimum_status(state, allowed):
    rules = book(rule("minimum_account_status", {**STATUS, "accounts": ["destination"]}))
    proposal = offset(ccer_units(10), account_states={account_key(SZ_EMITTER): state})
    assert judged(rules, proposal).allowed is allowed


def test_a_missing_or_unrankable_state_is_judged_as_the_rule_says():
    refuse = book(rule("minimum_account_status", STATUS))
    states = {account_key(CCER_OWNER): "open"}
    [missing] = judged(refuse, offset(ccer_units(10), account_states=states)).findings
    assert missing.message == (
        "the state of destination account cn-sz-ets:sz-emitter is not known, and at least 'open' is required"
    )
    allow = book(rule("minimum_account_status", {**STATUS, "missing_state": "allow"}))
    assert judged(allow, offset(ccer_units(10), account_states=states)).allowed
    odd = {**states, account_key(SZ_EMITTER): "frozen-ish"}
    [unknown] = judged(allow, offset(ccer_units(10), account_states=odd)).findings
    assert "is 'frozen-ish', a state this rule cannot rank" in unknown.message


def test_account_keys_split_at_the_registry_even_when_the_account_id_has_colons():
    account = AccountRef(registry_id="cn-sz-ets", account_id="desk:7")
    assert account_key(account) == "cn-sz-ets:desk:7"
    proposal = offset(ccer_units(10), destination=SZ_EMITTER, account_states={"cn-sz-ets:desk:7": "open"})
    assert proposal.account_state(account) == "open"
    assert proposal.account_state(SZ_EMITTER) is None
