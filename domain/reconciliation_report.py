"""A reconciliation run as regulators read it: the content every format (JSON, CSV, HTML, PDF) renders.

The sections follow the UK registry's regulator reports: discrepant
transactions, reconciliations, invalid units. The summary comes first; the
volumes and flows feed the report's charts.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from domain.reconciliation import Finding, FindingClass, ResultState, TotalsRow


class RegistrySnapshot(BaseModel):
    """What one registry showed at the snapshot, and how its totals compared."""

    model_config = ConfigDict(frozen=True)

    registry_id: str
    jurisdiction: str
    rows: int  # holdings rows inside the tracked serials
    units: int
    totals_compared: int
    totals_inconsistent: int


class Volume(BaseModel):
    """Units settled into a registry in one month (YYYY-MM): the volumes chart."""

    model_config = ConfigDict(frozen=True)

    registry_id: str
    month: str
    units: int


class Flow(BaseModel):
    """Units settled from one jurisdiction into another: the flows chart."""

    model_config = ConfigDict(frozen=True)

    source: str
    destination: str
    units: int


class Progress(BaseModel):
    """How far a run is: the stage and the registries read so far."""

    model_config = ConfigDict(frozen=True)

    stage: str = "queued"  # queued, snapshot, totals, blocks, trail, checks, done
    done: int = 0
    total: int = 0


class FindingCounts(BaseModel):
    """How many findings a run has, per code, and how many are open: what a listing shows of it."""

    model_config = ConfigDict(frozen=True)

    total: int = 0
    open: int = 0
    by_code: dict[str, int] = Field(default_factory=dict)

    @classmethod
    def of(cls, findings: list[Finding]) -> FindingCounts:
        by_code: dict[str, int] = {}
        for f in findings:
            by_code[f.code.value] = by_code.get(f.code.value, 0) + 1
        return cls(
            total=len(findings), open=sum(1 for f in findings if f.resolution is None), by_code=by_code
        )


class ReconciliationReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    reconciliation_id: str
    requested_by: str  # the regulator's organisation, or "schedule"
    started_at: datetime
    snapshot_at: datetime | None = None
    finished_at: datetime | None = None
    state: ResultState = ResultState.RUNNING
    progress: Progress = Field(default_factory=Progress)
    failure: str = ""  # why a FAILED run stopped, for people
    compared_blocks: int = 0
    excluded_in_flight: int = 0  # tracked ranges left out: a transfer was moving them at the snapshot
    registries: list[RegistrySnapshot] = Field(default_factory=list)
    totals: list[TotalsRow] = Field(default_factory=list)  # the inconsistent ones first, then the rest
    findings: list[Finding] = Field(default_factory=list)
    counts: FindingCounts = Field(default_factory=FindingCounts)  # kept when the findings are not read
    resolved_earlier: list[Finding] = Field(default_factory=list)  # the previous run's, resolved since
    volumes: list[Volume] = Field(default_factory=list)
    flows: list[Flow] = Field(default_factory=list)

    def section(self, kind: FindingClass) -> list[Finding]:
        return [f for f in self.findings if f.finding_class is kind]

    def open_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.resolution is None]
