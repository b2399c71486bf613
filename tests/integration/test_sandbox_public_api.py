"""The sandbox's mimicry of Verra's and Gold Standard's public read APIs, and the holder's own actions."""

from __future__ import annotations

import csv
import io

import pytest

from adapters.grammars.gold_standard import GOLD_STANDARD
from adapters.grammars.verra import VERRA
from adapters.public_records import GoldStandardCredit, VerraAsset
from domain.units import UnitStatus
from tests.integration.evidence_fixtures import EvidenceWorld, open_evidence_world, vcu, ver

SEARCH = "/verra/uiapi/asset/asset/search"
VERRA_FIELDS = {
    "issuanceDate",
    "instrumentType",
    "vintageStart",
    "vintageEnd",
    "resourceIdentifier",
    "resourceName",
    "region",
    "country",
    "protocolCategory",
    "protocol",
    "totalVintageQuantity",
    "quantity",
    "serialNumbers",
    "additionalCertifications",
    "retiredCancelled",
    "retireOrCancelDate",
    "retirementBeneficiary",
    "retirementReason",
    "retirementDetails",
    "inputTypes",
    "holdingIdentifier",
    "assetStatus",
    "immobilisationDate",
    "immobilisationDetails",
}
GS_FIELDS = {
    "id",
    "number_of_credits",
    "serial_number",
    "vintage",
    "status",
    "certified_date",
    "product",
    "labels",
    "project",
    "note",
    "retirement_use_case",
}


@pytest.fixture
async def world(tmp_path):
    async with open_evidence_world(tmp_path / "sandbox.db") as opened:
        seeded = await opened.admin.seed(
            "base",
            ("verra", "alice", vcu(1, 1000)),
            ("verra", "alice", vcu(5001, 5100, project="2250", issuance="9700")),
            ("gold-standard", "gina", ver(1, 500)),
            ("gold-standard", "gina", ver(1, 40, batch=30700, project="GS1234")),
        )
        assert seeded.status_code == 200, seeded.text
        await opened.admin.open_accounts(("hk-core-climate", "hk-buyer"))
        yield opened


