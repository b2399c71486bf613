"""The whole gateway, started once per session exactly as `carbon-gateway up` starts it.

Every test gets fresh accounts (so tests never share units) and is wrapped in the
conservation check: the live units of each unit class across all registries are
the same after the test as before it.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import grpc
import pytest

from gateway.runtime import EmbeddedGateway
from protos.carbon.gateway.v1 import registry_pb2_grpc, transfer_pb2_grpc
from tests.e2e.client import gateway_settings
from tests.e2e.sandbox_admin import SandboxAdmin, conserving
from tests.e2e.serials import CcerSerial, ccer_serials

_accounts = itertools.count(1)


@pytest.fixture(scope="session")
async def gateway(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedGateway]:
    settings = gateway_settings(
        tmp_path_factory.mktemp("gateway"),
        anchor_interval_s=1.0,
        anchor_confirmations=2,
        registry_timeout_s=1.0,
        registry_attempts=2,
        step_attempts=3,
        step_initial_interval_s=0.1,
        step_max_interval_s=0.5,
        step_timeout_s=10.0,
        evidence_poll_s=0.5,
        evidence_min_interval_s=0.0,
        evidence_deadlines_s={"gold-standard": 4.0},
        delivery_poll_s=0.2,
        delivery_initial_backoff_s=0.1,
        delivery_max_backoff_s=0.4,
        delivery_retry_window_s=5.0,  # Temporal's timers fire about a second late: room for 4 attempts
        delivery_timeout_s=2.0,
    )
    running = await EmbeddedGateway(settings).start()
    yield running
    await running.stop()


@pytest.fixture(scope="session")
async def channel(gateway: EmbeddedGateway) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.grpc_port}") as ch:
        yield ch


@pytest.fixture
def transfers(channel: grpc.aio.Channel) -> transfer_pb2_grpc.TransferServiceStub:
    return transfer_pb2_grpc.TransferServiceStub(channel)


@pytest.fixture
def registries(channel: grpc.aio.Channel) -> registry_pb2_grpc.RegistryServiceStub:
    return registry_pb2_grpc.RegistryServiceStub(channel)


@pytest.fixture
async def sandbox(gateway: EmbeddedGateway) -> AsyncIterator[SandboxAdmin]:
    """Admin access to the sandbox registries, with the conservation check around the test."""
    async with conserving(gateway.sandbox_url) as admin:
        yield admin


@pytest.fixture
def account() -> str:
    """A fresh account name, so tests never share units."""
    return f"acct-{next(_accounts)}"


@pytest.fixture
def ccer_serial() -> CcerSerial:
    """Makes CCER serials of a project no other test uses."""
    return ccer_serials()
