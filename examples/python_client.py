"""A Python client of the gateway's gRPC contract, using the generated stubs in `protos/`.

It lists the registries, reads the source account's holdings, submits a transfer and follows it
with WatchTransfer to its end, printing one tab-separated line per registry, holding and state:

    .venv/bin/python examples/python_client.py 127.0.0.1:50051 \\
        cn-ccer:demo-ccer-owner cn-sz-ets:demo-sz-emitter CCER-CN-100231-2024-3-1-50000 --quantity 100

Against a gateway serving TLS with client certificates (the default; `make run` issues demo
certificates into .carbon-gateway/keys), name the keys directory: `--keys .carbon-gateway/keys`
presents the identity `identities/exchange.crt` (another with `--identity NAME`); without
`--keys` the channel is plaintext, for a gateway started with `up --plaintext`.

It exits 0 when the transfer settled (its last state SETTLED or ANCHORED), 1 when it ended
otherwise, and 2 when the gateway refused a call (printing `error CODE: message`).
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc

from protos.carbon.gateway.v1 import registry_pb2, registry_pb2_grpc, transfer_pb2, transfer_pb2_grpc

SETTLED = {transfer_pb2.TRANSFER_STATE_SETTLED, transfer_pb2.TRANSFER_STATE_ANCHORED}
PURPOSES = {
    "ndc": transfer_pb2.PURPOSE_NDC,
    "oimp": transfer_pb2.PURPOSE_OIMP,
    "voluntary": transfer_pb2.PURPOSE_VOLUNTARY,
    "offset": transfer_pb2.PURPOSE_OFFSET,
}


def account_ref(text: str) -> transfer_pb2.AccountRef:
    """`registry:account`, e.g. `cn-ccer:demo-ccer-owner`."""
    registry_id, sep, account_id = text.partition(":")
    if not sep or not registry_id or not account_id:
        raise argparse.ArgumentTypeError(f"expected REGISTRY:ACCOUNT, got {text!r}")
    return transfer_pb2.AccountRef(registry_id=registry_id, account_id=account_id)


def registries(stub: registry_pb2_grpc.RegistryServiceStub) -> Iterator[registry_pb2.Registry]:
    """Every registry, following the pages."""
    token = ""
    while True:
        page = stub.ListRegistries(registry_pb2.ListRegistriesRequest(page_token=token), timeout=30)
        yield from page.registries
        token = page.next_page_token
        if not token:
            return


def holdings(
    stub: registry_pb2_grpc.RegistryServiceStub, account: transfer_pb2.AccountRef
) -> Iterator[registry_pb2.Holding]:
    """One account's holdings, following the pages."""
    token = ""
    while True:
        request = registry_pb2.ListHoldingsRequest(
            registry_id=account.registry_id, account_id=account.account_id, page_token=token
        )
        page = stub.ListHoldings(request, timeout=30)
        yield from page.holdings
        token = page.next_page_token
        if not token:
            return


def follow(
    stub: transfer_pb2_grpc.TransferServiceStub, transfer_id: str, timeout_s: float
) -> Iterator[transfer_pb2.Transfer]:
    """The transfer at each state it reaches; the stream ends after a final state."""
    watch = stub.WatchTransfer(transfer_pb2.WatchTransferRequest(transfer_id=transfer_id), timeout=timeout_s)
    for message in watch:
        yield message.transfer


def show_state(transfer: transfer_pb2.Transfer) -> None:
    print(f"state\t{transfer.transfer_id}\t{transfer_pb2.TransferState.Name(transfer.state)}")
    for reason in transfer.reasons:
        print(f"reason\t{reason.code}\t{reason.message}")


def run(channel: grpc.Channel, options: argparse.Namespace) -> int:
    registry_stub = registry_pb2_grpc.RegistryServiceStub(channel)
    transfer_stub = transfer_pb2_grpc.TransferServiceStub(channel)
    for registry in registries(registry_stub):
        print(f"registry\t{registry.registry_id}\t{registry.name}")
    source: transfer_pb2.AccountRef = options.source
    for holding in holdings(registry_stub, source):
        status = registry_pb2.UnitStatus.Name(holding.status)
        print(
            f"holding\t{source.registry_id}\t{holding.account_id}\t{holding.serial}\t{holding.quantity}\t{status}"
        )
    request = transfer_pb2.SubmitTransferRequest(
        transfer_id=options.transfer_id or f"example-{uuid.uuid4()}",
        source=source,
        destination=options.destination,
        serial=options.serial,
    )
    if options.quantity is not None:
        request.quantity = options.quantity
    if options.purpose:
        request.purpose = PURPOSES[options.purpose]
    submitted = transfer_stub.SubmitTransfer(request, timeout=30).transfer
    print(f"submitted\t{submitted.transfer_id}")
    last = submitted
    for transfer in follow(transfer_stub, submitted.transfer_id, options.timeout):
        show_state(transfer)
        last = transfer
    return 0 if last.state in SETTLED else 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Submit one transfer to the gateway and follow it to its end."
    )
    parser.add_argument("address", help="the gateway's gRPC address, e.g. 127.0.0.1:50051")
    parser.add_argument("source", type=account_ref, help="REGISTRY:ACCOUNT holding the units")
    parser.add_argument("destination", type=account_ref, help="REGISTRY:ACCOUNT receiving them")
    parser.add_argument("serial", help="a block the source holds, in the source registry's grammar")
    parser.add_argument("--quantity", type=int, help="the first units of the block (default: all of it)")
    parser.add_argument("--id", dest="transfer_id", help="the transfer id (default: example-<uuid>)")
    parser.add_argument("--purpose", choices=sorted(PURPOSES))
    parser.add_argument("--timeout", type=float, default=300, help="seconds to follow the transfer")
    parser.add_argument(
        "--keys", type=Path, help="the gateway's keys directory (TLS with a client certificate)"
    )
    parser.add_argument("--identity", default="exchange", help="the identity in KEYS/identities to present")
    return parser.parse_args(argv)


def open_channel(options: argparse.Namespace) -> grpc.Channel:
    """Plaintext without --keys; otherwise TLS, trusting the gateway's CA and presenting an identity."""
    if options.keys is None:
        return grpc.insecure_channel(options.address)
    identity = options.keys / "identities" / options.identity
    credentials = grpc.ssl_channel_credentials(
        root_certificates=(options.keys / "ca.crt").read_bytes(),
        private_key=identity.with_suffix(".key").read_bytes(),
        certificate_chain=identity.with_suffix(".crt").read_bytes(),
    )
    return grpc.secure_channel(options.address, credentials)


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    with open_channel(options) as channel:
        try:
            return run(channel, options)
        except grpc.RpcError as error:
            code = error.code() if isinstance(error, grpc.Call) else None
            details = error.details() if isinstance(error, grpc.Call) else str(error)
            print(f"error {code.name if code else 'UNKNOWN'}: {details}", file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
