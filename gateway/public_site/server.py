"""The public window over HTTP: read-only, no login, on its own port (`public_port`).

Pages for people (`/`, `/lookup`, `/transfers/{id}`, `/certificates/{id}`, `/verify`),
receipts to download (`/receipts/{id}.json`), and the JSON a script or a machine reads
(`/api/tree-head`, `/api/consistency`, `/api/market.json|csv`, `/api/transfers/{id}`).
Nothing here writes. Every ledger read runs in a thread, so a slow page never stalls the
gateway's event loop; the market charts are drawn once per log size and language.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections import defaultdict
from importlib import resources
from typing import Any

from aiohttp import web

from domain.errors import InvalidInput, PreconditionFailed
from domain.reconciliation_report import Volume
from gateway import reconciliation_charts
from gateway.public_site import facts, pages
from gateway.public_site.words import Lang, lang_of, word
from gateway.settlement_proofs import consistency
from ledger import Ledger
from ledger.public_book import MarketCell

_log = logging.getLogger(__name__)
MAX_QUERY = 512
_STATIC = {"public.js": "text/javascript", "verify.js": "text/javascript"}
_HTML = "text/html"
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def _lang(request: web.Request) -> Lang:
    return lang_of(request.query.get("lang"), request.headers.get("Accept-Language"))


def _page(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, content_type=_HTML, charset="utf-8")


def _json_error(status: int, field: str, message: str) -> web.Response:
    return web.json_response({"error": {"field": field, "message": message}}, status=status)


def market_csv(cells: list[MarketCell]) -> str:
    out = io.StringIO()
    names = list(MarketCell.model_fields)
    writer = csv.writer(out)
    writer.writerow(names)
    for cell in cells:
        writer.writerow([getattr(cell, n) for n in names])
    return out.getvalue()


def market_charts(cells: list[MarketCell], lang: Lang) -> list[tuple[str, str | None]]:
    """The home page's charts as (title, inline SVG or None when there is nothing to draw)."""
    monthly: dict[tuple[str, str], int] = defaultdict(int)
    by_type: dict[str, int] = defaultdict(int)
    by_vintage: dict[str, int] = defaultdict(int)
    by_registry: dict[str, int] = defaultdict(int)
    for c in cells:
        monthly[(c.destination_registry, c.month)] += c.units
        by_type[f"{c.programme} {c.unit_type}"] += c.units
        by_vintage[c.vintage] += c.units
        by_registry[c.destination_registry] += c.units
    volumes = [Volume(registry_id=r, month=m, units=u) for (r, m), u in sorted(monthly.items())]
    units = word("units", lang)
    figures = [
        (
            word("by_month", lang),
            reconciliation_charts.volumes_figure(volumes, ylabel=units, legend_title=word("registry", lang)),
        ),
        (word("by_registry", lang), reconciliation_charts.bars_figure(dict(by_registry), units)),
        (word("by_unit_type", lang), reconciliation_charts.bars_figure(dict(by_type), units)),
        (word("by_vintage", lang), reconciliation_charts.bars_figure(dict(by_vintage), units)),
    ]
    return [(title, reconciliation_charts.as_svg(f) if f is not None else None) for title, f in figures]


