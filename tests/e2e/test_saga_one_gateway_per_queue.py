"""A gateway never joins a task queue that another gateway's worker (another ledger) serves.

Otherwise its worker would run the other gateway's transfers and anchors against its own ledger.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.runtime import EmbeddedGateway
from tests.e2e.client import gateway_settings
from workflows.worker import ForeignWorker, ledger_fingerprint, refuse_foreign_workers

pytestmark = pytest.mark.e2e


async def test_a_second_gateway_with_another_ledger_is_refused_the_task_queue(gateway, tmp_path: Path):
    intruder = EmbeddedGateway(
        gateway_settings(
            tmp_path, temporal_address=gateway.temporal_address, task_queue=gateway.settings.task_queue
        )
    )
    with pytest.raises(ForeignWorker, match="another gateway's worker"):
        await intruder.start()


async def test_workers_of_the_same_ledger_may_share_the_queue(gateway):
    own = ledger_fingerprint(gateway.settings.resolved_ledger_url())
    await refuse_foreign_workers(gateway.client, gateway.settings.task_queue, own)  # no refusal
    with pytest.raises(ForeignWorker):
        await refuse_foreign_workers(
            gateway.client, gateway.settings.task_queue, ledger_fingerprint("sqlite://x")
        )
