"""A reconciliation report in the four forms a regulator asks for: JSON, CSV, one HTML page, a PDF.

Every form renders the same `ReconciliationReport`, in the UK registry's order:
the summary, the charts, the three finding sections, what was resolved since the
last report, then the totals and the registries as they stood at the snapshot.
HTML and PDF share the words (`summary_facts`, `finding_cells`) and the charts
(gateway.reconciliation_charts), so the two cannot drift apart.

Everything in the model may come from a registry or a person, so it is text:
escaped for HTML and for reportlab's markup, and made inert for spreadsheets.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape as markup_escape

import matplotlib
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Image,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from domain.errors import InvalidInput, quoted
from domain.reconciliation import Finding, FindingClass, ResultState, TotalsRow
from domain.reconciliation_report import ReconciliationReport
from gateway import html_page, reconciliation_charts

JSON_MEDIA_TYPE = "application/json"
CSV_MEDIA_TYPE = "text/csv"
HTML_MEDIA_TYPE = "text/html; charset=utf-8"
PDF_MEDIA_TYPE = "application/pdf"

SECTIONS: tuple[tuple[FindingClass, str], ...] = (
    (FindingClass.DISCREPANT_TRANSACTION, "Discrepant transactions"),
    (FindingClass.RECONCILIATION, "Reconciliations"),
    (FindingClass.INVALID_UNITS, "Invalid units"),
)
RESOLVED_EARLIER = "Resolved since the last report"

STATE_WORDS: dict[ResultState, str] = {
    ResultState.RUNNING: "Running: no result yet",
    ResultState.FAILED: "Failed: the run stopped before a result",
    ResultState.CONSISTENT: "Consistent: every registry agrees with the ledger",
    ResultState.TOTALS_INCONSISTENT: "Totals inconsistent",
    ResultState.UNIT_BLOCKS_INCONSISTENT: "Unit blocks inconsistent",
    ResultState.MANUAL_INTERVENTION_REQUIRED: "Manual intervention required",
    ResultState.COMPLETED_WITH_MANUAL_INTERVENTION: "Completed with manual intervention",
}

CSV_COLUMNS = (
    "reconciliation_id",
    "finding_id",
    "section",
    "code",
    "cause",
    "registry_id",
    "account_id",
    "serial_space",
    "start",
    "end",
    "serial",
    "quantity",
    "unit_class",
    "vintage",
    "transfer_ids",
    "transfer_state",
    "occurred_at",
    "message",
    "resolved",
    "resolution_note",
    "resolved_by",
    "resolved_at",
)
# A spreadsheet reads a cell starting with one of these as a formula (or a formula's continuation).
_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")

FINDING_COLUMNS = (
    "Finding",
    "Code",
    "Registry/account",
    "Serials",
    "Units",
    "Transfers",
    "State",
    "Time",
    "Message",
    "Resolution",
)
# Each column's share of a findings table's width, in both the page and the PDF; the message gets the most.
FINDING_WIDTHS = (0.10, 0.085, 0.11, 0.11, 0.05, 0.09, 0.06, 0.075, 0.21, 0.11)
TOTALS_COLUMNS = (
    "Registry",
    "Account",
    "Unit class",
    "Vintage",
    "Status",
    "Ledger units",
    "Registry units",
    "Difference",
)
REGISTRY_COLUMNS = ("Registry", "Jurisdiction", "Holdings rows", "Units", "Totals compared", "Inconsistent")


# --- the words every form shares ----------------------------------------------------------------


def ordered_findings(report: ReconciliationReport) -> list[Finding]:
    """Every finding, section by section in the report's order."""
    return [f for kind, _ in SECTIONS for f in report.section(kind)]


def _when(at: datetime | None) -> str:
    if at is None:
        return ""
    if at.utcoffset() == timedelta(0):
        return at.strftime("%Y-%m-%d %H:%M:%S UTC")
    return at.isoformat(sep=" ", timespec="seconds")


