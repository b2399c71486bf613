"""Builds the grpc.aio server: the gateway's services plus health checking and reflection."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from adapters.base import RegistryAdapter
from gateway.access import AccessInterceptor, Audit
from gateway.compliance_servicer import ComplianceServicer
from gateway.finance_servicer import FinanceServicer
from gateway.oversight_servicer import OversightServicer
from gateway.owner_servicer import OwnerServicer
from gateway.servicers import RegistryServicer, TransferServicer
from gateway.transfer_desk import TransferDesk
from gateway.transport import PLAINTEXT, Transport
from ledger import Ledger
from protos.carbon.gateway.v1 import (
    compliance_pb2,
    compliance_pb2_grpc,
    finance_pb2,
    finance_pb2_grpc,
    oversight_pb2,
    oversight_pb2_grpc,
    owner_pb2,
    owner_pb2_grpc,
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
    owner_pb2.DESCRIPTOR.services_by_name["OwnerService"].full_name,
    finance_pb2.DESCRIPTOR.services_by_name["FinanceService"].full_name,
)


# The largest request the server reads (gRPC's own default, stated): a bigger one is
# RESOURCE_EXHAUSTED before any of it is decoded. Replies may be as large (a crosswalk export).
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


async def start_grpc_server(
    address: str,
    desk: TransferDesk,
    adapters: Mapping[str, RegistryAdapter],
    ledger: Ledger,
    watch_poll_s: float,
    *,
    transport: Transport = PLAINTEXT,
    audit: Audit | None = None,
    interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
) -> tuple[grpc.aio.Server, int]:
    """Start serving on `address` (port 0 picks a free one); returns the server and its port.

    `interceptors` run before the access check (outermost first), so tracing and log fields
    cover refused calls too.
    """
    server = grpc.aio.server(
        interceptors=[*interceptors, AccessInterceptor(identify=transport.identify, audit=audit)],
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ],
    )
    registry_pb2_grpc.add_RegistryServiceServicer_to_server(RegistryServicer(adapters, ledger), server)
    transfer_pb2_grpc.add_TransferServiceServicer_to_server(TransferServicer(desk, watch_poll_s), server)
    oversight_pb2_grpc.add_OversightServiceServicer_to_server(
        OversightServicer(ledger, desk.temporal, desk.settings), server
    )
    compliance_pb2_grpc.add_ComplianceServiceServicer_to_server(ComplianceServicer(desk, ledger), server)
    owner_pb2_grpc.add_OwnerServiceServicer_to_server(OwnerServicer(desk, ledger), server)
    finance_pb2_grpc.add_FinanceServiceServicer_to_server(
        FinanceServicer(desk, ledger, desk.temporal, desk.settings, watch_poll_s), server
    )
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (*SERVICE_NAMES, reflection.SERVICE_NAME, health.SERVICE_NAME), server
    )
    if transport.credentials is None:
        port = server.add_insecure_port(address)
    else:
        port = server.add_secure_port(address, transport.credentials)
    await server.start()
    for name in ("", *SERVICE_NAMES):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return server, port
