"""The public read APIs of the evidence-based registries, mimicked over the sandbox's book.

The gateway verifies a holder's immobilisation by reading it back through the
registry's public API, so the sandbox must answer in the shapes the live
services use (DOMAIN.md, docs/evidence.md), quirks included: Verra silently
ignores filters it does not know; Gold Standard refuses credit pages over 25 with
403, silently clamps project pages to 150, and narrows only by `query=`. Both
list newest records first (the sandbox's row order), so paging is stable while
nothing changes and shifts towards later pages when a holder acts.

    POST /verra/uiapi/asset/asset/search?$skip=&$top=&$count=true&$maxResults=&$format=csv
    GET  /gold-standard/credits?page=N&size=25&query=
    GET  /gold-standard/projects?page=N&size=150

The sandbox keeps no issuance, certification or region data: those fields are
derived from the serial (documented per field in docs/evidence.md) or null.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import pycountry
from aiohttp import web

from adapters.public_records import (
    GOLD_STANDARD_CREDITS_PAGE_SIZE,
    GOLD_STANDARD_PROJECTS_PAGE_SIZE,
    GOLD_STANDARD_TOTAL_COUNT,
    GOLD_STANDARD_TOTAL_CREDITS,
    GoldStandardCredit,
    GoldStandardProject,
    VerraAsset,
)
from adapters.sandbox.faults import RegistryCall
from adapters.sandbox.refusals import Refusal, RefusalCode
from adapters.sandbox.registry import SandboxRegistry
from adapters.sandbox.store import HolderActionRow, HoldingRow, SandboxStore
from adapters.verra import asset_status
from domain.errors import GatewayError
from domain.serials import SerialBlock, SerialGrammar
from domain.units import UnitStatus

Item = TypeVar("Item")

VERRA = "verra"
GOLD_STANDARD = "gold-standard"
VERRA_DEFAULT_TOP = 100
VERRA_MAX_TOP = 1000  # larger $top values are clamped, as OData services commonly do

# The holder action whose text a record shows, by the status the action left the units in.
_ACTION_FOR_STATUS = {UnitStatus.EXPORTED: "immobilise", UnitStatus.RETIRED: "retire"}

# VCS sectoral scopes (the 14th segment of a VCU serial), shown as Verra's protocol category.
_SECTORAL_SCOPES = {
    "1": "Energy (renewable/non-renewable)",
    "2": "Energy distribution",
    "3": "Energy demand",
    "4": "Manufacturing industries",
    "5": "Chemical industry",
    "6": "Construction",
    "7": "Transport",
    "8": "Mining/Mineral production",
    "9": "Metal production",
    "10": "Fugitive emissions from fuels",
    "11": "Fugitive emissions from industrial gases",
    "12": "Solvent use",
    "13": "Waste handling and disposal",
    "14": "Agriculture Forestry and Other Land Use",
    "15": "Livestock and manure management",
    "16": "Carbon capture and storage",
}

# Gold Standard project type codes (5th serial segment) the sandbox can name.
_PROJECT_TYPES = {"1": "Solar", "12": "Wind", "16": "Energy efficiency - domestic", "22": "Afforestation"}


@dataclass(frozen=True)
class PublicRow:
    """A holdings row as the public sees it, with the holder's action that put it in its state."""

    row: HoldingRow
    action: HolderActionRow | None

    @property
    def block(self) -> SerialBlock:
        return self.row.block


def _public_rows(store: SandboxStore, registry_id: str) -> list[PublicRow]:
    """Every row of the registry, newest first."""
    with store.reading() as tx:
        rows = tx.holdings(registry_id)
        actions = tx.holder_actions(registry_id)
    public = []
    for row in sorted(rows, key=lambda r: r.row_id, reverse=True):
        action = actions.get(row.op_key or "")
        shaped_it = action is not None and action.kind == _ACTION_FOR_STATUS.get(row.status)
        public.append(PublicRow(row=row, action=action if shaped_it else None))
    return public


