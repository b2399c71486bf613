"""The gateway's charts: the reconciliation report's two, drawn as SVG (HTML) or PNG (PDF), and the
public window's market figures (SVG).

Figures are made with `matplotlib.figure.Figure`, never pyplot: no global figure
registry, no GUI backend, nothing left open between requests. The SVG is drawn
with a fixed hash salt, text as text and no metadata, so the same report gives
the same bytes and the page stays small.
"""

from __future__ import annotations

import io
import re
import warnings
from collections import defaultdict
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from domain.reconciliation_report import Flow, ReconciliationReport, Volume

PNG_DPI = 150
_SVG_HASHSALT = "carbon-gateway-reconciliation"  # fixed, so ids in the SVG are the same every time
_NO_METADATA: dict[str, str | None] = {"Creator": None, "Date": None, "Format": None, "Type": None}
# The XML prolog and doctype before <svg, and the opening tag's namespace declarations: HTML gives an
# inline <svg> its namespaces itself, and the page then names no URL at all.
_SVG_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_SVG_OPENING = re.compile(r"\A<svg\b[^>]*>")
_SVG_XMLNS = re.compile(r'\s+xmlns(?::xlink)?="[^"]*"')


@dataclass(frozen=True)
class Chart:
    """One chart of the report: its figure, or the sentence shown when there is nothing to draw."""

    chart_id: str
    title: str
    figure: Figure | None
    empty: str


def charts(report: ReconciliationReport) -> list[Chart]:
    """The report's charts in page order: volumes settled per month, then flows between jurisdictions."""
    return [
        Chart(
            "chart-volumes",
            "Units settled per month, by registry",
            volumes_figure(report.volumes),
            "No units were settled in the period.",
        ),
        Chart(
            "chart-flows",
            "Units settled between jurisdictions",
            flows_figure(report.flows),
            "No units moved between jurisdictions in the period.",
        ),
    ]


def _plain(label: str) -> str:
    """A label drawn as typed: matplotlib would read text between two `$` as mathematics."""
    return label.replace("$", r"\$")


def volumes_figure(
    volumes: list[Volume], *, ylabel: str = "units", legend_title: str = "registry"
) -> Figure | None:
    """A bar per month, stacked by registry; None without volumes."""
    if not volumes:
        return None
    months = sorted({v.month for v in volumes})
    registries = sorted({v.registry_id for v in volumes})
    units: dict[tuple[str, str], int] = defaultdict(int)
    for v in volumes:
        units[(v.registry_id, v.month)] += v.units
    fig = Figure(figsize=(7.5, 3.8), layout="constrained")
    ax = fig.add_subplot()
    colours = matplotlib.colormaps["tab20" if len(registries) > 10 else "tab10"]
    x = np.arange(len(months))
    bottom = np.zeros(len(months))
    for i, registry in enumerate(registries):
        heights = np.array([units[(registry, m)] for m in months], dtype=float)
        ax.bar(x, heights, bottom=bottom, label=_plain(registry), color=colours(i % colours.N), width=0.7)
        bottom += heights
    ax.set_xticks(x, [_plain(m) for m in months])
    ax.set_ylabel(ylabel)
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.spines[["top", "right"]].set_visible(False)
    handles, labels = ax.get_legend_handles_labels()  # listed top down, as the bars are stacked
    ax.legend(
        handles[::-1],
        labels[::-1],
        title=legend_title,
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        frameon=False,
        fontsize="small",
    )
    return fig


def bars_figure(totals: dict[str, int], xlabel: str) -> Figure | None:
    """One horizontal bar per label, largest first; None without totals."""
    if not totals:
        return None
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    fig = Figure(figsize=(7.5, 0.9 + 0.32 * len(ranked)), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(ranked))
    ax.barh(y, [units for _, units in ranked], color=matplotlib.colormaps["tab10"](2), height=0.65)
    ax.set_yticks(y, [_plain(label) for label, _ in ranked])
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def flows_figure(flows: list[Flow]) -> Figure | None:
    """A matrix of units from source jurisdictions (rows) to destinations (columns); None without flows."""
    if not flows:
        return None
    sources = sorted({f.source for f in flows})
    destinations = sorted({f.destination for f in flows})
    matrix = np.zeros((len(sources), len(destinations)))
    for f in flows:
        matrix[sources.index(f.source), destinations.index(f.destination)] += f.units
    fig = Figure(figsize=(2.5 + 0.9 * len(destinations), 1.6 + 0.55 * len(sources)), layout="constrained")
    ax = fig.add_subplot()
    # pcolormesh, not imshow: vector cells, so the SVG embeds no raster image.
    # Pairs with no flow are left blank rather than drawn as the palest blue.
    mesh = ax.pcolormesh(np.ma.masked_equal(matrix, 0), cmap="Blues", vmin=0, edgecolors="white", linewidth=1)
    ax.set_xticks(np.arange(len(destinations)) + 0.5, [_plain(d) for d in destinations])
    ax.set_yticks(np.arange(len(sources)) + 0.5, [_plain(s) for s in sources])
    ax.invert_yaxis()
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.set_xlabel("destination")
    ax.set_ylabel("source")
    ax.tick_params(length=0)
    ax.spines[:].set_visible(False)
    peak = matrix.max()
    for (row, col), value in np.ndenumerate(matrix):
        if value:
            ink = "white" if value > peak * 0.6 else "black"
            ax.text(col + 0.5, row + 0.5, f"{value:,.0f}", ha="center", va="center", color=ink, fontsize=8)
    scale = fig.colorbar(mesh, ax=ax, label="units", format=StrMethodFormatter("{x:,.0f}"))
    if scale.solids is not None:
        scale.solids.set_rasterized(False)  # a long colour bar would be embedded as a raster image
        scale.solids.set_edgecolor("face")  # no hairline seams between its vector bands
    return fig


def as_svg(fig: Figure) -> str:
    """The figure as an `<svg>` element to inline in HTML: no prolog, no metadata, the same bytes each time."""
    buf = io.StringIO()
    with (
        matplotlib.rc_context({"svg.hashsalt": _SVG_HASHSALT, "svg.fonttype": "none"}),
        warnings.catch_warnings(),
    ):
        # Text stays text (fonttype none) and the browser draws it in its own fonts, Chinese included:
        # matplotlib's font lacking a glyph only skews its estimate of the label's width.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)
        fig.savefig(buf, format="svg", metadata=_NO_METADATA)
    svg = _SVG_PROLOG.sub("", buf.getvalue(), count=1)
    return _SVG_OPENING.sub(lambda tag: _SVG_XMLNS.sub("", tag.group()), svg, count=1)


def as_png(fig: Figure, dpi: int = PNG_DPI) -> bytes:
    """The figure as a PNG, for the PDF."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()
