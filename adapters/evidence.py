"""Reading a holder's immobilisation back from a registry the gateway cannot write to.

Verra and Gold Standard have no write API. To move units out, the holder
immobilises them in the registry, naming the gateway's transfer id in the
details text (Verra) or the note (Gold Standard); the transfer workflow polls
`EvidenceReader.find` until evidence appears or its deadline passes.

A record is evidence only when it is an immobilisation (never a retirement or a
cancellation: Verra bars tokens of retired credits, and the gateway must record
which it relied on), covers exactly the transfer's serials (same serial space,
same first and last unit), and its text names the transfer id as a whole token.
When the transfer's serials are visibly committed to something else, `find`
raises `EvidenceRefused`; while nothing relevant exists yet it returns None, so
the workflow keeps waiting. The readers never trust a registry's filters (the
live services ignore the ones they do not know): every record is checked here.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal, Protocol, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from adapters import gold_standard, verra
from adapters.base import RegistryProfile
from adapters.catalogue import grammar_for_programme
from adapters.http_client import UnrecognisedReply
from adapters.outbound_tls import VERIFIED, OutboundTls
from adapters.polite_client import PoliteClient, Politeness
from adapters.public_records import (
    GOLD_STANDARD_CREDITS_PAGE_SIZE,
    GOLD_STANDARD_TOTAL_COUNT,
    GoldStandardCredit,
    VerraAsset,
    VerraSearchPage,
)
from domain.errors import GatewayError, InvalidInput, RegistryRefused
from domain.serials import SerialBlock
from domain.units import UnitStatus

VERRA_SEARCH_PATH = "/uiapi/asset/asset/search"
GOLD_STANDARD_CREDITS_PATH = "/credits"

Parsed = TypeVar("Parsed")


class EvidenceRefusalCode(StrEnum):
    OTHER_TRANSFER = "EVIDENCE-OTHER-TRANSFER"  # the serials are immobilised, but not for this transfer
    OTHER_SERIALS = "EVIDENCE-OTHER-SERIALS"  # immobilised for this transfer, but not exactly its serials
    RETIRED = "EVIDENCE-RETIRED"  # the serials were retired or cancelled: a final use, not a transfer


class EvidenceRefused(RegistryRefused):
    """The registry shows the transfer's serials committed to something else; waiting will not help."""

    def __init__(self, message: str, *, code: EvidenceRefusalCode, record_id: str, serial: str) -> None:
        super().__init__(message, code=code.value)
        self.record_id = record_id
        self.serial = serial


class Evidence(BaseModel):
    """An immobilisation for this transfer of exactly its serials, as the registry's public API shows it."""

    model_config = ConfigDict(frozen=True)

    registry_id: str
    transfer_id: str
    block: SerialBlock
    kind: Literal["immobilisation"] = "immobilisation"  # never a retirement; recorded as such
    status: UnitStatus  # always EXPORTED: the units now live at the destination
    registry_status: str  # the registry's own word, e.g. "Immobilised"
    record_id: str  # Verra's holdingIdentifier, Gold Standard's credit id
    serial: str  # the serial as the registry published it
    details: str
    observed_at: datetime


class EvidenceReader(Protocol):
    profile: RegistryProfile

    async def find(self, transfer_id: str, block: SerialBlock) -> Evidence | None:
        """The evidence for `block`, None while there is none yet; raises EvidenceRefused."""

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class Sighting:
    """One public record, reduced to what judging needs."""

    record_id: str
    serial: str
    block: SerialBlock | None  # None when the serial is not in the programme's grammar
    registry_status: str
    details: str


def names_transfer(details: str, transfer_id: str) -> bool:
    """True when `transfer_id` appears as a whole token, so "T-1" is not found inside "T-10"."""
    # A neighbouring letter, digit, "_" or "-" (or ".", ":", "/" joined to one) would extend the id.
    token = re.compile(rf"(?<![\w-])(?<!\w[.:/]){re.escape(transfer_id)}(?![\w-]|[.:/]\w)")
    return token.search(details) is not None


def _same_units(a: SerialBlock, b: SerialBlock) -> bool:
    return (a.serial_space, a.start, a.end) == (b.serial_space, b.start, b.end)


