"""What every benchmark here shares: percentiles, peak memory, progress lines, and the three outputs.

A benchmark's figures go to a person (a table on stdout) and to a machine
(`--json PATH`, `--csv PATH`) from the same rows, so the two can never disagree.
Progress goes to stderr, so stdout stays the table alone.
"""

from __future__ import annotations

import csv
import json
import resource
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

Row = dict[str, Any]


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank `q` quantile (0 <= q <= 1) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def progress(message: str, *, done: bool = False) -> None:
    """Overwrite the current stderr line; `done` ends it."""
    print(f"\r\033[K  {message}", end="\n" if done else "", file=sys.stderr, flush=True)


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("inf")


def print_table(rows: Sequence[Row], columns: Sequence[tuple[str, str, str]]) -> None:
    """Print `rows` as aligned columns; each column is (key, heading, format spec)."""
    cells = [[format(row[key], spec) for key, _, spec in columns] for row in rows]
    headings = [heading for _, heading, _ in columns]
    widths = [max([len(h), *(len(line[i]) for line in cells)]) for i, h in enumerate(headings)]
    # The first column is a label: left-aligned; figures are right-aligned.
    print(
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w)
            for i, (h, w) in enumerate(zip(headings, widths, strict=True))
        )
    )
    for line in cells:
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(line, widths, strict=True))
            )
        )


def write_json(path: Path | None, payload: dict[str, Any]) -> None:
    if path is not None:
        path.write_text(json.dumps(payload, indent=2) + "\n")


def write_csv(path: Path | None, rows: Sequence[Row]) -> None:
    """One CSV of `rows`; the header is the union of their keys, in first-seen order."""
    if path is None or not rows:
        return
    fields = list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
