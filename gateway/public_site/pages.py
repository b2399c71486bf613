"""The public window's HTML: every page readable without JavaScript, verification added with it.

Pages are rendered whole on the server (facts, tables, inline SVG charts), so a reader
without scripts, a crawler or an archive sees everything. What only a browser can do
(checking a receipt against the chain, remembering the last tree head) is the one
script module `/static/public.js`, which reads its inputs from the page's JSON data
block. Every value is escaped; the data block cannot close its own element.
"""

from __future__ import annotations

import html
import json
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from gateway import html_page
from gateway.public_site.facts import (
    Lookup,
    Overview,
    PublicRetirement,
    PublicSettlement,
    ReconciliationSummary,
    TreeHead,
)
from gateway.public_site.words import REASONS_ZH, WORDS, Lang, word
from ledger_anchor.receipt import SettlementReceipt

SCRIPT = "/static/public.js"
# The script's own requests go to the site; a receipt is checked against whichever node the visitor names.
CONNECT = "'self' http: https:"
SCRIPT_WORDS = (
    "verifying",
    "verified",
    "not_verified",
    "step_record",
    "step_proof",
    "step_anchor",
    "step_confirmations",
    "record_mismatch",
    "bad_receipt",
    "consistency_first",
    "consistency_same",
    "consistency_ok",
    "consistency_broken",
    "consistency_none",
    "consistency_unreachable",
    "root_changed",
    "log_shrank",
)

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Noto Sans CJK SC",sans-serif;margin:0;
background:#eef3ee;color:#1d2b1f}
header{background:#21643a;color:#fff;padding:1rem 1.5rem}
header a{color:#fff}
header h1{font-size:1.3rem;margin:0}
header nav{display:flex;gap:1rem;flex-wrap:wrap;align-items:center;margin-top:.5rem}
header form{display:flex;gap:.4rem;flex:1 1 24rem}
header input{flex:1;padding:.35rem;font-size:1rem;min-width:10rem}
main{max-width:64rem;margin:1.5rem auto;background:#fff;border:1px solid #c9d8ca;border-radius:8px;padding:1.5rem}
h2{font-size:1.15rem;margin:1.75rem 0 .5rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #dde5dd;vertical-align:top}
th{color:#56705b;font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.wrap{overflow-x:auto}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem;margin:1rem 0}
dt{color:#56705b}
dd{margin:0;overflow-wrap:anywhere}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem;overflow-wrap:anywhere}
pre{background:#f5f7f5;border:1px solid #dde5dd;padding:.75rem;white-space:pre-wrap;word-break:break-all}
.muted{color:#56705b;font-size:.9rem}
.chart svg{max-width:100%;height:auto}
.panel{border:1px solid #c9d8ca;border-radius:6px;padding:1rem;margin:1rem 0;background:#f8fbf8}
.verdict{font-size:1.2rem;font-weight:700}
[data-ok="true"]{color:#1d7a3a}
[data-ok="false"]{color:#b3261e}
#consistency[data-state="broken"]{color:#b3261e;font-weight:700}
textarea{width:100%;min-height:8rem;font-family:ui-monospace,monospace}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def href(path: str, lang: Lang, **params: str) -> str:
    query = {**params, "lang": lang.value}
    return f"{path}?{urlencode(query)}"


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _data_block(data: dict[str, Any]) -> str:
    """JSON for the script; `<` escaped so no value can end the element or open a comment."""
    text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
    return f'<script type="application/json" id="page-data">{text}</script>'


def _script_data(lang: Lang, **more: Any) -> dict[str, Any]:
    reasons = REASONS_ZH if lang is Lang.ZH else {}  # in English, the verifier's own words
    return {
        "lang": lang.value,
        "words": {k: WORDS[k][lang] for k in SCRIPT_WORDS},
        "reasons": reasons,
        **more,
    }


def _layout(
    lang: Lang, title: str, body: str, *, path: str, params: dict[str, str], data: dict[str, Any]
) -> bytes:
    other = Lang.ZH if lang is Lang.EN else Lang.EN
    query = params.get("q", "")
    header = f"""<header>
<h1><a href="{_e(href("/", lang))}">{_e(word("site_title", lang))}</a></h1>
<nav>
<form action="/lookup" method="get" role="search">
<label class="muted" for="q" hidden>{_e(word("search_label", lang))}</label>
<input id="q" name="q" value="{_e(query)}" placeholder="{_e(word("search_label", lang))}" maxlength="512">
<input type="hidden" name="lang" value="{lang.value}">
<button type="submit">{_e(word("search_button", lang))}</button>
</form>
<a href="{_e(href("/verify", lang))}">{_e(word("verify_file", lang))}</a>
<a href="{_e(href(path, other, **params))}" lang="{other.value}">{_e(word("other_language", lang))}</a>
</nav>
</header>"""
    footer = f'<p class="muted">{_e(word("privacy_note", lang))}</p>'
    document = html_page.page(
        title,
        _STYLE,
        f"{body}\n{footer}\n{_data_block(data)}",
        lang="zh-CN" if lang is Lang.ZH else "en",
        module=SCRIPT,
        connect=CONNECT,
    )
    # The header sits before <main>, where html_page puts the body.
    return document.replace(b"<body>\n", b"<body>\n" + header.encode() + b"\n", 1)


def _rows(pairs: list[tuple[str, object]]) -> str:
    return "\n".join(f"<dt>{_e(name)}</dt><dd>{_e(value)}</dd>" for name, value in pairs)


def _head_facts(head: TreeHead, lang: Lang) -> str:
    return (
        "<dl>\n"
        + _rows(
            [
                (word("tree_size", lang), head.tree_size),
                (word("root", lang), head.root),
                (word("chain", lang), head.chain_id),
                (word("contract", lang), head.contract_address),
                (word("anchor_tx", lang), head.tx_hash),
                (word("block", lang), head.block_number),
            ]
        )
        + "\n</dl>"
    )


def _consistency_panel(lang: Lang) -> str:
    return f"""<section class="panel">
<h2>{_e(word("consistency", lang))}</h2>
<p id="consistency" data-state="waiting">{_e(word("consistency_noscript", lang))}</p>
</section>"""


def _settlements_table(rows: list[PublicSettlement], lang: Lang) -> str:
    if not rows:
        return f'<p class="muted">{_e(word("no_rows", lang))}</p>'
    head = "".join(
        f"<th>{_e(word(k, lang))}</th>"
        for k in ("transfer", "from", "to", "serial", "quantity", "settled_at", "anchored")
    )
    body = []
    for s in rows:
        state = word("anchored_yes" if s.anchored else "anchored_no", lang)
        if s.retired_at is not None:
            state += f" ({word('retired', lang)})"
        body.append(
            f'<tr><td><a href="{_e(href("/transfers/" + s.transfer_id, lang))}">{_e(s.transfer_id)}</a></td>'
            f"<td>{_e(s.source_registry)}/{_e(s.source_account)}</td>"
            f"<td>{_e(s.destination_registry)}/{_e(s.destination_account)}</td>"
            f"<td><code>{_e(s.serial)}</code></td><td class=n>{s.quantity:,}</td>"
            f"<td>{_e(_when(s.settled_at))}</td><td>{_e(state)}</td></tr>"
        )
    return f'<div class="wrap"><table><tr>{head}</tr>\n' + "\n".join(body) + "</table></div>"


def _retirements_table(rows: list[PublicRetirement], lang: Lang) -> str:
    if not rows:
        return f'<p class="muted">{_e(word("no_rows", lang))}</p>'
    head = "".join(
        f"<th>{_e(word(k, lang))}</th>"
        for k in ("certificate", "beneficiary", "quantity", "registry", "reason", "retired_at")
    )
    body = [
        f'<tr><td><a href="{_e(href("/certificates/" + r.certificate_id, lang))}">{_e(r.certificate_id)}</a></td>'
        f"<td>{_e(r.beneficiary)}</td><td class=n>{r.quantity:,}</td><td>{_e(r.registry_name)}</td>"
        f"<td>{_e(r.reason)}</td><td>{_e(_when(r.retired_at))}</td></tr>"
        for r in rows
    ]
    return f'<div class="wrap"><table><tr>{head}</tr>\n' + "\n".join(body) + "</table></div>"


def _reconciliations_table(rows: list[ReconciliationSummary], lang: Lang) -> str:
    if not rows:
        return f'<p class="muted">{_e(word("no_rows", lang))}</p>'
    head = "".join(
        f"<th>{_e(word(k, lang))}</th>"
        for k in ("finished_at", "result", "registries_compared", "blocks_compared", "findings")
    )
    body = [
        f"<tr><td>{_e(_when(r.finished_at))}</td><td>{_e(r.state)}</td><td class=n>{r.registries}</td>"
        f"<td class=n>{r.compared_blocks:,}</td><td class=n>{r.findings} ({r.open_findings})</td></tr>"
        for r in rows
    ]
    return f'<div class="wrap"><table><tr>{head}</tr>\n' + "\n".join(body) + "</table></div>"


def home(overview: Overview, charts: list[tuple[str, str | None]], lang: Lang) -> bytes:
    """The landing page: the tree head, the market charts, recent settlements, retirements and reports."""
    head = (
        _head_facts(overview.head, lang)
        if overview.head is not None
        else f'<p class="muted">{_e(word("no_head", lang))}</p>'
    )
    drawn = "\n".join(
        f'<figure class="chart"><figcaption>{_e(title)}</figcaption>{svg}</figure>'
        if svg is not None
        else f'<p class="muted">{_e(title)}: {_e(word("no_market", lang))}</p>'
        for title, svg in charts
    )
    downloads = " · ".join(f'<a href="/api/market.{kind}">{kind.upper()}</a>' for kind in ("json", "csv"))
    body = f"""<p>{_e(word("tagline", lang))}</p>
<h2>{_e(word("tree_head", lang))}</h2>
{head}
<p class="muted">{_e(word("log_size", lang))}: {overview.log_size:,}</p>
{_consistency_panel(lang)}
<h2>{_e(word("market", lang))}</h2>
{drawn}
<p class="muted">{_e(word("data_downloads", lang))}: {downloads}</p>
<h2>{_e(word("recent_settlements", lang))}</h2>
{_settlements_table(overview.settlements, lang)}
<h2>{_e(word("recent_retirements", lang))}</h2>
{_retirements_table(overview.retirements, lang)}
<h2>{_e(word("reconciliations", lang))}</h2>
{_reconciliations_table(overview.reconciliations, lang)}"""
    return _layout(lang, word("site_title", lang), body, path="/", params={}, data=_script_data(lang))


def _settlement_facts(s: PublicSettlement, lang: Lang) -> str:
    return (
        "<dl>\n"
        + _rows(
            [
                (word("transfer", lang), s.transfer_id),
                (word("from", lang), f"{s.source_registry_name} ({s.source_registry}), {s.source_account}"),
                (
                    word("to", lang),
                    f"{s.destination_registry_name} ({s.destination_registry}), {s.destination_account}",
                ),
                (word("serial", lang), s.serial),
                (word("quantity", lang), f"{s.quantity:,}"),
                (word("programme", lang), s.programme),
                (word("unit_type", lang), s.unit_type),
                (word("project", lang), s.project_id),
                (word("vintage", lang), s.vintage),
                (word("settled_at", lang), _when(s.settled_at)),
                (word("leaf_index", lang), s.leaf_index),
                (word("anchored", lang), word("anchored_yes" if s.anchored else "anchored_no", lang)),
            ]
        )
        + "\n</dl>"
    )


def _verification(s: PublicSettlement, receipt: SettlementReceipt | None, node: str, lang: Lang) -> str:
    if receipt is None:
        return f'<h2>{_e(word("receipt", lang))}</h2>\n<p class="muted">{_e(word("no_receipt", lang))}</p>'
    download = href(f"/receipts/{s.transfer_id}.json", lang)
    return f"""<h2>{_e(word("verification", lang))}</h2>
<section class="panel" id="verify-panel">
<p>{_e(word("verify_how", lang))}</p>
<noscript><p>{_e(word("noscript", lang))}</p></noscript>
<p><label for="chain-node">{_e(word("chain_node", lang))}</label>
<input id="chain-node" size="40" value="{_e(node)}">
<button type="button" id="verify-button">{_e(word("verify_button", lang))}</button></p>
<p class="verdict" id="verdict" data-ok=""></p>
<ul id="verify-steps"></ul>
</section>
<h2>{_e(word("receipt", lang))}</h2>
<p><a href="{_e(download)}" download="receipt-{_e(s.transfer_id)}.json">{_e(word("download_receipt", lang))}</a></p>
<pre id="receipt-json">{_e(receipt.model_dump_json(indent=2))}</pre>"""


def _record(s: PublicSettlement) -> dict[str, Any]:
    """What the script checks the leaf against: the fields the page shows."""
    return {
        "transfer_id": s.transfer_id,
        "source_registry": s.source_registry,
        "source_account": s.source_account,
        "destination_registry": s.destination_registry,
        "destination_account": s.destination_account,
        "serial_space": s.serial_space,
        "start": str(s.start),
        "end": str(s.end),
        "quantity": str(s.quantity),
    }


def _verify_data(
    lang: Lang, s: PublicSettlement, receipt: SettlementReceipt | None, node: str
) -> dict[str, Any]:
    return _script_data(
        lang,
        record=_record(s),
        receipt=receipt.model_dump(mode="json") if receipt is not None else None,
        node=node,
    )


def _settlement_section(s: PublicSettlement, receipt: SettlementReceipt | None, node: str, lang: Lang) -> str:
    """A settlement's facts with its verify and history panels: both record pages end so."""
    return f"""<h2>{_e(word("settlement", lang))} {_e(s.transfer_id)}</h2>
{_settlement_facts(s, lang)}
{_verification(s, receipt, node, lang)}
{_consistency_panel(lang)}"""


def settlement_page(s: PublicSettlement, receipt: SettlementReceipt | None, node: str, lang: Lang) -> bytes:
    return _layout(
        lang,
        f"{word('settlement', lang)} {s.transfer_id}",
        _settlement_section(s, receipt, node, lang),
        path=f"/transfers/{s.transfer_id}",
        params={},
        data=_verify_data(lang, s, receipt, node),
    )


def retirement_page(
    r: PublicRetirement, s: PublicSettlement, receipt: SettlementReceipt | None, node: str, lang: Lang
) -> bytes:
    facts = (
        "<dl>\n"
        + _rows(
            [
                (word("certificate", lang), r.certificate_id),
                (word("beneficiary", lang), f"{r.beneficiary} ({r.beneficiary_kind})"),
                (word("reason", lang), r.reason),
                (word("serial", lang), r.serial),
                (word("quantity", lang), f"{r.quantity:,}"),
                (word("unit_type", lang), r.unit_type),
                (word("registry", lang), f"{r.registry_name} ({r.registry})"),
                (word("retired_at", lang), _when(r.retired_at)),
                (word("operator", lang), r.operator),
            ]
        )
        + "\n</dl>"
    )
    body = f"""<h2>{_e(word("certificate", lang))} {_e(r.certificate_id)}</h2>
{facts}
{_settlement_section(s, receipt, node, lang)}"""
    return _layout(
        lang,
        f"{word('certificate', lang)} {r.certificate_id}",
        body,
        path=f"/certificates/{r.certificate_id}",
        params={},
        data=_verify_data(lang, s, receipt, node),
    )


def trail_page(found: Lookup, lang: Lang) -> bytes:
    body = f"""<h2>{_e(word("trail", lang, query=found.query))}</h2>
{_settlements_table(found.trail, lang)}"""
    return _layout(
        lang,
        word("trail", lang, query=found.query),
        body,
        path="/lookup",
        params={"q": found.query},
        data=_script_data(lang),
    )


def not_found_page(lang: Lang, *, query: str | None = None, message: str | None = None) -> bytes:
    if message is None:
        message = word("page_not_found", lang) if query is None else word("not_found_text", lang, query=query)
    body = f"<h2>{_e(word('not_found', lang))}</h2>\n<p>{_e(message)}</p>"
    params = {"q": query} if query else {}
    return _layout(
        lang,
        word("not_found", lang),
        body,
        path="/lookup" if query else "/",
        params=params,
        data=_script_data(lang),
    )


def verify_file_page(node: str, lang: Lang) -> bytes:
    """Check a receipt someone holds, with nothing of the gateway's but this page."""
    body = f"""<h2>{_e(word("verify_file", lang))}</h2>
<section class="panel" id="verify-panel">
<p>{_e(word("verify_how", lang))}</p>
<noscript><p>{_e(word("noscript", lang))}</p></noscript>
<p><label for="receipt-file">{_e(word("paste_receipt", lang))}</label></p>
<p><input type="file" id="receipt-file" accept="application/json,.json"></p>
<textarea id="receipt-text" spellcheck="false"></textarea>
<p><label for="chain-node">{_e(word("chain_node", lang))}</label>
<input id="chain-node" size="40" value="{_e(node)}">
<button type="button" id="verify-button">{_e(word("verify_button", lang))}</button></p>
<p class="verdict" id="verdict" data-ok=""></p>
<ul id="verify-steps"></ul>
</section>"""
    return _layout(
        lang,
        word("verify_file", lang),
        body,
        path="/verify",
        params={},
        data=_script_data(lang, node=node, receipt=None, record=None),
    )
