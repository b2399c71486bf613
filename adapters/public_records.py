"""The records of the evidence-based registries' public read APIs, described once.

Neither Verra nor Gold Standard documents these APIs; the fields follow what
public clients measured on the live services (see docs/evidence.md). The sandbox
writes these records and the evidence readers read them, so the two cannot drift
apart. Readers ignore fields they do not know and need few of the rest, because
the live services add and drop fields without notice.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# Gold Standard refuses larger credit pages with 403 and clamps project pages to this size.
GOLD_STANDARD_CREDITS_PAGE_SIZE = 25
GOLD_STANDARD_PROJECTS_PAGE_SIZE = 150
GOLD_STANDARD_TOTAL_COUNT = "X-Total-Count"
GOLD_STANDARD_TOTAL_CREDITS = "X-Total-Number-Of-Credits"


class PublicRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class VerraAsset(PublicRecord):
    """One row of Verra's asset search: a block of VCUs in one state.

    `assetStatus`, `immobilisationDate` and `immobilisationDetails` model the
    "immobilised" state Verra proposed in 2022; the rest are the measured fields.
    """

    issuanceDate: str | None = None
    instrumentType: str | None = None
    vintageStart: str | None = None
    vintageEnd: str | None = None
    resourceIdentifier: int | str | None = None
    resourceName: str | None = None
    region: str | None = None
    country: str | None = None
    protocolCategory: str | None = None
    protocol: str | None = None
    totalVintageQuantity: int | None = None
    quantity: int
    serialNumbers: str
    additionalCertifications: str | None = None
    retiredCancelled: bool = False
    retireOrCancelDate: str | None = None
    retirementBeneficiary: str | None = None
    retirementReason: str | None = None
    retirementDetails: str | None = None
    inputTypes: str | None = None
    holdingIdentifier: str | None = None
    assetStatus: str
    immobilisationDate: str | None = None
    immobilisationDetails: str | None = None


class VerraSearchPage(PublicRecord):
    """The JSON answer: `value`, and `@count` (every matching record) when asked with `$count=true`."""

    value: list[VerraAsset]
    count: int | None = Field(default=None, alias="@count")


class GoldStandardProject(PublicRecord):
    id: int
    name: str | None = None
    status: str | None = None
    country_code: str | None = None
    type: str | None = None
    sustaincert_id: str  # the canonical GS number, e.g. "GS7495"


class GoldStandardCredit(PublicRecord):
    """One credit block. `status` is the block's current state; `note` is the holder's text."""

    id: int
    number_of_credits: int
    serial_number: str
    vintage: int | None = None
    status: str
    certified_date: str | None = None
    product: str | None = None
    labels: list[str] = Field(default_factory=list)
    project: GoldStandardProject
    note: str | None = None
    retirement_use_case: str | None = None
