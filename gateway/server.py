"""Builds the grpc.aio server: the gateway's services plus health checking and reflection."""

from __future__ import annotations

from collections.abc import Mapping

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from adapters.base import RegistryAdapter
from gateway.compliance_servicer import ComplianceServicer
from gateway.servicers import OversightServicer, RegistryServicer, TransferServicer
from gateway.transfer_desk import TransferDesk
from ledger import Ledger
from protos.carbon.gateway.v1 import (
    compliance_pb2,
    compliance_pb2_grpc,
    oversight_pb2,
    oversight_pb2_grpc,
    registry_pb2,
    registry_pb2_grpc,
    transfer_pb2,
    transfer_pb2_grpc,
)

SERVICE_NAMES = (
    registry_pb2.DESCRIPTOR.services_by_name["RegistryService"].full_name,
    transfer_pb2.DESCRIPTOR.services_by_name["TransferService"].full_name,
    oversight_pb2.DESCRIPTOR.services_by_name["OversightService"].full_name,
    compliance_pb2.DESCRIPTOR.services_by_name["ComplianceService"].full_name,
)


async def start_grpc_server(
    address: str,
    desk: TransferDesk,
    adapters: Mapping[str, RegistryAdapter],
    ledger: Ledger,
    watch_poll_s: float,
) -> tuple[grpc.aio.Server, int]:
    """Start serving on `address` (port 0 picks a free one); returns the server and its port."""
    server = grpc.aio.server()
    registry_pb2_grpc.add_RegistryServiceServicer_to_server(RegistryServicer(adapters), server)
    transfer_pb2_grpc.add_TransferServiceServicer_to_server(TransferServicer(desk, watch_poll_s), server)
    oversight_pb2_grpc.add_OversightServiceServicer_to_server(OversightServicer(ledger), server)
    compliance_pb2_grpc.add_ComplianceServiceServicer_to_server(ComplianceServicer(desk, ledger), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (*SERVICE_NAMES, reflection.SERVICE_NAME, health.SERVICE_NAME), server
    )
    port = server.add_insecure_port(address)
    await server.start()
    for name in ("", *SERVICE_NAMES):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return server, port
