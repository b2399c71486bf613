"""The role table covers exactly the RPCs the server serves, and docs/security.md shows it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from google.protobuf import descriptor_pool

from gateway.roles import ACCESS, Caller, Role, is_open
from gateway.server import SERVICE_NAMES

ROOT = Path(__file__).resolve().parents[2]


def _served_methods() -> set[str]:
    pool = descriptor_pool.Default()
    return {
        f"/{name}/{method.name}" for name in SERVICE_NAMES for method in pool.FindServiceByName(name).methods
    }


def test_every_served_rpc_has_exactly_one_row_and_every_row_is_served():
    served = _served_methods()
    assert served - ACCESS.keys() == set(), "served without a row in gateway/roles.py"
    assert ACCESS.keys() - served == set(), "rows for RPCs the server does not serve"


def test_every_row_names_at_least_one_role():
    assert [path for path, access in ACCESS.items() if not access.roles] == []


def test_only_health_and_reflection_are_open():
    assert is_open("/grpc.health.v1.Health/Check")
    assert is_open("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
    assert not any(is_open(path) for path in ACCESS)


def test_regulators_and_admins_see_every_organisation_and_others_only_their_own():
    def caller(role: Role) -> Caller:
        return Caller(role=role, org="org-a", name="n")

    for role in (Role.REGULATOR, Role.ADMIN, Role.REGISTRY_OPERATOR):
        assert caller(role).visible_org is None
    for role in (Role.EXCHANGE, Role.BANK, Role.PROJECT_OWNER):
        assert caller(role).visible_org == "org-a"


def test_docs_security_role_table_is_current():
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "role_table.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
