"""The server answers gRPC health checks and lists its services through reflection."""

from __future__ import annotations

import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from protos.carbon.gateway.v1 import registry_pb2

pytestmark = pytest.mark.e2e
SERVICES = {
    "carbon.gateway.v1.RegistryService",
    "carbon.gateway.v1.TransferService",
    "carbon.gateway.v1.ComplianceService",
    "carbon.gateway.v1.OversightService",
}


async def test_every_service_reports_serving(channel):
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", *SERVICES):
        answer = await health.Check(health_pb2.HealthCheckRequest(service=service))
        assert answer.status == health_pb2.HealthCheckResponse.SERVING, service


async def test_reflection_lists_the_gateways_services(channel):
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    call = stub.ServerReflectionInfo()
    await call.write(reflection_pb2.ServerReflectionRequest(list_services=""))
    await call.done_writing()
    answer = await call.read()
    listed = {s.name for s in answer.list_services_response.service}
    assert listed >= SERVICES


async def test_registries_cover_the_mission(registries):
    found = await registries.ListRegistries(registry_pb2.ListRegistriesRequest())
    by_id = {r.registry_id: r for r in found.registries}
    for registry_id in (
        "cn-sz-ets",
        "cn-sz-puhui",
        "cn-gd-ets",
        "hk-core-climate",
        "mo-micx",
        "cn-ccer",
        "verra",
        "a64",
    ):
        assert registry_id in by_id
    assert by_id["verra"].evidence_based and not by_id["cn-ccer"].evidence_based
    assert by_id["hk-core-climate"].jurisdiction == "HK"
    assert {"id-national", "th-national", "gh-national", "ke-national", "vu-national", "sg-national"} <= set(
        by_id
    )