def _units(quantity: int) -> str:
    return f"{quantity:,}" if quantity else ""


def _holder(f: Finding) -> str:
    return "/".join(part for part in (f.registry_id, f.account_id) if part)


def _serials(f: Finding) -> str:
    if f.serial:
        return f.serial
    if f.start is not None and f.end is not None:
        return f"{f.serial_space} {f.start}-{f.end}".strip()
    return f.serial_space


def _resolution(f: Finding) -> str:
    r = f.resolution
    text = "open" if r is None else f"resolved by {r.resolved_by} at {_when(r.resolved_at)}: {r.note}"
    back = f.earlier_resolution
    if back is not None:
        text += (
            f" (back after being resolved by {back.resolved_by} at {_when(back.resolved_at)}: {back.note})"
        )
    return text


def trail_lines(f: Finding) -> list[str]:
    """The transfers that touched the finding's block, one line each, as the regulator follows them."""
    return [
        f"{t.transfer_id} ({t.kind}, {t.state}) {t.source} → {t.destination}: {t.quantity:,} units "
        f"{t.serial} at {_when(t.at)}"
        for t in f.trail
    ]


def finding_cells(f: Finding) -> list[str]:
    """A finding's cells under FINDING_COLUMNS; the message cell's trail lines are `trail_lines`."""
    code = f"{f.code.value} ({f.cause})" if f.cause else f.code.value
    return [
        f.finding_id,
        code,
        _holder(f),
        _serials(f),
        _units(f.quantity),
        " ".join(f.transfer_ids),
        f.transfer_state,
        _when(f.occurred_at),
        f.message,
        _resolution(f),
    ]


def summary_facts(report: ReconciliationReport) -> list[tuple[str, str]]:
    """(label, value) pairs of the report's summary, in reading order."""
    facts = [("State", STATE_WORDS[report.state])]
    if report.failure:
        facts.append(("Failure", report.failure))
    if report.state is ResultState.RUNNING:
        p = report.progress
        facts.append(("Progress", f"{p.stage}, {p.done} of {p.total} registries read"))
    registries = ", ".join(r.registry_id for r in report.registries)
    facts += [
        ("Requested by", report.requested_by),
        ("Started", _when(report.started_at)),
        ("Snapshot", _when(report.snapshot_at) or "not taken yet"),
        ("Finished", _when(report.finished_at) or "not finished"),
        ("Findings", f"{len(report.findings)}, of which {len(report.open_findings())} open"),
        ("Registries compared", f"{len(report.registries)}" + (f" ({registries})" if registries else "")),
        ("Unit blocks compared", f"{report.compared_blocks:,}"),
        ("In-flight ranges left out", f"{report.excluded_in_flight:,}"),
    ]
    return facts


def section_counts(report: ReconciliationReport) -> list[tuple[str, int, int]]:
    """(section heading, findings, open) for each section."""
    counts = []
    for kind, heading in SECTIONS:
        listed = report.section(kind)
        counts.append((heading, len(listed), sum(1 for f in listed if f.resolution is None)))
    return counts


def _totals_cells(row: TotalsRow) -> list[str]:
    difference = row.registry_units - row.ledger_units
    return [
        row.registry_id,
        row.account_id,
        row.unit_class,
        row.vintage,
        row.status,
        f"{row.ledger_units:,}",
        f"{row.registry_units:,}",
        f"{difference:+,}" if difference else "",
    ]


def _totals_in_order(report: ReconciliationReport) -> list[TotalsRow]:
    return sorted(report.totals, key=lambda row: row.consistent)  # stable: the inconsistent first


def _registry_cells(report: ReconciliationReport) -> list[list[str]]:
    return [
        [
            r.registry_id,
            r.jurisdiction,
            f"{r.rows:,}",
            f"{r.units:,}",
            f"{r.totals_compared:,}",
            f"{r.totals_inconsistent:,}",
        ]
        for r in report.registries
    ]