def _status(profile: RegistryProfile, sighting: Sighting) -> UnitStatus:
    status = profile.status_words.get(sighting.registry_status)
    if status is None:
        raise UnrecognisedReply(
            f"{profile.registry_id} record {sighting.record_id} has status {sighting.registry_status!r}, "
            f"which its profile does not map (known: {', '.join(profile.status_words)})"
        )
    return status


def judge(
    profile: RegistryProfile, transfer_id: str, block: SerialBlock, sightings: Iterable[Sighting]
) -> Evidence | None:
    """The evidence among `sightings` for `block`, or None; EvidenceRefused when another use is visible.

    Only records whose units overlap the block count. Refusals are ranked:
    retirement first (the units are gone for good), then another transfer's
    immobilisation, then this transfer's immobilisation of other serials.
    """
    immobilised_word = profile.word_for(UnitStatus.EXPORTED)
    refusals: list[tuple[int, EvidenceRefused]] = []
    for sighting in sightings:
        if sighting.block is None or not sighting.block.overlaps(block):
            continue
        status = _status(profile, sighting)
        immobilised = sighting.registry_status == immobilised_word
        ours = immobilised and names_transfer(sighting.details, transfer_id)
        if ours and _same_units(sighting.block, block):
            return _evidence(profile, transfer_id, block, sighting)
        refusal = _refusal(profile, block, sighting, status, immobilised, ours)
        if refusal is not None:
            refusals.append(refusal)
    if refusals:
        raise min(refusals, key=lambda ranked: ranked[0])[1]
    return None


def _evidence(profile: RegistryProfile, transfer_id: str, block: SerialBlock, sighting: Sighting) -> Evidence:
    return Evidence(
        registry_id=profile.registry_id,
        transfer_id=transfer_id,
        block=block,
        status=UnitStatus.EXPORTED,
        registry_status=sighting.registry_status,
        record_id=sighting.record_id,
        serial=sighting.serial,
        details=sighting.details,
        observed_at=datetime.now(UTC),
    )


def _refusal(
    profile: RegistryProfile,
    block: SerialBlock,
    sighting: Sighting,
    status: UnitStatus,
    immobilised: bool,
    ours: bool,
) -> tuple[int, EvidenceRefused] | None:
    """The ranked refusal one overlapping record calls for; None when it only means "not yet"."""
    where = f"{profile.registry_id} record {sighting.record_id} ({sighting.serial})"
    span = f"{block.serial_space} {block.start}..{block.end}"
    if status in (UnitStatus.RETIRED, UnitStatus.CANCELLED):
        rank, code, why = 0, EvidenceRefusalCode.RETIRED, f"is {sighting.registry_status}, not immobilised"
    elif immobilised and not ours:
        rank, code, why = 1, EvidenceRefusalCode.OTHER_TRANSFER, "is immobilised, not naming this transfer"
    elif ours:
        rank, code, why = 2, EvidenceRefusalCode.OTHER_SERIALS, f"names this transfer, not exactly {span}"
    else:
        return None
    refused = EvidenceRefused(
        f"{where} overlaps {span} and {why}", code=code, record_id=sighting.record_id, serial=sighting.serial
    )
    return rank, refused


def _parsed_block(block: SerialBlock, serial: str) -> SerialBlock | None:
    try:
        return grammar_for_programme(block.programme).parse(serial)
    except GatewayError:
        return None  # not a serial of this programme, so not evidence about this block


def _parse(adapter: TypeAdapter[Parsed], response: httpx.Response, registry_id: str) -> Parsed:
    try:
        return adapter.validate_json(response.content)
    except ValidationError as exc:
        raise UnrecognisedReply(f"{registry_id} public API answered in an unknown shape: {exc}") from exc


def _for_programme(profile: RegistryProfile, block: SerialBlock) -> None:
    if block.programme != profile.info.programme:
        raise InvalidInput(
            f"{profile.registry_id} holds {profile.info.programme} units, not {block.programme}",
            field="block",
        )


