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

import psutil

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


def cpu_seconds() -> dict[str, float]:
    """CPU time (user + system) so far of this process and each child, named by what it runs.

    Two snapshots around a run give each process's CPU per unit of work: a figure far
    steadier than throughput on a shared machine, and one that says where the time goes.
    """
    me = psutil.Process()
    used = {"this process": _cpu(me)}
    for child in me.children(recursive=True):
        try:
            name = _role(child.cmdline())
            used[name] = used.get(name, 0.0) + _cpu(child)
        except psutil.Error:
            continue  # it ended between the listing and the reading
    return used


def cpu_ms_per(before: dict[str, float], after: dict[str, float], count: int) -> dict[str, float]:
    """Milliseconds of CPU per item of work, by process, between two `cpu_seconds()` snapshots."""
    return {name: (after[name] - before.get(name, 0.0)) * 1000 / count for name in after}


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def _role(cmdline: list[str]) -> str:
    line = " ".join(cmdline)
    if "temporal" in line and " server" in line:
        return "temporal server"
    if "adapters.sandbox" in line:
        return "sandbox registries"
    return Path(cmdline[0]).name if cmdline else "other"


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