# --- JSON and CSV -------------------------------------------------------------------------------


def as_json(report: ReconciliationReport) -> bytes:
    """The whole model, for machines: it reads back with `ReconciliationReport.model_validate_json`."""
    return report.model_dump_json(indent=2).encode("utf-8")


def inert(cell: str) -> str:
    """A cell a spreadsheet shows as text: one it would read as a formula gets a leading apostrophe."""
    return "'" + cell if cell.startswith(_FORMULA_LEADS) else cell


def _csv_row(report: ReconciliationReport, f: Finding) -> list[str]:
    r = f.resolution
    row: list[object] = [
        report.reconciliation_id,
        f.finding_id,
        f.finding_class.value,
        f.code.value,
        f.cause,
        f.registry_id,
        f.account_id,
        f.serial_space,
        "" if f.start is None else f.start,
        "" if f.end is None else f.end,
        f.serial,
        f.quantity,
        f.unit_class,
        f.vintage,
        " ".join(f.transfer_ids),
        f.transfer_state,
        f.occurred_at.isoformat() if f.occurred_at else "",
        f.message,
        "no" if r is None else "yes",
        "" if r is None else r.note,
        "" if r is None else r.resolved_by,
        "" if r is None else r.resolved_at.isoformat(),
    ]
    return [inert(str(cell)) for cell in row]


def as_csv(report: ReconciliationReport) -> bytes:
    """One row per finding under CSV_COLUMNS, sections in the report's order, safe to open in a spreadsheet."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_csv_row(report, f) for f in ordered_findings(report))
    return buf.getvalue().encode("utf-8")


# --- HTML ---------------------------------------------------------------------------------------

_STYLE = """
:root{color-scheme:light;--ink:#1d2a21;--muted:#56705b;--line:#d5dfd6;--warn:#fff3e0;--open:#9a3412}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0;line-height:1.4}
main{max-width:1400px;margin:0 auto;padding:1.5rem}
h1{margin:0 0 .25rem}h2{margin-top:2rem;border-bottom:2px solid var(--line);padding-bottom:.2rem}
.muted,.count{color:var(--muted);font-size:.9rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}
dl.facts dt{font-weight:600}dl.facts dd{margin:0}
.result-state{font-weight:700}
table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem}
th,td{border:1px solid var(--line);padding:.25rem .45rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#eef3ee}
td.num,th.num{text-align:right;white-space:nowrap}
table.findings,table.resolved-earlier{width:100%;table-layout:fixed}
ul.trail{margin:.25rem 0 0;padding-left:1rem;color:var(--muted);font-size:.8rem}
tr.open td.resolution{color:var(--open);font-weight:600}
tr.inconsistent td{background:var(--warn)}
figure{margin:1rem 0}figure svg{max-width:100%;height:auto}
.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.5rem;background:#f5f7f5;
border:1px solid var(--line)}
[hidden]{display:none!important}
@media print{.filters{display:none!important}}
"""

# Runs only as this exact text (the page's policy names its hash). Without it every row stays shown.
_FILTER_SCRIPT = """
(() => {
  "use strict";
  const panel = document.getElementById("filters");
  const code = document.getElementById("filter-code");
  const section = document.getElementById("filter-section");
  const text = document.getElementById("filter-text");
  const openOnly = document.getElementById("filter-open");
  const count = document.getElementById("filter-count");
  const rows = Array.from(document.querySelectorAll("table.findings tr.finding"));
  const sections = Array.from(document.querySelectorAll("section.finding-section"));
  function apply() {
    const wanted = text.value.trim().toLowerCase();
    let shown = 0;
    for (const row of rows) {
      const visible = (!code.value || row.dataset.code === code.value)
        && (!section.value || row.dataset.section === section.value)
        && (!wanted || row.dataset.search.toLowerCase().includes(wanted))
        && (!openOnly.checked || row.dataset.open === "yes");
      row.hidden = !visible;
      if (visible) shown += 1;
    }
    for (const part of sections) {
      part.hidden = Boolean(section.value) && part.dataset.section !== section.value;
    }
    count.textContent = `${shown} of ${rows.length} findings shown`;
  }
  code.addEventListener("change", apply);
  section.addEventListener("change", apply);
  openOnly.addEventListener("change", apply);
  text.addEventListener("input", apply);
  panel.hidden = false;
  apply();
})();
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _head(columns: tuple[str, ...], numeric: frozenset[int] = frozenset()) -> str:
    cells = "".join(
        f'<th class="num">{_e(c)}</th>' if i in numeric else f"<th>{_e(c)}</th>"
        for i, c in enumerate(columns)
    )
    return f"<thead><tr>{cells}</tr></thead>"


