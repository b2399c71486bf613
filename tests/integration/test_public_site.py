"""The public window over real HTTP on an empty ledger: its refusals, headers and words.

The pages with settlements on them, and verification in the browser, are the end-to-end
test's (tests/e2e/test_public_window.py); here is what holds before anything settles.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from gateway.public_site import pages
from gateway.public_site.facts import PublicSettlement
from gateway.public_site.server import PublicSite, PublicSiteServer
from gateway.public_site.words import WORDS, Lang, lang_of
from ledger import Ledger

HOSTILE = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"


@pytest.fixture(scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    path: Path = tmp_path_factory.mktemp("public") / "ledger.sqlite3"
    ledger = Ledger.open(f"sqlite:///{path}")
    server = PublicSiteServer(PublicSite(ledger, "http://127.0.0.1:8545"))
    url = await server.start("127.0.0.1", 0)
    yield url
    await server.stop()
    ledger.close()


async def get(url: str, **params: str) -> httpx.Response:
    async with httpx.AsyncClient(follow_redirects=False) as http:
        return await http.get(url, params=params)


def test_every_word_is_in_both_languages() -> None:
    for key, texts in WORDS.items():
        assert set(texts) == set(Lang), key
        assert all(t.strip() for t in texts.values()), key
    assert set(pages.SCRIPT_WORDS) <= set(WORDS)


@pytest.mark.parametrize(
    ("asked", "accept", "lang"),
    [
        ("zh", "en", Lang.ZH),
        (None, "zh-CN,zh;q=0.9,en;q=0.8", Lang.ZH),
        (None, "fr-FR,en;q=0.5", Lang.EN),
        ("de", None, Lang.EN),
        (None, None, Lang.EN),
    ],
)
def test_the_language_is_asked_for_or_the_browsers(asked, accept, lang) -> None:
    assert lang_of(asked, accept) is lang


async def test_an_empty_log_reads_as_such_with_the_policy_and_headers(site: str) -> None:
    home = await get(site + "/")
    assert home.status_code == 200 and home.headers["Content-Type"].startswith("text/html")
    assert "No tree head is anchored yet." in home.text and "Nothing has settled yet." in home.text
    assert "script-src 'self'" in home.text and "default-src 'none'" in home.text
    assert home.headers["X-Content-Type-Options"] == "nosniff"
    zh = await get(site + "/", lang="zh")
    assert '<html lang="zh-CN">' in zh.text and "尚无已锚定的树头。" in zh.text


async def test_the_api_refuses_bad_input_naming_the_field(site: str) -> None:
    head = await get(site + "/api/tree-head")
    assert head.status_code == 404 and head.json()["error"]["field"] == "tree_head"
    for params, field in [
        ({"from_size": "x", "to_size": "1"}, "from_size"),
        ({"from_size": "1"}, "to_size"),
        ({"from_size": "1", "to_size": "9" * 40}, "to_size"),
        ({"from_size": "1", "to_size": "5"}, "to_size"),
        ({"from_size": "0", "to_size": "0"}, "from_size"),
    ]:
        refused = await get(site + "/api/consistency", **params)
        assert refused.status_code == 400, params
        error = refused.json()["error"]
        assert error["field"] == field, params
        assert "Traceback" not in refused.text and "9" * 40 not in refused.text
    missing = await get(site + "/api/transfers/nobody")
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "transfer_id"
    assert (await get(site + "/api/nothing-here")).json()["error"]["field"] == "path"
    assert (await get(site + "/api/market.json")).json() == []
    assert (await get(site + "/api/market.csv")).text.startswith("source_registry,destination_registry,")


async def test_unknown_pages_and_lookups_are_the_sites_own_not_found(site: str) -> None:
    page = await get(site + "/no/such/page")
    assert page.status_code == 404 and "There is no such page." in page.text
    lookup = await get(site + "/lookup", q=HOSTILE)
    assert lookup.status_code == 404
    assert HOSTILE not in lookup.text and "&lt;/script&gt;" in lookup.text
    assert (await get(site + "/lookup", q="  ")).status_code == 400
    for name in ("verify.js", "public.js"):
        script = await get(f"{site}/static/{name}")
        assert script.status_code == 200 and script.headers["Content-Type"].startswith("text/javascript")
    assert (await get(site + "/static/..%2Fserver.py")).status_code == 404
    assert (await get(site + "/receipts/nobody.json")).status_code == 404


def test_a_hostile_value_stays_text_in_the_page_and_its_data_block() -> None:
    shown = PublicSettlement(
        transfer_id=HOSTILE,
        source_registry="cn-ccer",
        source_registry_name="China CCER",
        source_account=HOSTILE,
        destination_registry="cn-sz-ets",
        destination_registry_name="Shenzhen",
        destination_account="b",
        serial="s",
        serial_space="ccer",
        start=1,
        end=2,
        quantity=2,
        programme="CCER",
        unit_type="CCER",
        project_id="p",
        vintage="2024",
        settled_at=datetime(2026, 1, 2, tzinfo=UTC),
        leaf_index=0,
        anchored=False,
    )
    page = pages.settlement_page(shown, None, "http://node", Lang.EN).decode()
    assert HOSTILE not in page
    assert page.count("</script>") == 2  # the data block's and the module's own, nothing injected
    assert "\\u003c/script>" in page
