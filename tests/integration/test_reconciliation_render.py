"""A reconciliation report in all four forms: JSON reads back, CSV stays inert in a spreadsheet,
the HTML page works in a real chromium with nothing fetched and nothing injected running, and the
PDF carries every section and finding.

The browser is Debian's chromium (the Makefile installs it); without it the browser tests skip
on a workstation and fail under CI, so CI cannot pass without having run them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pypdf
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Request, sync_playwright

from domain.errors import InvalidInput
from domain.reconciliation import (
    FindingClass,
    FindingCode,
    Resolution,
    ResultState,
    TotalsRow,
    TrailEntry,
    finding,
)
from domain.reconciliation_report import Flow, ReconciliationReport, RegistrySnapshot, Volume
from gateway import reconciliation_render as rr
from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium

RUN = "rec-2025-04"
AT = datetime(2025, 4, 1, 2, 0, tzinfo=UTC)
INJECTED = "<script>alert(1)</script>"
AMPERSAND_REGISTRY = "hk-core&climate"
NOTE = "Corresponding adjustment applied by the host party; letter 17 on file."


def _report() -> ReconciliationReport:
    resolved = Resolution(
        note=NOTE, resolved_by="regulator:sz-eeb", resolved_at=AT + timedelta(hours=5), reconciliation_id=RUN
    )
    earlier = Resolution(
        note="Registry corrected the block.",
        resolved_by="regulator:gd-deec",
        resolved_at=AT - timedelta(days=20),
        reconciliation_id="rec-2025-03",
    )
    trail = [
        TrailEntry(
            transfer_id="t-2207",
            at=AT - timedelta(days=3),
            kind="trade",
            state="SETTLED",
            source="cn-sz-ets/sz-emitter-7",
            destination="cn-gd-ets/gd-cement-2",
            quantity=500,
            serial="GDEA-2024-00010000-00010499",
        )
    ]
    findings = [
        finding(
            FindingCode.STUCK,
            "transfer t-2301 has waited 9 days past its deadline for the holder's immobilisation",
            "t-2301",
            finding_id=f"{RUN}-1",
            registry_id="verra",
            account_id="vcs-owner-4",
            transfer_ids=["t-2301"],
            transfer_state="AWAITING_EVIDENCE",
            occurred_at=AT - timedelta(days=9),
            quantity=1200,
        ),
        finding(
            FindingCode.DOUBLE_COUNTING,
            f"refused: {INJECTED} the serials were already used for an NDC claim",
            "t-2310",
            finding_id=f"{RUN}-2",
            cause="DC-USE",
            registry_id=AMPERSAND_REGISTRY,
            account_id="hk-bank-1",
            transfer_ids=["t-2310", "t-2311"],
            transfer_state="REFUSED",
            occurred_at=AT - timedelta(days=2),
            quantity=300,
        ),
        finding(
            FindingCode.UNADJUSTED,
            "an Article 6 use abroad has no applied corresponding adjustment",
            "t-2290",
            finding_id=f"{RUN}-3",
            registry_id="a64-mechanism",
            account_id="host-xx",
            transfer_ids=["t-2290"],
            transfer_state="SETTLED",
            occurred_at=AT - timedelta(days=12),
            quantity=40,
            resolution=resolved,
        ),
        finding(
            FindingCode.MISSING,
            "the ledger puts 500 units (gdea 10000-10499) in cn-gd-ets/gd-cement-2; cn-gd-ets does not show them",
            "cn-gd-ets",
            "gd-cement-2",
            finding_id=f"{RUN}-4",
            registry_id="cn-gd-ets",
            account_id="gd-cement-2",
            serial_space="gdea",
            start=10000,
            end=10499,
            serial="GDEA-2024-00010000-00010499",
            quantity=500,
            unit_class="GDEA",
            vintage="2024",
            transfer_ids=["t-2207"],
            trail=trail,
        ),
        finding(
            FindingCode.EXTRA,
            '=HYPERLINK("x") cn-sz-ets shows 20 units (szea 500-519) live in sz-trader-3',
            "cn-sz-ets",
            "sz-trader-3",
            finding_id=f"{RUN}-5",
            registry_id="cn-sz-ets",
            account_id="sz-trader-3",
            serial_space="szea",
            start=500,
            end=519,
            quantity=20,
            unit_class="SZEA",
            vintage="2023",
        ),
        finding(
            FindingCode.LOG,
            "the anchored settlement log no longer agrees with the ledger at leaf 812",
            812,
            finding_id=f"{RUN}-6",
            cause="SETTLED-ROW-CHANGED",
        ),
        finding(
            FindingCode.LIVE_TWICE,
            "100 units (vcs 7000-7099) are live in mo-registry (mo-fund-1) and live in verra/vcs-owner-4",
            "mo-registry",
            "mo-fund-1",
            finding_id=f"{RUN}-7",
            registry_id="mo-registry",
            account_id="mo-fund-1",
            serial_space="vcs",
            start=7000,
            end=7099,
            quantity=100,
            unit_class="VCU",
            vintage="2021",
        ),
    ]
    resolved_earlier = [
        finding(
            FindingCode.QUANTITY,
            "cn-gd-ets showed only part of a block",
            "cn-gd-ets",
            "gd-steel-1",
            finding_id="rec-2025-03-4",
            registry_id="cn-gd-ets",
            account_id="gd-steel-1",
            quantity=60,
            resolution=earlier,
        )
    ]
    months = ("2025-01", "2025-02", "2025-03")
    registries = ("cn-sz-ets", "cn-gd-ets", AMPERSAND_REGISTRY)
    volumes = [
        Volume(registry_id=r, month=m, units=1000 * (i + 1) + 250 * j)
        for i, r in enumerate(registries)
        for j, m in enumerate(months)
    ]
    flows = [
        Flow(source="CN-SZ", destination="HK", units=4200),
        Flow(source="CN-SZ", destination="CN-GD", units=1800),
        Flow(source="CN-GD", destination="MO", units=650),
        Flow(source="HK", destination="CN-SZ", units=900),
        Flow(source="MO", destination="XX", units=120),
        Flow(source="XX", destination="CN-SZ", units=75),
    ]
    return ReconciliationReport(
        reconciliation_id=RUN,
        requested_by="Shenzhen Ecology & Environment Bureau",
        started_at=AT,
        snapshot_at=AT + timedelta(minutes=1),
        finished_at=AT + timedelta(minutes=4),
        state=ResultState.MANUAL_INTERVENTION_REQUIRED,
        compared_blocks=18_400,
        excluded_in_flight=3,
        registries=[
            RegistrySnapshot(
                registry_id=r,
                jurisdiction=j,
                rows=120,
                units=50_000,
                totals_compared=14,
                totals_inconsistent=k,
            )
            for r, j, k in (
                ("cn-sz-ets", "CN-SZ", 1),
                ("cn-gd-ets", "CN-GD", 1),
                (AMPERSAND_REGISTRY, "HK", 0),
                ("mo-registry", "MO", 1),
                ("verra", "XX", 0),
            )
        ],
        totals=[
            TotalsRow(
                registry_id="cn-gd-ets",
                account_id="gd-cement-2",
                unit_class="GDEA",
                vintage="2024",
                status="live",
                ledger_units=500,
                registry_units=0,
            ),
            TotalsRow(
                registry_id="cn-sz-ets",
                account_id="sz-emitter-7",
                unit_class="SZEA",
                vintage="2024",
                status="live",
                ledger_units=2000,
                registry_units=2000,
            ),
        ],
        findings=findings,
        resolved_earlier=resolved_earlier,
        volumes=volumes,
        flows=flows,
    )


REPORT = _report()
FINDING_IDS = [f.finding_id for f in REPORT.findings]


def test_every_section_is_represented() -> None:
    assert {f.finding_class for f in REPORT.findings} == set(FindingClass)


# --- JSON and CSV -------------------------------------------------------------------------------


def test_json_reads_back_as_the_same_report() -> None:
    assert ReconciliationReport.model_validate_json(rr.as_json(REPORT)) == REPORT


def test_render_by_name_gives_each_content_type() -> None:
    types = {fmt: rr.render(REPORT, fmt)[0] for fmt in ("json", "csv", "html", "pdf")}
    assert types == {
        "json": "application/json",
        "csv": "text/csv",
        "html": "text/html; charset=utf-8",
        "pdf": "application/pdf",
    }
    with pytest.raises(InvalidInput) as refused:
        rr.render(REPORT, "xlsx")
    assert refused.value.field == "format"


def _csv_rows() -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(rr.as_csv(REPORT).decode("utf-8"), newline="")))


def test_csv_has_one_row_per_finding_section_by_section() -> None:
    rows = _csv_rows()
    assert list(rows[0]) == list(rr.CSV_COLUMNS)
    order = [FindingClass.DISCREPANT_TRANSACTION, FindingClass.RECONCILIATION, FindingClass.INVALID_UNITS]
    expected = [f.finding_id for kind in order for f in REPORT.section(kind)]
    assert [r["finding_id"] for r in rows] == expected
    by_id = {r["finding_id"]: r for r in rows}
    assert {r["reconciliation_id"] for r in rows} == {RUN}
    assert by_id[f"{RUN}-2"]["transfer_ids"] == "t-2310 t-2311"
    assert by_id[f"{RUN}-2"]["registry_id"] == AMPERSAND_REGISTRY
    assert by_id[f"{RUN}-3"]["resolved"] == "yes"
    assert by_id[f"{RUN}-3"]["resolution_note"] == NOTE
    assert by_id[f"{RUN}-1"]["resolved"] == "no"
    assert by_id[f"{RUN}-4"]["start"] == "10000"
    assert by_id[f"{RUN}-6"]["start"] == ""


def test_csv_cells_a_spreadsheet_would_run_are_made_text() -> None:
    message = {r["finding_id"]: r["message"] for r in _csv_rows()}[f"{RUN}-5"]
    assert message.startswith("'=HYPERLINK(")
    assert rr.inert("@SUM(A1)") == "'@SUM(A1)"
    assert rr.inert("\tx") == "'\tx"
    assert rr.inert("plain") == "plain"


# --- HTML without a browser ---------------------------------------------------------------------


def test_html_names_no_url_and_escapes_every_value() -> None:
    page = rr.as_html(REPORT).decode("utf-8")
    assert not re.search(r"https?:|//[a-z]", page, re.IGNORECASE)
    assert INJECTED not in page
    assert html_escaped(INJECTED) in page
    assert "hk-core&amp;climate" in page
    assert "hk-core&climate" not in page  # nor in the charts' legends
    assert page.count("<script>") == 1  # ours
    for heading in ("Discrepant transactions", "Reconciliations", "Invalid units", rr.RESOLVED_EARLIER):
        assert f"<h2>{heading}</h2>" in page
    assert page.count("<svg") == 2


def html_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_html_and_pdf_are_the_same_bytes_each_time() -> None:
    assert rr.as_html(REPORT) == rr.as_html(REPORT)
    assert rr.as_pdf(REPORT) == rr.as_pdf(REPORT)


def test_no_data_gives_a_sentence_not_an_empty_chart() -> None:
    empty = REPORT.model_copy(update={"volumes": [], "flows": [], "findings": [], "totals": []})
    page = rr.as_html(empty).decode("utf-8")
    assert "<svg" not in page
    assert "No units were settled in the period." in page
    assert "No units moved between jurisdictions in the period." in page
    assert rr.as_pdf(empty).startswith(b"%PDF")


# --- HTML in chromium ---------------------------------------------------------------------------


@dataclass
class Watched:
    """A page with what it logged, threw, asked for and popped up since it opened."""

    page: Page
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def on_request(self, request: Request) -> None:
        if not request.url.startswith("file://"):
            self.requests.append(request.url)

    def on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def assert_quiet(self) -> None:
        assert self.errors == []
        assert self.requests == []
        assert self.dialogs == []


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def report_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("report") / "reconciliation.html"
    path.write_bytes(rr.as_html(REPORT))
    return path.as_uri()


def _open(browser: Browser, url: str, javascript: bool = True) -> Iterator[Watched]:
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    watched = Watched(page)
    page.on("console", watched.on_console)
    page.on("pageerror", lambda error: watched.errors.append(f"{error.name}: {error.message}"))
    page.on("request", watched.on_request)
    page.on("dialog", watched.on_dialog)
    page.goto(url, wait_until="load")
    yield watched
    context.close()


@pytest.fixture
def shown(browser: Browser, report_url: str) -> Iterator[Watched]:
    yield from _open(browser, report_url)


def _visible_ids(page: Page) -> list[str]:
    rows = page.locator("table.findings tr.finding:visible")
    return [rows.nth(i).get_attribute("data-finding-id") or "" for i in range(rows.count())]


def test_the_watch_catches_console_errors_and_uncaught_exceptions(shown: Watched) -> None:
    shown.page.evaluate('console.error("x")')
    shown.page.evaluate('setTimeout(() => { throw new Error("y"); })')
    shown.page.wait_for_timeout(100)
    assert shown.errors == ["x", "Error: y"]


def test_page_loads_quietly_with_the_summary_first(shown: Watched) -> None:
    page = shown.page
    summary = page.locator("#summary")
    assert summary.is_visible()
    assert "Manual intervention required" in summary.locator(".result-state").inner_text()
    assert "Shenzhen Ecology & Environment Bureau" in summary.inner_text()
    assert page.locator("#filters").is_visible()  # the script ran: only it shows the filters
    assert _visible_ids(page) == FINDING_IDS
    assert page.locator("table.resolved-earlier tr[data-finding-id='rec-2025-03-4']").count() == 1
    assert page.locator("#charts svg").count() == 2
    shown.assert_quiet()


def test_injected_markup_is_shown_as_text_and_never_runs(shown: Watched) -> None:
    message = shown.page.locator(f"tr[data-finding-id='{RUN}-2'] td.message").inner_text()
    assert INJECTED in message
    holder = shown.page.locator(f"tr[data-finding-id='{RUN}-2'] td.holder").inner_text()
    assert holder == f"{AMPERSAND_REGISTRY}/hk-bank-1"
    shown.assert_quiet()


def test_filters_narrow_the_rows(shown: Watched) -> None:
    page = shown.page
    page.select_option("#filter-code", "REC-MISSING")
    assert _visible_ids(page) == [f"{RUN}-4"]
    page.select_option("#filter-code", "")
    page.select_option("#filter-section", FindingClass.DISCREPANT_TRANSACTION.value)
    assert _visible_ids(page) == [f"{RUN}-1", f"{RUN}-2", f"{RUN}-3"]
    assert not page.locator("#section-invalid_units").is_visible()
    page.select_option("#filter-section", "")
    page.fill("#filter-text", AMPERSAND_REGISTRY)
    assert _visible_ids(page) == [f"{RUN}-2"]
    page.fill("#filter-text", "GDEA-2024-00010000")
    assert _visible_ids(page) == [f"{RUN}-4"]
    page.fill("#filter-text", "")
    page.check("#filter-open")
    assert _visible_ids(page) == [i for i in FINDING_IDS if i != f"{RUN}-3"]
    assert (
        page.locator("#filter-count").inner_text()
        == f"{len(FINDING_IDS) - 1} of {len(FINDING_IDS)} findings shown"
    )
    page.uncheck("#filter-open")
    assert _visible_ids(page) == FINDING_IDS
    shown.assert_quiet()


def test_without_javascript_every_row_is_shown(browser: Browser, report_url: str) -> None:
    for watched in _open(browser, report_url, javascript=False):
        assert not watched.page.locator("#filters").is_visible()
        assert _visible_ids(watched.page) == FINDING_IDS
        watched.assert_quiet()


# --- PDF ----------------------------------------------------------------------------------------


def test_pdf_carries_every_section_finding_and_note() -> None:
    reader = pypdf.PdfReader(io.BytesIO(rr.as_pdf(REPORT)))
    box = reader.pages[0].mediabox
    assert box.width > box.height  # landscape
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    for heading in ("Discrepant transactions", "Reconciliations", "Invalid units", rr.RESOLVED_EARLIER):
        assert heading in text
    for finding_id in [*FINDING_IDS, "rec-2025-03-4"]:
        assert finding_id in text
    assert NOTE in text
    assert INJECTED in text
    assert AMPERSAND_REGISTRY in text