def _plain_table(
    cls: str,
    columns: tuple[str, ...],
    rows: list[list[str]],
    numeric: frozenset[int] = frozenset(),
    row_classes: list[str] | None = None,
) -> str:
    lines = []
    for n, cells in enumerate(rows):
        row_class = f' class="{row_classes[n]}"' if row_classes else ""
        tds = "".join(
            f'<td class="num">{_e(c)}</td>' if i in numeric else f"<td>{_e(c)}</td>"
            for i, c in enumerate(cells)
        )
        lines.append(f"<tr{row_class}>{tds}</tr>")
    body = "\n".join(lines)
    return f'<table class="{cls}">{_head(columns, numeric)}<tbody>\n{body}\n</tbody></table>'


# The class of each cell under FINDING_COLUMNS, for styles and for tests to find a cell by.
_FINDING_CELL_CLASSES = (
    "id",
    "code",
    "holder",
    "serials",
    "units",
    "transfers",
    "state",
    "time",
    "message",
    "resolution",
)


def _finding_row(f: Finding) -> str:
    cells = finding_cells(f)
    tds = []
    for name, cell in zip(_FINDING_CELL_CLASSES, cells, strict=True):
        content = _e(cell)
        if name == "message" and f.trail:
            content += (
                '<ul class="trail">' + "".join(f"<li>{_e(line)}</li>" for line in trail_lines(f)) + "</ul>"
            )
        klass = f"{name} num" if name == "units" else name
        tds.append(f'<td class="{klass}">{content}</td>')
    search = " ".join([f.registry_id, f.account_id, _holder(f), f.serial, _serials(f)])
    is_open = f.resolution is None
    anchor = f' id="finding-{_e(f.finding_id)}"' if f.finding_id else ""  # a link target, when stored
    return (
        f'<tr class="finding {"open" if is_open else "resolved"}"{anchor} '
        f'data-finding-id="{_e(f.finding_id)}" data-code="{_e(f.code.value)}" '
        f'data-section="{_e(f.finding_class.value)}" data-open="{"yes" if is_open else "no"}" '
        f'data-search="{_e(search)}">' + "".join(tds) + "</tr>"
    )


def _findings_table(findings: list[Finding], cls: str) -> str:
    if not findings:
        return '<p class="none">None.</p>'
    rows = "\n".join(_finding_row(f) for f in findings)
    widths = "".join(f'<col style="width:{w:.1%}">' for w in FINDING_WIDTHS)
    head = _head(FINDING_COLUMNS, frozenset({4}))
    return f'<table class="{cls}"><colgroup>{widths}</colgroup>{head}<tbody>\n{rows}\n</tbody></table>'


def _findings_count(n: int) -> str:
    return f"{n} finding" if n == 1 else f"{n} findings"


