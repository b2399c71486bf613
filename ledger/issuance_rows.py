"""Issuances and the electricity behind them, as rows: what DC-ISSUE and DC-GREEN-POWER read.

An issuance is found by its serials (which issuance did these units come from)
or by its project and monitoring period (what else did the twin registration
issue then); a plant's other certificates by plant and generation period.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance_rules.facts import CreditedGeneration, GenerationCertificate, IssuanceRecord
from compliance_rules.periods import Period
from domain.serials import SerialBlock
from ledger import serial_spans
from ledger.models import CreditedGenerationRow, GenerationCertificateRow, IssuanceRow
from ledger.record_once import record_once


def record_issuance(session: Session, record: IssuanceRecord) -> bool:
    row = session.get(IssuanceRow, (record.programme, record.issuance_id))
    stored = None if row is None else issuance_from_row(row)
    added = record_once(
        session, stored, record, _issuance_row, f"issuance {record.programme} {record.issuance_id}"
    )
    if added:
        serial_spans.widen(session, IssuanceRow, record.block)
    return added


def issuances_overlapping(session: Session, block: SerialBlock) -> list[IssuanceRecord]:
    query = select(IssuanceRow).where(serial_spans.overlapping(IssuanceRow, block))
    return [issuance_from_row(row) for row in session.scalars(query.order_by(IssuanceRow.start))]


def issuances_in(session: Session, programme: str, project_id: str, period: Period) -> list[IssuanceRecord]:
    query = select(IssuanceRow).where(
        IssuanceRow.programme == programme,
        IssuanceRow.project_id == project_id,
        IssuanceRow.period_start <= period.end,
        IssuanceRow.period_end >= period.start,
    )
    return [issuance_from_row(row) for row in session.scalars(query.order_by(IssuanceRow.period_start))]


def record_generation(session: Session, generation: CreditedGeneration) -> bool:
    row = session.get(CreditedGenerationRow, (generation.programme, generation.issuance_id))
    stored = None if row is None else generation_from_row(row)
    what = f"credited generation of issuance {generation.programme} {generation.issuance_id}"
    added = record_once(session, stored, generation, _generation_row, what)
    if added:
        serial_spans.widen(session, CreditedGenerationRow, generation.block)
    return added


def generation_overlapping(session: Session, block: SerialBlock) -> list[CreditedGeneration]:
    query = select(CreditedGenerationRow).where(serial_spans.overlapping(CreditedGenerationRow, block))
    return [generation_from_row(row) for row in session.scalars(query.order_by(CreditedGenerationRow.start))]


def record_certificate(session: Session, certificate: GenerationCertificate) -> bool:
    row = session.get(GenerationCertificateRow, (certificate.programme, certificate.certificate_id))
    stored = None if row is None else certificate_from_row(row)
    what = f"generation certificate {certificate.programme} {certificate.certificate_id}"
    return record_once(session, stored, certificate, _certificate_row, what)


def certificates_in(session: Session, plant_id: str, period: Period) -> list[GenerationCertificate]:
    query = select(GenerationCertificateRow).where(
        GenerationCertificateRow.plant_id == plant_id,
        GenerationCertificateRow.period_start <= period.end,
        GenerationCertificateRow.period_end >= period.start,
    )
    ordered = query.order_by(GenerationCertificateRow.period_start, GenerationCertificateRow.certificate_id)
    return [certificate_from_row(row) for row in session.scalars(ordered)]


def _issuance_row(record: IssuanceRecord) -> IssuanceRow:
    return IssuanceRow(
        programme=record.programme,
        issuance_id=record.issuance_id,
        project_id=record.project_id,
        period_start=record.monitoring_period.start,
        period_end=record.monitoring_period.end,
        serial_space=record.block.serial_space,
        start=record.block.start,
        end=record.block.end,
        block=record.block.model_dump(mode="json"),
    )


def issuance_from_row(row: IssuanceRow) -> IssuanceRecord:
    return IssuanceRecord(
        issuance_id=row.issuance_id,
        programme=row.programme,
        project_id=row.project_id,
        monitoring_period=Period(start=row.period_start, end=row.period_end),
        block=SerialBlock.model_validate(row.block),
    )


def _generation_row(generation: CreditedGeneration) -> CreditedGenerationRow:
    return CreditedGenerationRow(
        programme=generation.programme,
        issuance_id=generation.issuance_id,
        plant_id=generation.plant_id,
        period_start=generation.period.start,
        period_end=generation.period.end,
        generated_mwh=generation.generated_mwh,
        credited_mwh=generation.credited_mwh,
        serial_space=generation.block.serial_space,
        start=generation.block.start,
        end=generation.block.end,
        block=generation.block.model_dump(mode="json"),
    )


def generation_from_row(row: CreditedGenerationRow) -> CreditedGeneration:
    return CreditedGeneration(
        issuance_id=row.issuance_id,
        programme=row.programme,
        plant_id=row.plant_id,
        period=Period(start=row.period_start, end=row.period_end),
        generated_mwh=row.generated_mwh,
        credited_mwh=row.credited_mwh,
        block=SerialBlock.model_validate(row.block),
    )


def _certificate_row(certificate: GenerationCertificate) -> GenerationCertificateRow:
    return GenerationCertificateRow(
        programme=certificate.programme,
        certificate_id=certificate.certificate_id,
        plant_id=certificate.plant_id,
        period_start=certificate.period.start,
        period_end=certificate.period.end,
        mwh=certificate.mwh,
    )


def certificate_from_row(row: GenerationCertificateRow) -> GenerationCertificate:
    return GenerationCertificate(
        certificate_id=row.certificate_id,
        programme=row.programme,
        plant_id=row.plant_id,
        period=Period(start=row.period_start, end=row.period_end),
        mwh=row.mwh,
    )