class PublicSite:
    """The site's handlers over one ledger; `chain_node` is the JSON-RPC node pages offer for checks."""

    def __init__(self, ledger: Ledger, chain_node: str) -> None:
        self.ledger = ledger
        self.chain_node = chain_node
        self._market: tuple[int, list[MarketCell]] | None = None
        self._charts: dict[tuple[int, Lang], list[tuple[str, str | None]]] = {}

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._headers_and_errors])
        app.add_routes(
            [
                web.get("/", self.home),
                web.get("/lookup", self.lookup),
                web.get("/transfers/{transfer_id}", self.transfer),
                web.get("/certificates/{certificate_id}", self.certificate),
                web.get("/receipts/{transfer_id}.json", self.receipt),
                web.get("/verify", self.verify),
                web.get("/static/{name}", self.static),
                web.get("/api/tree-head", self.api_tree_head),
                web.get("/api/consistency", self.api_consistency),
                web.get("/api/market.json", self.api_market_json),
                web.get("/api/market.csv", self.api_market_csv),
                web.get("/api/transfers/{transfer_id}", self.api_transfer),
            ]
        )
        return app

    @web.middleware
    async def _headers_and_errors(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Security headers on everything; an unknown path is the site's own 404, never a trace."""
        try:
            response: web.StreamResponse = await handler(request)
        except web.HTTPNotFound:
            response = (
                _json_error(404, "path", "no such resource")
                if request.path.startswith("/api/")
                else _page(pages.not_found_page(_lang(request)), status=404)
            )
        except web.HTTPException:
            raise
        except Exception:
            _log.exception("public site: %s failed", request.path)
            response = web.Response(status=500, text="the public window could not answer; try again shortly")
        response.headers.update(_SECURITY_HEADERS)
        return response

    async def _cached_market(self) -> tuple[int, list[MarketCell]]:
        size = await asyncio.to_thread(self.ledger.log_size)
        if self._market is None or self._market[0] != size:
            self._market = (size, await asyncio.to_thread(self.ledger.public.market))
        return self._market

    async def home(self, request: web.Request) -> web.Response:
        lang = _lang(request)
        size, market = await self._cached_market()
        overview = await asyncio.to_thread(facts.overview, self.ledger, market)
        key = (size, lang)
        if key not in self._charts:
            self._charts = {key: await asyncio.to_thread(market_charts, market, lang)} | {
                k: v for k, v in self._charts.items() if k[0] == size
            }
        return _page(pages.home(overview, self._charts[key], lang))

    async def lookup(self, request: web.Request) -> web.Response:
        lang = _lang(request)
        query = request.query.get("q", "").strip()
        if not query:
            return _page(pages.not_found_page(lang, message=word("bad_query", lang)), status=400)
        if len(query) > MAX_QUERY:
            return _page(
                pages.not_found_page(lang, message=word("too_long", lang, limit=MAX_QUERY)), status=400
            )
        found = await asyncio.to_thread(facts.lookup, self.ledger, query)
        if found.settlement is not None:
            raise web.HTTPSeeOther(pages.href(f"/transfers/{found.settlement.transfer_id}", lang))
        if found.retirement is not None:
            raise web.HTTPSeeOther(pages.href(f"/certificates/{found.retirement.certificate_id}", lang))
        if found.trail:
            return _page(pages.trail_page(found, lang))
        return _page(pages.not_found_page(lang, query=query), status=404)

    async def transfer(self, request: web.Request) -> web.Response:
        lang = _lang(request)
        transfer_id = request.match_info["transfer_id"]
        settled = await asyncio.to_thread(facts.settlement, self.ledger, transfer_id)
        if settled is None:
            return _page(pages.not_found_page(lang, query=transfer_id[:MAX_QUERY]), status=404)
        receipt = await asyncio.to_thread(facts.receipt, self.ledger, transfer_id)
        return _page(pages.settlement_page(settled, receipt, self.chain_node, lang))

    async def certificate(self, request: web.Request) -> web.Response:
        lang = _lang(request)
        certificate_id = request.match_info["certificate_id"]
        retired = await asyncio.to_thread(facts.retirement, self.ledger, certificate_id)
        settled = (
            await asyncio.to_thread(facts.settlement, self.ledger, retired.transfer_id) if retired else None
        )
        if retired is None or settled is None:
            return _page(pages.not_found_page(lang, query=certificate_id[:MAX_QUERY]), status=404)
        receipt = await asyncio.to_thread(facts.receipt, self.ledger, retired.transfer_id)
        return _page(pages.retirement_page(retired, settled, receipt, self.chain_node, lang))

    async def receipt(self, request: web.Request) -> web.Response:
        transfer_id = request.match_info["transfer_id"]
        settled = await asyncio.to_thread(facts.settlement, self.ledger, transfer_id)
        receipt = await asyncio.to_thread(facts.receipt, self.ledger, transfer_id) if settled else None
        if receipt is None:
            return _json_error(404, "transfer_id", "no anchored settlement with that transfer id")
        return web.Response(
            text=receipt.model_dump_json(indent=2) + "\n",
            content_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="receipt-{transfer_id}.json"'},
        )

    async def verify(self, request: web.Request) -> web.Response:
        return _page(pages.verify_file_page(self.chain_node, _lang(request)))

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in _STATIC:
            raise web.HTTPNotFound()
        text = resources.files("gateway.public_site").joinpath("static", name).read_text(encoding="utf-8")
        return web.Response(text=text, content_type=_STATIC[name], headers={"Cache-Control": "no-cache"})

    async def api_tree_head(self, request: web.Request) -> web.Response:
        head = facts.tree_head(await asyncio.to_thread(self.ledger.latest_final_anchor))
        if head is None:
            return _json_error(404, "tree_head", "no tree head is anchored and final yet")
        return web.json_response(head.model_dump(mode="json"))

    async def api_consistency(self, request: web.Request) -> web.Response:
        sizes = {}
        for name in ("from_size", "to_size"):
            raw = request.query.get(name, "")
            if not raw.isdigit() or len(raw) > 20:
                return _json_error(400, name, f"{name} must be a whole number")
            sizes[name] = int(raw)
        try:
            proof = await asyncio.to_thread(consistency, self.ledger, sizes["from_size"], sizes["to_size"])
        except InvalidInput as exc:
            violation = exc.violations[0]
            return _json_error(400, violation.field, violation.description)
        except PreconditionFailed as exc:
            return _json_error(409, exc.field or "", str(exc))
        return web.json_response(
            {
                "from_size": proof.from_size,
                "to_size": proof.to_size,
                "from_root": "0x" + proof.from_root.hex(),
                "to_root": "0x" + proof.to_root.hex(),
                "proof": ["0x" + node.hex() for node in proof.proof],
            }
        )

    async def api_market_json(self, request: web.Request) -> web.Response:
        _, market = await self._cached_market()
        return web.json_response([cell.model_dump() for cell in market])

    async def api_market_csv(self, request: web.Request) -> web.Response:
        _, market = await self._cached_market()
        return web.Response(text=market_csv(market), content_type="text/csv")

    async def api_transfer(self, request: web.Request) -> web.Response:
        transfer_id = request.match_info["transfer_id"]
        settled = await asyncio.to_thread(facts.settlement, self.ledger, transfer_id)
        if settled is None:
            return _json_error(404, "transfer_id", "no settled transfer with that id")
        receipt = await asyncio.to_thread(facts.receipt, self.ledger, transfer_id)
        return web.json_response(
            {
                "settlement": settled.model_dump(mode="json"),
                "receipt": receipt.model_dump(mode="json") if receipt is not None else None,
            }
        )


class PublicSiteServer:
    """The site bound to a host and port; `url` once started."""

    def __init__(self, site: PublicSite) -> None:
        self._site = site
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self, host: str, port: int) -> str:
        self._runner = web.AppRunner(self._site.app(), access_log=None, shutdown_timeout=2)
        await self._runner.setup()
        tcp = web.TCPSite(self._runner, host, port)
        await tcp.start()
        bound = self._runner.addresses[0][1]
        self.url = f"http://{host}:{bound}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
