"""A short run of the seeded chaos schedules (bench/chaos.py), and their replayability.

`bench/chaos.py --seed N --schedules K` is the long run (README, "Benchmarks"); here one
schedule that holds every kind of event: a twin transfer asking for taken units, a slow
registry, two kills of the worker mid-step and a kill of the gRPC server between submits.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.chaos import make_schedule, run

pytestmark = pytest.mark.e2e
SEED, INDEX = 3, 1


def test_a_schedule_is_a_function_of_its_seed_and_number_alone():
    assert make_schedule(SEED, INDEX) == make_schedule(SEED, INDEX)
    assert make_schedule(SEED, INDEX) != make_schedule(SEED + 1, INDEX)
    drawn = make_schedule(SEED, INDEX)
    assert drawn.kills and drawn.twins and drawn.faults and drawn.server_kill_after, drawn.describe()


@pytest.mark.timeout(240)
async def test_a_chaos_schedule_keeps_every_invariant(tmp_path: Path):
    (result,) = await run(SEED, 1, INDEX, tmp_path)
    assert not result.violations, "\n".join(result.violations)
    assert len(result.states) >= make_schedule(SEED, INDEX).transfers - 1  # a refused twin never starts