def _int_param(request: web.Request, name: str, default: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        raise Refusal(RefusalCode.INVALID_REQUEST, f"{name} must be a whole number, got {text!r}") from None


def _iso_date(ddmmyyyy: str) -> str:
    return f"{ddmmyyyy[4:]}-{ddmmyyyy[2:4]}-{ddmmyyyy[:2]}"


def _country_name(code: str) -> str | None:
    country = pycountry.countries.get(alpha_2=code)
    return None if country is None else country.name


class VerraPublicApi:
    """`POST /verra/uiapi/asset/asset/search`: filters in the JSON body, OData paging in the query."""

    def __init__(self, store: SandboxStore, registry: SandboxRegistry) -> None:
        self._store = store
        self._registry = registry

    async def search(self, request: web.Request) -> web.Response:
        filters = await _filters(request)
        skip = max(_int_param(request, "$skip", 0), 0)
        top = min(max(_int_param(request, "$top", VERRA_DEFAULT_TOP), 0), VERRA_MAX_TOP)
        max_results = _int_param(request, "$maxResults", 0)
        rows = await asyncio.to_thread(_public_rows, self._store, self._registry.registry_id)
        grammar = self._registry.profile.grammar
        matching = [asset for asset in self._assets(rows) if _verra_matches(asset, filters, grammar)]
        if max_results > 0:
            matching = matching[:max_results]
        page = matching[skip : skip + top]
        if request.query.get("$format", "").lower() == "csv":
            return _csv(page)
        body: dict[str, object] = {"value": [asset.model_dump() for asset in page]}
        if request.query.get("$count", "").lower() == "true":
            body["@count"] = len(matching)
        return web.json_response(body)

    def _assets(self, rows: list[PublicRow]) -> list[VerraAsset]:
        issued: dict[str, int] = {}
        for public in rows:
            issuance = _issuance(public.block)
            issued[issuance] = issued.get(issuance, 0) + public.block.quantity
        return [self._asset(public, issued[_issuance(public.block)]) for public in rows]

    def _asset(self, public: PublicRow, issuance_quantity: int) -> VerraAsset:
        block, status, action = public.block, public.row.status, public.action
        vintage_start, vintage_end = block.vintage.split("-")
        immobilisation = action if action is not None and action.kind == "immobilise" else None
        retirement = action if action is not None and action.kind == "retire" else None
        return VerraAsset(
            issuanceDate=_iso_date(vintage_end),
            instrumentType=block.unit_type,
            vintageStart=_iso_date(vintage_start),
            vintageEnd=_iso_date(vintage_end),
            resourceIdentifier=int(block.project_id),
            resourceName=f"Sandbox project VCS{block.project_id}",
            region=None,
            country=_country_name(block.country),
            protocolCategory=_SECTORAL_SCOPES.get(block.attributes.get("sectoral_scope", "")),
            protocol=None,
            totalVintageQuantity=issuance_quantity,
            quantity=block.quantity,
            serialNumbers=self._registry.profile.grammar.format(block),
            additionalCertifications="CCB" if block.attributes.get("flag") == "1" else None,
            retiredCancelled=status in (UnitStatus.RETIRED, UnitStatus.CANCELLED),
            retireOrCancelDate=retirement.acted_at if retirement else None,
            retirementBeneficiary=retirement.beneficiary if retirement else None,
            retirementReason=retirement.reason if retirement else None,
            retirementDetails=retirement.details if retirement else None,
            inputTypes=None,
            holdingIdentifier=str(public.row.row_id),
            assetStatus=asset_status(self._registry.profile.word_for(status)),
            immobilisationDate=immobilisation.acted_at if immobilisation else None,
            immobilisationDetails=immobilisation.details if immobilisation else None,
        )


def _issuance(block: SerialBlock) -> str:
    return block.model_dump_json(exclude={"start", "end"})


async def _filters(request: web.Request) -> dict[str, object]:
    raw = await request.read()
    try:
        filters = json.loads(raw or b"{}")
    except ValueError as exc:
        raise Refusal(RefusalCode.INVALID_REQUEST, f"the search body is not JSON: {exc}") from exc
    if not isinstance(filters, dict):
        raise Refusal(RefusalCode.INVALID_REQUEST, "the search body must be a JSON object of filters")
    return filters


def _verra_matches(asset: VerraAsset, filters: dict[str, object], grammar: SerialGrammar) -> bool:
    """The filters the sandbox understands; any other key is ignored, as the live search does."""
    checks: dict[str, Callable[[object], bool]] = {
        "program": lambda wanted: wanted == "VCS",
        "assetStatus": lambda wanted: asset.assetStatus in _as_list(wanted),
        "resourceIdentifier": lambda wanted: str(wanted).lstrip("0") == str(asset.resourceIdentifier),
        "serialNumbers": lambda wanted: _serial_matches(grammar, asset.serialNumbers, str(wanted)),
    }
    return all(check(filters[name]) for name, check in checks.items() if name in filters)


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else [value]


def _serial_matches(grammar: SerialGrammar, serial: str, wanted: str) -> bool:
    """A serial filter matches the records whose units overlap it, or, when it is not a serial, by text."""
    try:
        return grammar.parse(wanted).overlaps(grammar.parse(serial))
    except (GatewayError, ValueError):
        return wanted.lower() in serial.lower()


def _csv(page: list[VerraAsset]) -> web.Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(VerraAsset.model_fields))
    writer.writeheader()
    for asset in page:
        writer.writerow(asset.model_dump())
    return web.Response(text=out.getvalue(), content_type="text/csv")