class VerraEvidenceReader:
    """Reads Verra's public asset search, `$top` records at a time, newest first."""

    def __init__(
        self,
        base_url: str,
        *,
        profile: RegistryProfile = verra.PROFILE,
        politeness: Politeness | None = None,
        page_size: int = 100,
        tls: OutboundTls = VERIFIED,
    ) -> None:
        self.profile = profile
        self._http = PoliteClient(profile.registry_id, base_url, politeness, tls)
        self._page_size = page_size

    async def aclose(self) -> None:
        await self._http.aclose()

    async def find(self, transfer_id: str, block: SerialBlock) -> Evidence | None:
        _for_programme(self.profile, block)
        sightings = [self._sighting(block, asset) async for asset in self._assets(block)]
        return judge(self.profile, transfer_id, block, sightings)

    async def _assets(self, block: SerialBlock) -> AsyncIterator[VerraAsset]:
        """Every record the search returns for the block's project and serials, page by page."""
        serial = self.profile.grammar.format(block)
        filters = {"resourceIdentifier": block.project_id, "serialNumbers": serial}
        skip = 0
        while True:
            params = {"$skip": str(skip), "$top": str(self._page_size), "$count": "true"}
            response = await self._http.send("POST", VERRA_SEARCH_PATH, params=params, json=filters)
            page = _parse(TypeAdapter(VerraSearchPage), response, self.profile.registry_id)
            for asset in page.value:
                yield asset
            skip += len(page.value)
            exhausted = len(page.value) < self._page_size if page.count is None else skip >= page.count
            if not page.value or exhausted:
                return

    def _sighting(self, block: SerialBlock, asset: VerraAsset) -> Sighting:
        word = next(
            (w for w in self.profile.status_words if verra.asset_status(w) == asset.assetStatus),
            asset.assetStatus,
        )
        details = asset.immobilisationDetails or asset.retirementDetails or ""
        return Sighting(
            record_id=asset.holdingIdentifier or asset.serialNumbers,
            serial=asset.serialNumbers,
            block=_parsed_block(block, asset.serialNumbers),
            registry_status=word,
            details=details,
        )


class GoldStandardEvidenceReader:
    """Reads Gold Standard's public credits list by project, 25 credits a page, newest first."""

    def __init__(
        self,
        base_url: str,
        *,
        profile: RegistryProfile = gold_standard.PROFILE,
        politeness: Politeness | None = None,
        tls: OutboundTls = VERIFIED,
    ) -> None:
        self.profile = profile
        self._http = PoliteClient(profile.registry_id, base_url, politeness, tls)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def find(self, transfer_id: str, block: SerialBlock) -> Evidence | None:
        _for_programme(self.profile, block)
        sightings = [self._sighting(block, credit) async for credit in self._credits(block)]
        return judge(self.profile, transfer_id, block, sightings)

    async def _credits(self, block: SerialBlock) -> AsyncIterator[GoldStandardCredit]:
        """Every credit of the block's project: `query=` with the GS number is the narrowing that works."""
        size = GOLD_STANDARD_CREDITS_PAGE_SIZE
        page = 1
        while True:
            params = {"page": str(page), "size": str(size), "query": block.project_id}
            response = await self._http.send("GET", GOLD_STANDARD_CREDITS_PATH, params=params)
            credits = _parse(TypeAdapter(list[GoldStandardCredit]), response, self.profile.registry_id)
            for credit in credits:
                yield credit
            total = response.headers.get(GOLD_STANDARD_TOTAL_COUNT, "")
            exhausted = len(credits) < size or (total.isdigit() and page * size >= int(total))
            if not credits or exhausted:
                return
            page += 1

    def _sighting(self, block: SerialBlock, credit: GoldStandardCredit) -> Sighting:
        return Sighting(
            record_id=str(credit.id),
            serial=credit.serial_number,
            block=_parsed_block(block, credit.serial_number),
            registry_status=credit.status,
            details=credit.note or "",
        )


def evidence_reader_for(
    profile: RegistryProfile,
    sandbox_url: str,
    *,
    politeness: Politeness | None = None,
    tls: OutboundTls = VERIFIED,
) -> EvidenceReader:
    """The reader of an evidence-based registry whose public API the sandbox at `sandbox_url` mimics."""
    base_url = f"{sandbox_url.rstrip('/')}/{quote(profile.registry_id, safe='')}"
    if profile.registry_id == verra.PROFILE.registry_id:
        return VerraEvidenceReader(base_url, profile=profile, politeness=politeness, tls=tls)
    if profile.registry_id == gold_standard.PROFILE.registry_id:
        return GoldStandardEvidenceReader(base_url, profile=profile, politeness=politeness, tls=tls)
    raise InvalidInput(
        f"{profile.registry_id} has no public API to read evidence from"
        + ("" if profile.info.evidence_based else ": the gateway locks there itself"),
        field="registry_id",
    )
