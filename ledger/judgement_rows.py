"""Which rule packs and rules judged each transfer, recorded when it was checked.

A pack changes by a reviewed edit and a new version; a transfer judged under the
old one keeps the record of what judged it, so a regulator can reconstruct the
decision later. The first record stands: a retried check records nothing new.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from compliance_rules.rule_judging import Judgement
from ledger.models import TransferJudgementRow


def record(session: Session, transfer_id: str, judgement: Judgement, at: datetime) -> Judgement:
    row = session.get(TransferJudgementRow, transfer_id)
    if row is None:
        session.add(
            TransferJudgementRow(
                transfer_id=transfer_id,
                compliance_year=judgement.compliance_year,
                packs=list(judgement.packs),
                rule_ids=list(judgement.rule_ids),
                judged_at=at,
            )
        )
        return judgement
    return _judgement(row)


def of(session: Session, transfer_id: str) -> Judgement | None:
    row = session.get(TransferJudgementRow, transfer_id)
    return None if row is None else _judgement(row)


def _judgement(row: TransferJudgementRow) -> Judgement:
    return Judgement(compliance_year=row.compliance_year, packs=list(row.packs), rule_ids=list(row.rule_ids))