class GoldStandardPublicApi:
    """`GET /gold-standard/credits` and `/projects`: page numbers from 1, totals in headers."""

    def __init__(self, store: SandboxStore, registry: SandboxRegistry) -> None:
        self._store = store
        self._registry = registry

    async def credits(self, request: web.Request) -> web.Response:
        page = _int_param(request, "page", 1)
        size = _int_param(request, "size", GOLD_STANDARD_CREDITS_PAGE_SIZE)
        if size > GOLD_STANDARD_CREDITS_PAGE_SIZE:
            raise Refusal(
                RefusalCode.PAGE_SIZE_TOO_LARGE,
                f"size {size} is over {GOLD_STANDARD_CREDITS_PAGE_SIZE} credits a page",
            )
        query = request.query.get("query", "").strip().lower()
        rows = await asyncio.to_thread(_public_rows, self._store, self._registry.registry_id)
        matching = [credit for credit in map(self._credit, rows) if _gs_matches(credit, query)]
        headers = {
            GOLD_STANDARD_TOTAL_COUNT: str(len(matching)),
            GOLD_STANDARD_TOTAL_CREDITS: str(sum(c.number_of_credits for c in matching)),
        }
        return web.json_response([c.model_dump() for c in _page(matching, page, size)], headers=headers)

    async def projects(self, request: web.Request) -> web.Response:
        page = _int_param(request, "page", 1)
        asked = _int_param(request, "size", GOLD_STANDARD_PROJECTS_PAGE_SIZE)
        size = min(asked, GOLD_STANDARD_PROJECTS_PAGE_SIZE)  # silently clamped, as the live API does
        rows = await asyncio.to_thread(_public_rows, self._store, self._registry.registry_id)
        projects: dict[int, GoldStandardProject] = {}
        for public in rows:
            project = _gs_project(public.block)
            projects.setdefault(project.id, project)
        listed = list(projects.values())
        headers = {GOLD_STANDARD_TOTAL_COUNT: str(len(listed))}
        return web.json_response([p.model_dump() for p in _page(listed, page, size)], headers=headers)

    def _credit(self, public: PublicRow) -> GoldStandardCredit:
        block, action = public.block, public.action
        return GoldStandardCredit(
            id=public.row.row_id,
            number_of_credits=block.quantity,
            serial_number=self._registry.profile.grammar.format(block),
            vintage=int(block.vintage),
            status=self._registry.profile.word_for(public.row.status),
            certified_date=f"{block.vintage}-12-31",
            product="VER",
            labels=[],
            project=_gs_project(block),
            note=None if action is None else action.details,
            retirement_use_case=None if action is None else action.reason,
        )


def _gs_project(block: SerialBlock) -> GoldStandardProject:
    return GoldStandardProject(
        id=int(block.project_id.removeprefix("GS")),
        name=f"Sandbox project {block.project_id}",
        status="CERTIFIED",
        country_code=block.country,
        type=_PROJECT_TYPES.get(block.attributes.get("project_type", ""), "Other"),
        sustaincert_id=block.project_id,
    )


def _gs_matches(credit: GoldStandardCredit, query: str) -> bool:
    """`query=` narrows by the project's GS number or by serial text; an empty query matches all."""
    if not query:
        return True
    return query == credit.project.sustaincert_id.lower() or query in credit.serial_number.lower()


def _page(items: list[Item], page: int, size: int) -> list[Item]:
    if size < 1:
        raise Refusal(RefusalCode.INVALID_REQUEST, f"size must be at least 1, got {size}")
    first = (max(page, 1) - 1) * size
    return items[first : first + size]


def add_public_api(app: web.Application, store: SandboxStore, registries: dict[str, SandboxRegistry]) -> None:
    """Mount the public API of each evidence-based registry the sandbox hosts, under its id.

    Route names are RegistryCall values and the path carries `registry_id`, so the
    fault injector aims at these routes as at any registry call.
    """
    if VERRA in registries:
        verra = VerraPublicApi(store, registries[VERRA])
        app.router.add_post(
            "/{registry_id:verra}/uiapi/asset/asset/search", verra.search, name=RegistryCall.ASSET_SEARCH
        )
    if GOLD_STANDARD in registries:
        gold_standard = GoldStandardPublicApi(store, registries[GOLD_STANDARD])
        base = "/{registry_id:gold-standard}"
        app.router.add_get(f"{base}/credits", gold_standard.credits, name=RegistryCall.CREDITS_SEARCH)
        app.router.add_get(f"{base}/projects", gold_standard.projects, name=RegistryCall.PROJECTS_SEARCH)