async def search(world: EvidenceWorld, filters: dict, **params: str) -> dict:
    response = await world.http.post(SEARCH, json=filters, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def spans(records: list[dict], serial_field: str = "serialNumbers") -> list[tuple[int, int]]:
    grammar = VERRA if serial_field == "serialNumbers" else GOLD_STANDARD
    return [(b.start, b.end) for b in (grammar.parse(r[serial_field]) for r in records)]


async def test_verra_records_carry_the_measured_fields_and_the_immobilisation(world: EvidenceWorld):
    acted = await world.holder.immobilise("verra", "alice", vcu(1, 100), "For gateway transfer T-1.")
    assert acted.status_code == 200, acted.text

    answer = await search(world, {"resourceIdentifier": "1060"})

    assert set(answer) == {"value"}
    by_span = {span: record for span, record in zip(spans(answer["value"]), answer["value"], strict=True)}
    assert set(by_span) == {(1, 100), (101, 1000)}
    for record in answer["value"]:
        assert set(record) == VERRA_FIELDS
        VerraAsset.model_validate(record)
    immobilised, active = by_span[(1, 100)], by_span[(101, 1000)]
    assert immobilised["assetStatus"] == "IMMOBILISED"
    assert immobilised["immobilisationDetails"] == "For gateway transfer T-1."
    assert immobilised["immobilisationDate"] is not None
    assert immobilised["retiredCancelled"] is False
    assert immobilised["serialNumbers"] == VERRA.format(vcu(1, 100))
    assert active["assetStatus"] == "ACTIVE"
    assert active["immobilisationDetails"] is None
    assert (active["instrumentType"], active["quantity"], active["totalVintageQuantity"]) == (
        "VCU",
        900,
        1000,
    )
    assert (active["vintageStart"], active["vintageEnd"]) == ("2019-01-01", "2019-12-31")
    assert (active["resourceIdentifier"], active["country"]) == (1060, "United States")
    assert active["protocolCategory"] == "Agriculture Forestry and Other Land Use"


async def test_verra_retirements_show_beneficiary_reason_and_details(world: EvidenceWorld):
    retired = await world.holder.retire(
        "verra", "alice", vcu(1, 10), "offsetting 2024", beneficiary="Acme", reason="voluntary"
    )
    assert retired.status_code == 200, retired.text

    (record,) = (await search(world, {"assetStatus": "RETIRED"}))["value"]

    assert record["assetStatus"] == "RETIRED"
    assert record["retiredCancelled"] is True
    assert (record["retirementBeneficiary"], record["retirementReason"]) == ("Acme", "voluntary")
    assert record["retirementDetails"] == "offsetting 2024"
    assert record["retireOrCancelDate"] is not None
    assert record["immobilisationDetails"] is None


async def test_verra_pages_with_skip_top_and_count(world: EvidenceWorld):
    for n in range(5):
        block = vcu(1 + 100 * n, 10 + 100 * n)
        assert (await world.holder.immobilise("verra", "alice", block, f"T-{n}")).status_code == 200
    everything = await search(world, {}, **{"$count": "true", "$top": "1000"})
    total = everything["@count"]
    assert total == len(everything["value"]) == 11  # 5 immobilised, 5 held pieces of 1..1000, 1 other project

    pages = []
    for skip in range(0, total, 5):
        page = await search(world, {}, **{"$skip": str(skip), "$top": "5", "$count": "true"})
        assert page["@count"] == total
        pages.extend(page["value"])

    assert pages == everything["value"]
    ids = [int(record["holdingIdentifier"]) for record in pages]
    assert ids == sorted(ids, reverse=True)  # newest first
    assert "@count" not in await search(world, {}, **{"$top": "5"})
    capped = await search(world, {}, **{"$maxResults": "3", "$count": "true"})
    assert (capped["@count"], len(capped["value"])) == (3, 3)


async def test_verra_ignores_filters_it_does_not_understand(world: EvidenceWorld):
    await world.holder.immobilise("verra", "alice", vcu(1, 100), "T-1")
    plain = await search(world, {})
    assert len(plain["value"]) == 3

    assert await search(world, {"colour": "green", "issuanceTypeCodes": ["ISSUE"]}) == plain
    assert await search(world, {"program": "VCS"}) == plain
    assert spans((await search(world, {"assetStatus": "IMMOBILISED"}))["value"]) == [(1, 100)]
    statuses = {"assetStatus": ["IMMOBILISED", "ACTIVE"], "resourceIdentifier": 1060}
    assert sorted(spans((await search(world, statuses))["value"])) == [(1, 100), (101, 1000)]
    assert spans((await search(world, {"resourceIdentifier": "2250"}))["value"]) == [(5001, 5100)]
    overlapping = {"serialNumbers": VERRA.format(vcu(90, 120))}
    assert sorted(spans((await search(world, overlapping))["value"])) == [(1, 100), (101, 1000)]


async def test_verra_answers_csv_on_request(world: EvidenceWorld):
    response = await world.http.post(SEARCH, json={}, params={"$format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 2
    assert set(rows[0]) == VERRA_FIELDS


async def test_verra_refuses_a_body_that_is_not_a_filter_object(world: EvidenceWorld):
    response = await world.http.post(SEARCH, content=b"[1, 2]")
    assert response.status_code == 422
    assert response.json()["code"] == "INVALID-REQUEST"


async def test_gold_standard_credits_carry_the_measured_fields_and_the_note(world: EvidenceWorld):
    await world.holder.immobilise("gold-standard", "gina", ver(1, 50), "transfer T-9")
    await world.holder.retire("gold-standard", "gina", ver(51, 60), "our 2025 claim", reason="Voluntary")

    response = await world.http.get("/gold-standard/credits", params={"query": "GS7495"})

    assert response.status_code == 200
    credits = response.json()
    for credit in credits:
        assert set(credit) == GS_FIELDS
        GoldStandardCredit.model_validate(credit)
    by_span = {span: c for span, c in zip(spans(credits, "serial_number"), credits, strict=True)}
    assert {span: c["status"] for span, c in by_span.items()} == {
        (1, 50): "IMMOBILISED",
        (51, 60): "RETIRED",
        (61, 500): "ISSUED",
    }
    assert by_span[(1, 50)]["note"] == "transfer T-9"
    assert by_span[(51, 60)]["note"] == "our 2025 claim"
    assert by_span[(51, 60)]["retirement_use_case"] == "Voluntary"
    assert by_span[(61, 500)]["note"] is None
    assert by_span[(1, 50)]["project"] == {
        "id": 7495,
        "name": "Sandbox project GS7495",
        "status": "CERTIFIED",
        "country_code": "KE",
        "type": "Energy efficiency - domestic",
        "sustaincert_id": "GS7495",
    }
    assert (by_span[(1, 50)]["number_of_credits"], by_span[(1, 50)]["vintage"]) == (50, 2025)


async def test_gold_standard_pages_newest_first_with_totals_in_headers(world: EvidenceWorld):
    many = [("gold-standard", "gina", ver(1000 + 10 * n, 1004 + 10 * n)) for n in range(58)]
    assert (await world.admin.seed("many", *many)).status_code == 200

    seen, page = [], 1
    while True:
        response = await world.http.get("/gold-standard/credits", params={"page": page, "size": 25})
        assert response.status_code == 200
        assert response.headers["X-Total-Count"] == "60"
        assert response.headers["X-Total-Number-Of-Credits"] == str(500 + 40 + 58 * 5)
        if not response.json():
            break
        seen.extend(response.json())
        page += 1

    assert page == 4  # 25 + 25 + 10
    ids = [credit["id"] for credit in seen]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 60
    again = (await world.http.get("/gold-standard/credits", params={"page": 2, "size": 25})).json()
    assert again == seen[25:50]


async def test_gold_standard_refuses_pages_over_25(world: EvidenceWorld):
    refused = await world.http.get("/gold-standard/credits", params={"size": 26})
    assert refused.status_code == 403
    assert refused.json()["code"] == "PAGE-SIZE-TOO-LARGE"
    assert (await world.http.get("/gold-standard/credits", params={"size": 25})).status_code == 200


async def test_gold_standard_narrows_only_by_query(world: EvidenceWorld):
    everything = (await world.http.get("/gold-standard/credits")).json()
    assert len(everything) == 2

    ignored = await world.http.get("/gold-standard/credits", params={"status": "RETIRED", "vintage": "1999"})
    assert ignored.json() == everything
    by_project = (await world.http.get("/gold-standard/credits", params={"query": "GS1234"})).json()
    assert [c["project"]["sustaincert_id"] for c in by_project] == ["GS1234"]
    by_serial = (await world.http.get("/gold-standard/credits", params={"query": "-30700-"})).json()
    assert by_project == by_serial
    nothing = await world.http.get("/gold-standard/credits", params={"query": "GS999"})
    assert (nothing.json(), nothing.headers["X-Total-Count"]) == ([], "0")


async def test_gold_standard_projects_clamp_large_pages_to_150(world: EvidenceWorld):
    projects = [
        ("gold-standard", "gina", ver(1, 10, batch=40000 + n, project=f"GS{9000 + n}")) for n in range(150)
    ]
    assert (await world.admin.seed("projects", *projects)).status_code == 200

    first = await world.http.get("/gold-standard/projects", params={"page": 1, "size": 1000})
    second = await world.http.get("/gold-standard/projects", params={"page": 2, "size": 1000})

    assert first.status_code == 200
    assert first.headers["X-Total-Count"] == "152"
    assert (len(first.json()), len(second.json())) == (150, 2)
    listed = {p["sustaincert_id"] for p in first.json() + second.json()}
    assert {"GS7495", "GS1234", "GS9000", "GS9149"} <= listed


async def test_an_immobilisation_leaves_the_registry_as_a_transfer_out_does(world: EvidenceWorld):
    before = await world.admin.totals()

    acted = await world.holder.immobilise("verra", "alice", vcu(201, 300), "transfer T-7")
    assert acted.status_code == 200, acted.text
    assert (acted.json()["status"], acted.json()["registry_status"]) == ("exported", "Immobilised")
    moved = await world.admin.totals()
    assert moved.by_registry["verra"]["VCS/VCU"] == before.by_registry["verra"]["VCS/VCU"] - 100
    await world.core_climate.credit("T-7:credit", "hk-buyer", vcu(201, 300))

    after = await world.admin.totals()
    assert after.by_unit_class == before.by_unit_class
    assert after.by_registry["hk-core-climate"]["VCS/VCU"] == 100
    holdings = await world.verra.holdings("alice")
    assert {(h.block.start, h.block.end): (h.status, h.registry_status) for h in holdings} == {
        (1, 200): (UnitStatus.HELD, "Active"),
        (201, 300): (UnitStatus.EXPORTED, "Immobilised"),
        (301, 1000): (UnitStatus.HELD, "Active"),
        (5001, 5100): (UnitStatus.HELD, "Active"),
    }


async def test_a_retirement_stays_counted_in_the_registry(world: EvidenceWorld):
    before = await world.admin.totals()
    retired = await world.holder.retire("gold-standard", "gina", ver(1, 100), "claimed")
    assert (retired.json()["status"], retired.json()["registry_status"]) == ("retired", "RETIRED")
    assert (await world.admin.totals()) == before


async def test_a_release_undoes_an_immobilisation_of_exactly_that_block(world: EvidenceWorld):
    before = await world.admin.totals()
    await world.holder.immobilise("gold-standard", "gina", ver(101, 200), "transfer T-3")

    wrong_range = await world.holder.release("gold-standard", "gina", ver(101, 150))
    assert (wrong_range.status_code, wrong_range.json()["code"]) == (409, "NOT-IMMOBILISED")
    wrong_account = await world.holder.release("gold-standard", "george", ver(101, 200))
    assert wrong_account.status_code == 409
    released = await world.holder.release("gold-standard", "gina", ver(101, 200))
    assert released.status_code == 200, released.text
    assert released.json()["status"] == "held"

    assert (await world.admin.totals()) == before
    credits = (await world.http.get("/gold-standard/credits", params={"query": "GS7495"})).json()
    assert [(c["status"], c["number_of_credits"], c["note"]) for c in credits] == [("ISSUED", 500, None)]
    again = await world.holder.release("gold-standard", "gina", ver(101, 200))
    assert again.json()["code"] == "NOT-IMMOBILISED"


async def test_holder_actions_follow_the_registry_rules(world: EvidenceWorld):
    not_held = await world.holder.immobilise("verra", "alice", vcu(990, 1010), "T-1")
    assert (not_held.status_code, not_held.json()["code"]) == (409, "QUANTITY-EXCEEDS-BLOCK")
    wrong_account = await world.holder.immobilise("verra", "bob", vcu(1, 10), "T-1")
    assert wrong_account.json()["code"] == "WRONG-ACCOUNT"
    await world.holder.immobilise("verra", "alice", vcu(1, 10), "T-1")
    twice = await world.holder.immobilise("verra", "alice", vcu(1, 10), "T-2")
    assert twice.json()["code"] == "UNITS-NOT-HELD"
    no_text = await world.holder.immobilise("verra", "alice", vcu(11, 20), "")
    assert no_text.json()["code"] == "INVALID-REQUEST"


async def test_holder_actions_exist_only_in_evidence_based_registries(world: EvidenceWorld):
    await world.core_climate.credit("seed:credit", "hk-buyer", vcu(2001, 2100))
    refused = await world.holder.immobilise("hk-core-climate", "hk-buyer", vcu(2001, 2100), "T-1")
    assert (refused.status_code, refused.json()["code"]) == (409, "NOT-EVIDENCE-BASED")
    unknown = await world.holder.retire("nowhere", "x", vcu(1, 2), "x")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "UNKNOWN-REGISTRY")


async def test_faults_reach_the_public_apis_but_not_the_holder(world: EvidenceWorld):
    await world.admin.set_faults("verra", error_rate=1.0)
    await world.admin.set_faults("gold-standard", rate_limit_rate=1.0, retry_after_s=7)

    assert (await world.http.post(SEARCH, json={})).status_code == 503
    limited = await world.http.get("/gold-standard/credits")
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "7")
    assert (await world.http.get("/gold-standard/projects")).status_code == 429
    acted = await world.holder.immobilise("verra", "alice", vcu(1, 10), "T-1")
    assert acted.status_code == 200

    verra_counts = (await world.admin.faults("verra")).counts
    gs_counts = (await world.admin.faults("gold-standard")).counts
    assert (verra_counts.requests, verra_counts.error) == (1, 1)
    assert (gs_counts.requests, gs_counts.rate_limit) == (2, 2)


async def test_a_plan_can_aim_at_one_public_endpoint(world: EvidenceWorld):
    await world.admin.set_faults("gold-standard", error_rate=1.0, operations=["projects_search"])
    assert (await world.http.get("/gold-standard/credits")).status_code == 200
    assert (await world.http.get("/gold-standard/projects")).status_code == 503
