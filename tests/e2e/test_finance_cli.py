"""`carbon-gateway finance …` against the running gateway: a bank's pledge from the command line."""

from __future__ import annotations

import itertools

import pytest

from tests.e2e.sandbox_admin import SandboxAdmin
from tests.e2e.test_cli import run

pytestmark = pytest.mark.e2e
_n = itertools.count(1)


async def test_a_bank_pledges_lists_and_releases_from_the_command_line(
    gateway, sandbox: SandboxAdmin, account
):
    serial = f"CCER-CN-{790_000 + next(_n)}-2024-1-1-80"
    await sandbox.seed("cn-ccer", account, serial)

    pledged = await run(
        gateway,
        "finance",
        "pledge",
        "--id",
        f"cli-{account}",
        "--holder",
        f"cn-ccer:{account}",
        "--serial",
        serial,
    )
    assert pledged.code == 0, pledged.err
    rows = dict(line.split("\t") for line in pledged.out.splitlines())
    assert (rows["pledge.state"], rows["pledge.quantity"], rows["created"]) == (
        "PLEDGE_STATE_ACTIVE",
        "80",
        "True",
    )

    listed = (await run(gateway, "finance", "pledges", "--json")).json_lines()
    assert [p["state"] for p in listed if p["pledge_id"] == f"cli-{account}"] == ["PLEDGE_STATE_ACTIVE"]

    (released,) = (await run(gateway, "finance", "release", f"cli-{account}", "--json")).json_lines()
    assert released["released"] is True and released["pledge"]["state"] == "PLEDGE_STATE_RELEASED"

    refused = await run(gateway, "finance", "consent", f"cli-{account}", "some-transfer")
    assert refused.code == 2 and refused.err.startswith("error FAILED_PRECONDITION:"), refused.err
    unknown = await run(gateway, "finance", "pledge", "--holder", "nocolon", "--serial", serial)
    assert unknown.code == 2 and "REGISTRY:ACCOUNT" in unknown.err