def _finding_sections(report: ReconciliationReport) -> str:
    parts = []
    for kind, heading in SECTIONS:
        listed = report.section(kind)
        open_ = sum(1 for f in listed if f.resolution is None)
        parts.append(
            f'<section class="finding-section" id="section-{kind.value}" data-section="{kind.value}">\n'
            f"<h2>{_e(heading)}</h2>\n"
            f'<p class="count">{_findings_count(len(listed))}, {open_} open</p>\n'
            f"{_findings_table(listed, 'findings')}\n</section>"
        )
    return "\n".join(parts)


def _filters(report: ReconciliationReport) -> str:
    codes = sorted({f.code.value for f in report.findings})
    code_options = "".join(f'<option value="{_e(c)}">{_e(c)}</option>' for c in codes)
    section_options = "".join(f'<option value="{k.value}">{_e(h)}</option>' for k, h in SECTIONS)
    return f"""<div id="filters" class="filters" role="search" hidden>
<label>Code <select id="filter-code"><option value="">all codes</option>{code_options}</select></label>
<label>Section <select id="filter-section"><option value="">all sections</option>{section_options}</select></label>
<label>Registry, account or serial <input id="filter-text" type="search" autocomplete="off"></label>
<label><input id="filter-open" type="checkbox"> open only</label>
<output id="filter-count" class="count"></output>
</div>"""


def _summary(report: ReconciliationReport) -> str:
    facts = []
    for label, value in summary_facts(report):
        if label == "State":
            value_html = (
                f'<span class="result-state" data-state="{_e(report.state.value)}">{_e(value)}</span>'
            )
        else:
            value_html = _e(value)
        facts.append(f"<dt>{_e(label)}</dt><dd>{value_html}</dd>")
    counts = [[heading, str(n), str(o)] for heading, n, o in section_counts(report)]
    counts.append([RESOLVED_EARLIER, str(len(report.resolved_earlier)), ""])
    return f"""<section id="summary">
<h1>Reconciliation report</h1>
<p class="muted">{_e(report.reconciliation_id)}</p>
<dl class="facts">
{"".join(facts)}
</dl>
{_plain_table("counts", ("Section", "Findings", "Open"), counts, frozenset({1, 2}))}
</section>"""


def _charts_html(report: ReconciliationReport) -> str:
    figures = []
    for chart in reconciliation_charts.charts(report):
        body = (
            reconciliation_charts.as_svg(chart.figure)
            if chart.figure is not None
            else f'<p class="none">{_e(chart.empty)}</p>'
        )
        figures.append(
            f'<figure id="{chart.chart_id}">\n<figcaption>{_e(chart.title)}</figcaption>\n{body}\n</figure>'
        )
    return '<section id="charts">\n<h2>Charts</h2>\n' + "\n".join(figures) + "\n</section>"


def _totals_html(report: ReconciliationReport) -> str:
    rows = _totals_in_order(report)
    if not rows:
        return '<p class="none">No totals were compared.</p>'
    cells = [_totals_cells(row) for row in rows]
    kinds = ["consistent" if row.consistent else "inconsistent" for row in rows]
    return _plain_table("totals", TOTALS_COLUMNS, cells, frozenset({5, 6, 7}), kinds)


def as_html(report: ReconciliationReport) -> bytes:
    """One self-contained page: summary, charts as inline SVG, filterable finding tables, totals."""
    registries = (
        _plain_table("registries", REGISTRY_COLUMNS, _registry_cells(report), frozenset({2, 3, 4, 5}))
        if report.registries
        else '<p class="none">No registry was read.</p>'
    )
    body = f"""{_summary(report)}
{_charts_html(report)}
<section id="findings">
{_filters(report)}
{_finding_sections(report)}
</section>
<section id="resolved-earlier">
<h2>{_e(RESOLVED_EARLIER)}</h2>
{_findings_table(report.resolved_earlier, "resolved-earlier")}
</section>
<section id="totals">
<h2>Totals</h2>
{_totals_html(report)}
</section>
<section id="registries">
<h2>Registries at the snapshot</h2>
{registries}
</section>"""
    # Nothing from elsewhere, and no script but ours: an escaped value could not run even if it slipped.
    return html_page.page(f"Reconciliation report {report.reconciliation_id}", _STYLE, body, _FILTER_SCRIPT)


