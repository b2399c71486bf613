"""The public window in headless chromium: anyone looks up a settlement and verifies it in the browser.

The gateway is the session's, started as `carbon-gateway up` starts it; the browser is Debian's
chromium, talking to the site and to the embedded chain's JSON-RPC over loopback like any visitor.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from gateway.runtime import EmbeddedGateway
from ledger_anchor.verify import verify_receipt_file
from protos.carbon.gateway.v1 import finance_pb2_grpc, transfer_pb2_grpc
from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.e2e.sandbox_admin import SandboxAdmin, conserving
from tests.e2e.serials import CcerSerial, ccer_serials
from tests.e2e.test_anchoring import anchored, settle
from tests.e2e.test_finance_retirement import PERSON, ended, open_account, retire

pytestmark = pytest.mark.e2e
HEAD_KEY = "carbon-gateway:tree-head"
VERDICT_S = 20_000  # ms: the check reads the chain several times


@dataclass
class Settled:
    """Two anchored settlements and a private person's retirement, shared by the module's tests."""

    site: str
    transfer_ids: list[str]
    serial: str
    certificate_id: str
    head: dict[str, Any]


@pytest.fixture(scope="module")
async def settled(gateway: EmbeddedGateway, channel) -> AsyncIterator[Settled]:
    async with conserving(gateway.sandbox_url) as sandbox:
        yield await _settle_for_the_window(gateway, channel, sandbox, ccer_serials())


async def _settle_for_the_window(
    gateway: EmbeddedGateway, channel, sandbox: SandboxAdmin, ccer_serial: CcerSerial
) -> Settled:
    transfers = transfer_pb2_grpc.TransferServiceStub(channel)
    finance = finance_pb2_grpc.FinanceServiceStub(channel)
    ids = ["public-window-1", "public-window-2"]
    serials = [ccer_serial(1, 10), ccer_serial(11, 20)]
    for transfer_id, serial in zip(ids, serials, strict=True):
        await settle(transfers, sandbox, transfer_id, serial, transfer_id)
    for transfer_id in ids:
        await anchored(transfers, transfer_id)
    holding, pb_id = "public-window-pb", "pb-public-window"
    await sandbox.seed("cn-ccer", holding, ccer_serial(21, 25))
    await open_account(finance, pb_id, holding, "Wei Zhang", kind=PERSON, private=True)
    await finance.RetireForBeneficiary(retire("public-window", pb_id, ccer_serial(21, 25)))
    await ended(finance, "public-window")
    site = gateway.addresses()["Public window"]
    async with httpx.AsyncClient() as http, asyncio.timeout(30):
        # Once the retirement's settlement has its receipt, nothing of this module moves the head.
        while (await http.get(f"{site}/api/transfers/retire-public-window")).json()["receipt"] is None:
            await asyncio.sleep(0.3)
        head = (await http.get(f"{site}/api/tree-head")).json()
    return Settled(site, ids, serials[0], "cert-public-window", head)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    require_chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@dataclass
class Visit:
    """A page and the errors it logged or threw."""

    context: BrowserContext
    page: Page
    errors: list[str] = field(default_factory=list)


async def visit(
    browser: Browser, url: str, *, javascript: bool = True, head: dict[str, Any] | None = None
) -> Visit:
    context = await browser.new_context(java_script_enabled=javascript)
    page = await context.new_page()
    seen = Visit(context, page)
    page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.errors.append(str(e)))
    if head is not None:  # the tree head "seen on an earlier visit"
        await context.add_init_script(f"localStorage.setItem({HEAD_KEY!r}, {json.dumps(json.dumps(head))})")
    await page.goto(url, wait_until="load")
    return seen


async def verdict(page: Page) -> tuple[str, str]:
    await page.wait_for_selector('#verdict[data-ok="true"], #verdict[data-ok="false"]', timeout=VERDICT_S)
    el = page.locator("#verdict")
    return (await el.get_attribute("data-ok") or "", await el.inner_text())


async def history(page: Page) -> tuple[str, str]:
    await page.wait_for_selector('#consistency:not([data-state="waiting"])', timeout=VERDICT_S)
    el = page.locator("#consistency")
    return (await el.get_attribute("data-state") or "", await el.inner_text())


async def test_the_home_page_shows_the_market_and_the_anchored_head_without_errors(browser, settled):
    seen = await visit(browser, settled.site + "/")
    body = await seen.page.inner_text("body")
    assert settled.head["root"] in body and settled.head["tx_hash"] in body
    for transfer_id in settled.transfer_ids:
        assert transfer_id in body
    assert await seen.page.locator("figure.chart svg").count() == 4
    assert "a private individual" in body and "Wei Zhang" not in await seen.page.content()
    assert await history(seen.page) == ("first", await seen.page.locator("#consistency").inner_text())
    assert seen.errors == []
    await seen.context.close()


async def test_a_looked_up_settlement_verifies_in_the_browser(browser, settled):
    seen = await visit(browser, settled.site + "/?lang=en")
    await seen.page.fill("#q", settled.transfer_ids[0])
    await seen.page.click("header button[type=submit]")
    await seen.page.wait_for_url(f"**/transfers/{settled.transfer_ids[0]}?lang=en")
    ok, text = await verdict(seen.page)
    assert ok == "true", text
    assert text.startswith("Verified: leaf ")
    steps = await seen.page.locator("#verify-steps li").all_inner_texts()
    assert len(steps) == 4 and all(s.startswith("✔") for s in steps), steps
    assert seen.errors == []
    await seen.context.close()


async def test_a_tampered_receipt_is_not_verified_and_says_why(browser, settled, gateway, tmp_path):
    async with httpx.AsyncClient() as http:
        downloaded = await http.get(f"{settled.site}/receipts/{settled.transfer_ids[1]}.json")
    assert downloaded.headers["Content-Disposition"].startswith("attachment;")
    (tmp_path / "receipt.json").write_bytes(downloaded.content)
    assert (await asyncio.to_thread(verify_receipt_file, tmp_path / "receipt.json", gateway.chain_url)).ok
    receipt = downloaded.json()
    tampered = receipt | {"leaf": receipt["leaf"][:-2] + ("00" if receipt["leaf"][-2:] != "00" else "01")}
    seen = await visit(browser, settled.site + "/verify")
    await seen.page.fill("#receipt-text", json.dumps(tampered))
    await seen.page.click("#verify-button")
    ok, text = await verdict(seen.page)
    assert ok == "false"
    assert "inclusion proof leads to root" in text and receipt["root"] in text
    await seen.page.fill("#receipt-text", json.dumps(receipt))
    await seen.page.click("#verify-button")
    assert (await verdict(seen.page))[0] == "true"
    await seen.page.fill("#receipt-text", "not a receipt")
    await seen.page.click("#verify-button")
    assert await verdict(seen.page) == ("false", "Not verified: this is not a settlement receipt")
    assert seen.errors == []
    await seen.context.close()
    # A Chinese page says why in Chinese, with the same figures.
    seen = await visit(browser, settled.site + "/verify?lang=zh")
    await seen.page.fill("#receipt-text", json.dumps(tampered))
    await seen.page.click("#verify-button")
    ok, text = await verdict(seen.page)
    assert ok == "false"
    assert "包含证明得出的根为" in text and receipt["root"] in text and "inclusion" not in text, text
    assert seen.errors == []
    await seen.context.close()


async def test_a_returning_visitor_sees_a_rewritten_log_flagged(browser, settled):
    size = settled.head["tree_size"]
    async with httpx.AsyncClient() as http:
        earlier = (
            await http.get(f"{settled.site}/api/consistency?from_size={size - 1}&to_size={size}")
        ).json()
    genuine = {"tree_size": size - 1, "root": earlier["from_root"]}
    seen = await visit(browser, settled.site + "/", head=genuine)
    state, text = await history(seen.page)
    assert state == "ok", text
    assert f"from size {size - 1} to {size}" in text
    await seen.context.close()

    rewritten = {"tree_size": size - 1, "root": "0x" + "ab" * 32}
    seen = await visit(browser, settled.site + "/", head=rewritten)
    state, text = await history(seen.page)
    assert state == "broken" and text.startswith("WARNING: the log's history was rewritten"), text
    # The head seen before is kept, so the warning shows on every later visit too.
    kept = await seen.page.evaluate(f"localStorage.getItem({HEAD_KEY!r})")
    assert json.loads(kept) == rewritten
    await seen.context.close()


async def test_without_javascript_everything_reads_and_in_chinese_too(browser, settled):
    seen = await visit(
        browser, f"{settled.site}/transfers/{settled.transfer_ids[0]}?lang=zh", javascript=False
    )
    body = await seen.page.inner_text("body")
    assert "碳信用结算公示" in body and settled.transfer_ids[0] in body and settled.serial in body
    assert "验证需在浏览器中启用 JavaScript" in body
    assert await seen.page.get_attribute("html", "lang") == "zh-CN"
    await seen.context.close()


async def test_a_serial_and_a_certificate_are_found_and_the_private_name_is_withheld(browser, settled):
    async with httpx.AsyncClient(follow_redirects=False) as http:
        trail = await http.get(f"{settled.site}/lookup", params={"q": settled.serial})
        to_certificate = await http.get(f"{settled.site}/lookup", params={"q": settled.certificate_id})
        nothing = await http.get(f"{settled.site}/lookup", params={"q": "no-such-thing"})
        oversized = await http.get(f"{settled.site}/lookup", params={"q": "x" * 5000})
    assert trail.status_code == 200 and settled.transfer_ids[0] in trail.text
    assert to_certificate.status_code == 303
    assert to_certificate.headers["Location"].startswith(f"/certificates/{settled.certificate_id}")
    assert nothing.status_code == 404 and "no-such-thing" in nothing.text
    assert oversized.status_code == 400 and "x" * 600 not in oversized.text
    seen = await visit(browser, settled.site + to_certificate.headers["Location"])
    assert (await verdict(seen.page))[0] == "true"
    content = await seen.page.content()
    assert "a private individual" in content and "Wei Zhang" not in content
    assert seen.errors == []
    await seen.context.close()
