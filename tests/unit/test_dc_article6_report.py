"""The Article 6 actions table (AEF) and the uses abroad still owing a corresponding adjustment."""

import csv
import io
import json
from datetime import date

from compliance_rules.article6_report import (
    AEF_COLUMNS,
    ActionType,
    SettledMovement,
    aef_actions,
    aef_csv,
    aef_json,
    unadjusted_uses,
)
from compliance_rules.corresponding_adjustment import AdjustmentState
from compliance_rules.facts import Authorisation, AuthorisedUse, FirstTransfer
from compliance_rules.proposal import Purpose
from tests.unit.dc_fake_facts import AT, vcs

NDC = Authorisation(
    authorisation_id="CN-A6-1",
    host_party="CN",
    authorised_use=AuthorisedUse.NDC,
    cooperative_approach_id="CN-SG-01",
    authorised_on=date(2024, 11, 1),
    block=vcs(100, 199),
)
MC = NDC.model_copy(
    update={"authorisation_id": "MC-1", "authorised_use": AuthorisedUse.MITIGATION_CONTRIBUTION}
)


def movement(transfer_id, start, end, kind=ActionType.TRANSFER, on=date(2025, 1, 10), **extra):
    return SettledMovement(
        transfer_id=transfer_id,
        settled_on=on,
        kind=kind,
        block=vcs(start, end),
        unit_registry="cn-ccer",
        transferring_party="CN",
        acquiring_party="SG",
        purpose=Purpose.NDC,
        **extra,
    )


def first(transfer_id="T1", start=100, end=149, state=AdjustmentState.NOT_STARTED):
    return FirstTransfer(
        transfer_id=transfer_id,
        authorisation_id="CN-A6-1",
        block=vcs(start, end),
        host_party="CN",
        acquiring_party="SG",
        transferred_at=AT,
        adjustment=state,
    )


def test_the_actions_table_has_the_aef_fields():
    assert AEF_COLUMNS == (
        "date",
        "action_type",
        "subtype",
        "cooperative_approach_id",
        "authorisation_id",
        "first_transferring_party",
        "itmo_first_id",
        "itmo_last_id",
        "unit_registry",
        "unit_first_id",
        "unit_last_id",
        "metric",
        "gwp",
        "quantity_tco2e",
        "mitigation_type",
        "vintage",
        "transferring_party",
        "acquiring_party",
        "purpose",
        "using_party_or_entity",
        "year_used",
    )


def test_rows_for_authorisation_first_transfer_transfer_acquisition_and_use():
    movements = [
        movement("T1", 100, 149),
        movement("T2", 150, 159, on=date(2025, 2, 1)),
        movement(
            "T3",
            100,
            120,
            kind=ActionType.USE,
            on=date(2025, 3, 1),
            year_used=2025,
            using_party_or_entity="SG",
        ),
    ]
    rows = aef_actions([NDC, MC], movements, [first()])
    assert [(r.date.isoformat(), r.action_type.value) for r in rows] == [
        ("2024-11-01", "authorisation"),
        ("2025-01-10", "first transfer"),
        ("2025-02-01", "transfer"),
        ("2025-02-01", "acquisition"),
        ("2025-03-01", "use"),
    ]
    first_row = rows[1]
    assert first_row.itmo_first_id == "CN-SG-01/CN/VCS:100/01012019-31122019"
    assert (first_row.unit_first_id, first_row.unit_last_id) == ("VCS:100", "VCS:149")
    assert (first_row.quantity_tco2e, first_row.metric, first_row.gwp) == (50, "tCO2e", "AR5")
    assert (first_row.first_transferring_party, first_row.transferring_party, first_row.acquiring_party) == (
        "CN",
        "CN",
        "SG",
    )
    assert (rows[4].year_used, rows[4].using_party_or_entity) == (2025, "SG")


def test_only_the_authorised_part_of_a_movement_is_reported():
    [row] = [
        r for r in aef_actions([NDC], [movement("T9", 190, 250)], []) if r.action_type is ActionType.TRANSFER
    ]
    assert (row.unit_first_id, row.unit_last_id, row.quantity_tco2e) == ("VCS:190", "VCS:199", 10)


def test_csv_and_json_carry_the_same_columns():
    rows = aef_actions([NDC], [movement("T1", 100, 149)], [first()])
    table = list(csv.DictReader(io.StringIO(aef_csv(rows))))
    assert tuple(table[0]) == AEF_COLUMNS
    assert table[1]["action_type"] == "first transfer"
    assert table[1]["quantity_tco2e"] == "50"
    assert table[0]["year_used"] == ""
    document = json.loads(aef_json(rows))
    assert tuple(document[1]) == AEF_COLUMNS
    assert document[1]["unit_last_id"] == "VCS:149"


def test_uses_abroad_without_an_applied_adjustment_are_flagged_by_range():
    use = movement("T3", 100, 199, kind=ActionType.USE)
    flagged = unadjusted_uses(
        [use], [first(state=AdjustmentState.APPLIED), first("T2", 150, 199, AdjustmentState.PENDING)]
    )
    assert [(f.block.start, f.block.end, f.first_transfer_id, f.adjustment) for f in flagged] == [
        (150, 199, "T2", AdjustmentState.PENDING)
    ]
    nothing_recorded = unadjusted_uses([use], [])
    assert [(f.block.start, f.block.end, f.adjustment) for f in nothing_recorded] == [(100, 199, None)]


def test_applied_adjustments_and_transfers_are_not_flagged():
    assert (
        unadjusted_uses(
            [movement("T3", 100, 149, kind=ActionType.USE)], [first(state=AdjustmentState.APPLIED)]
        )
        == []
    )
    assert unadjusted_uses([movement("T1", 100, 149)], []) == []