# --- PDF ----------------------------------------------------------------------------------------

_PAGE = landscape(A4)
_MARGIN = 12 * mm
_WIDTH = _PAGE[0] - 2 * _MARGIN
_CHART_HEIGHT = 205  # points: with the summary, both charts fit on the first page
_FONT, _BOLD = "DejaVuSans", "DejaVuSans-Bold"


@cache
def _fonts() -> None:
    """matplotlib's DejaVu Sans, embedded: reportlab's standard fonts have no glyphs past Latin-1."""
    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(_FONT, str(ttf / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(_BOLD, str(ttf / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(_FONT, normal=_FONT, bold=_BOLD, italic=_FONT, boldItalic=_BOLD)


@cache
def _styles() -> dict[str, ParagraphStyle]:
    _fonts()
    body = ParagraphStyle("body", fontName=_FONT, fontSize=9, leading=11.5)
    return {
        "body": body,
        "title": ParagraphStyle("title", body, fontName=_BOLD, fontSize=17, leading=21, spaceAfter=2),
        "h2": ParagraphStyle(
            "h2", body, fontName=_BOLD, fontSize=13, leading=16, spaceBefore=10, spaceAfter=4, keepWithNext=1
        ),
        "h3": ParagraphStyle(
            "h3", body, fontName=_BOLD, fontSize=10, leading=13, spaceBefore=6, spaceAfter=2
        ),
        "cell": ParagraphStyle("cell", body, fontSize=7, leading=8.6),
        "head": ParagraphStyle("head", body, fontName=_BOLD, fontSize=7, leading=8.6),
        "trail": ParagraphStyle(
            "trail", body, fontSize=6.2, leading=7.6, textColor=colors.HexColor("#56705b")
        ),
    }


def _p(text: str, style: str = "body") -> Paragraph:
    return Paragraph(markup_escape(text), _styles()[style])


def _grid(rows: Sequence[Sequence[object]], widths: list[float], header: bool = True) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#c5d0c6")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef3ee")))
    table.setStyle(TableStyle(style))
    return table


def _cells_table(columns: tuple[str, ...], rows: list[list[str]], fractions: tuple[float, ...]) -> Table:
    header: list[Flowable] = [_p(c, "head") for c in columns]
    body: list[list[Flowable]] = [[_p(c, "cell") for c in cells] for cells in rows]
    return _grid([header, *body], [_WIDTH * f for f in fractions])


def _message_cell(f: Finding) -> Flowable | list[Flowable]:
    if not f.trail:
        return _p(f.message, "cell")
    return [_p(f.message, "cell"), *(_p(line, "trail") for line in trail_lines(f))]


def _findings_pdf(findings: list[Finding]) -> Flowable:
    if not findings:
        return _p("None.")
    header: list[Flowable] = [_p(c, "head") for c in FINDING_COLUMNS]
    rows: list[list[Flowable | list[Flowable]]] = [header]
    for f in findings:
        cells: list[Flowable | list[Flowable]] = [_p(c, "cell") for c in finding_cells(f)]
        cells[FINDING_COLUMNS.index("Message")] = _message_cell(f)
        rows.append(cells)
    return _grid(rows, [_WIDTH * w for w in FINDING_WIDTHS])


def _chart_cell(chart: reconciliation_charts.Chart, width: float) -> list[Flowable]:
    title = _p(chart.title, "h3")
    if chart.figure is None:
        return [title, _p(chart.empty)]
    w_in, h_in = chart.figure.get_size_inches()
    scale = min(width / (w_in * 72), _CHART_HEIGHT / (h_in * 72))
    png = io.BytesIO(reconciliation_charts.as_png(chart.figure))
    return [title, Image(png, width=w_in * 72 * scale, height=h_in * 72 * scale, hAlign="LEFT")]


def _charts_pdf(report: ReconciliationReport) -> Table:
    """The charts side by side, so the first page holds the summary and both."""
    listed = reconciliation_charts.charts(report)
    width = _WIDTH / len(listed)
    table = Table(
        [[_chart_cell(c, width - 8) for c in listed]], colWidths=[width] * len(listed), hAlign="LEFT"
    )
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _summary_pdf(report: ReconciliationReport) -> list[Flowable]:
    facts = [[_p(label, "head"), _p(value, "cell")] for label, value in summary_facts(report)]
    counts = [[heading, str(n), str(o)] for heading, n, o in section_counts(report)]
    counts.append([RESOLVED_EARLIER, str(len(report.resolved_earlier)), ""])
    return [
        _p("Reconciliation report", "title"),
        _p(report.reconciliation_id),
        Spacer(1, 6),
        _grid(facts, [_WIDTH * 0.18, _WIDTH * 0.62], header=False),
        Spacer(1, 6),
        _cells_table(("Section", "Findings", "Open"), counts, (0.3, 0.1, 0.1)),
    ]


def _story(report: ReconciliationReport) -> list[Flowable]:
    story = _summary_pdf(report)
    story += [_p("Charts", "h2"), _charts_pdf(report)]
    for kind, heading in SECTIONS:
        story += [_p(heading, "h2"), _findings_pdf(report.section(kind))]
    story += [_p(RESOLVED_EARLIER, "h2"), _findings_pdf(report.resolved_earlier)]
    totals = [_totals_cells(row) for row in _totals_in_order(report)]
    story.append(_p("Totals", "h2"))
    story.append(
        _cells_table(TOTALS_COLUMNS, totals, (0.14, 0.16, 0.12, 0.08, 0.1, 0.1, 0.1, 0.1))
        if totals
        else _p("No totals were compared.")
    )
    story.append(_p("Registries at the snapshot", "h2"))
    story.append(
        _cells_table(REGISTRY_COLUMNS, _registry_cells(report), (0.18, 0.14, 0.1, 0.1, 0.1, 0.1))
        if report.registries
        else _p("No registry was read.")
    )
    return story


def as_pdf(report: ReconciliationReport) -> bytes:
    """The same content as the page, on landscape A4; the same report gives the same bytes."""
    buf = io.BytesIO()
    title = f"Reconciliation report {report.reconciliation_id}"

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(_FONT, 7)
        canvas.drawString(_MARGIN, _MARGIN / 2, f"{title} · {STATE_WORDS[report.state]}")
        canvas.drawRightString(_PAGE[0] - _MARGIN, _MARGIN / 2, f"page {doc.page}")
        canvas.restoreState()

    _fonts()
    doc = SimpleDocTemplate(
        buf,
        pagesize=_PAGE,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN + 4 * mm,
        title=title,
        author=report.requested_by,
        creator="carbon-gateway",
        invariant=1,
    )
    doc.build(_story(report), onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


# --- by name ------------------------------------------------------------------------------------

Renderer = Callable[[ReconciliationReport], bytes]
FORMATS: Mapping[str, tuple[str, Renderer]] = {
    "json": (JSON_MEDIA_TYPE, as_json),
    "csv": (CSV_MEDIA_TYPE, as_csv),
    "html": (HTML_MEDIA_TYPE, as_html),
    "pdf": (PDF_MEDIA_TYPE, as_pdf),
}


def render(report: ReconciliationReport, fmt: str) -> tuple[str, bytes]:
    """(content type, bytes) of the report in `fmt`, one of FORMATS."""
    try:
        media_type, renderer = FORMATS[fmt]
    except KeyError:
        raise InvalidInput(
            f"report format {quoted(fmt)} is not one of {', '.join(FORMATS)}", field="format"
        ) from None
    return media_type, renderer(report)
