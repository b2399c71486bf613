"""The benchmarks' CPU figures: each process's CPU time, children included, per item of work."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench.measure import cpu_ms_per, cpu_seconds

# Burns 0.3 s of CPU, then waits for its stdin to close: alive when measured.
_BURN = (
    "import sys, time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\nsys.stdin.read()"
)


def test_a_childs_cpu_is_counted_under_its_name_and_shared_per_item():
    before = cpu_seconds()
    child = subprocess.Popen([sys.executable, "-c", _BURN], stdin=subprocess.PIPE)
    name = Path(sys.executable).name
    try:
        deadline = time.monotonic() + 60
        after = cpu_seconds()
        while after.get(name, 0.0) - before.get(name, 0.0) < 0.3 and time.monotonic() < deadline:
            time.sleep(0.05)
            after = cpu_seconds()
        per_item = cpu_ms_per(before, after, 10)
        assert per_item[name] >= 30  # 0.3 s over 10 items
        assert per_item["this process"] >= 0
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait()
