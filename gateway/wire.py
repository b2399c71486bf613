"""Conversions between the wire contract (carbon.gateway.v1) and domain models.

Bad input found while converting becomes InvalidInput naming the field, so the
edge answers INVALID_ARGUMENT before anything is stored.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from adapters import catalogue
from domain.errors import InvalidInput
from domain.holdings import Holding
from domain.registries import RegistryInfo
from domain.serials import SerialBlock
from domain.transfers import AccountRef, Transfer, TransferRequest, TransferState
from domain.units import UnitStatus
from ledger import TransferEvent
from ledger_anchor.receipt import SettlementReceipt
from protos.carbon.gateway.v1 import oversight_pb2, registry_pb2, transfer_pb2


def transfer_state_to_proto(state: TransferState) -> int:
    return int(transfer_pb2.TransferState.Value(f"TRANSFER_STATE_{state.name}"))


def transfer_state_from_proto(value: int) -> TransferState:
    name = transfer_pb2.TransferState.Name(value).removeprefix("TRANSFER_STATE_")
    if name == "UNSPECIFIED":
        raise InvalidInput("transfer state must be specified", field="filter.states")
    return TransferState[name]


def unit_status_to_proto(status: UnitStatus) -> int:
    return int(registry_pb2.UnitStatus.Value(f"UNIT_STATUS_{status.name}"))


def registry_to_proto(info: RegistryInfo) -> registry_pb2.Registry:
    return registry_pb2.Registry(
        registry_id=info.registry_id,
        name=info.name,
        jurisdiction=info.jurisdiction,
        programme=info.programme,
        evidence_based=info.evidence_based,
        unit_types=list(info.unit_types),
        capabilities=sorted(c.value for c in info.capabilities),
    )


def block_to_proto(registry_id: str, block: SerialBlock) -> registry_pb2.SerialBlock:
    return registry_pb2.SerialBlock(
        registry_id=registry_id,
        programme=block.programme,
        project_id=block.project_id,
        vintage=block.vintage,
        unit_type=block.unit_type,
        country=block.country,
        start=block.start,
        end=block.end,
        quantity=block.quantity,
        serial_space=block.serial_space,
        attributes=block.attributes,
        gas=block.gas.value,
        gwp_set=block.gwp_set.value if block.gwp_set else "",
    )


def serial_of(block: SerialBlock) -> str:
    """A block in its issuing programme's grammar (mirrored units keep their serial)."""
    return catalogue.grammar_for_programme(block.programme).format(block)


def holding_to_proto(holding: Holding) -> registry_pb2.Holding:
    return registry_pb2.Holding(
        account_id=holding.account_id,
        serial=serial_of(holding.block),
        quantity=holding.block.quantity,
        status=unit_status_to_proto(holding.status),  # type: ignore[arg-type]
        registry_status=holding.registry_status,
        block=block_to_proto(holding.registry_id, holding.block),
    )


def account_from_proto(ref: transfer_pb2.AccountRef, field: str = "holder") -> AccountRef:
    try:
        return AccountRef(registry_id=ref.registry_id, account_id=ref.account_id)
    except ValidationError as invalid:
        raise InvalidInput(f"{field} needs a registry_id and an account_id", field=field) from invalid


def account_to_proto(ref: AccountRef) -> transfer_pb2.AccountRef:
    return transfer_pb2.AccountRef(registry_id=ref.registry_id, account_id=ref.account_id)


def transfer_request_from_proto(msg: transfer_pb2.SubmitTransferRequest) -> TransferRequest:
    try:
        return TransferRequest(
            transfer_id=msg.transfer_id,
            source=AccountRef(registry_id=msg.source.registry_id, account_id=msg.source.account_id),
            destination=AccountRef(
                registry_id=msg.destination.registry_id, account_id=msg.destination.account_id
            ),
            serial=msg.serial,
            quantity=msg.quantity if msg.HasField("quantity") else None,
            purpose=msg.purpose,
        )
    except ValidationError as invalid:
        first = invalid.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(f"{field}: {first['msg']}", field=field) from invalid


def transfer_to_proto(transfer: Transfer, history: Sequence[TransferEvent] = ()) -> transfer_pb2.Transfer:
    """The transfer as it stands, or as it stood at the last of `history` (its events up to then)."""
    state, updated, reasons = transfer.state, transfer.updated_at, transfer.reasons
    if history:
        state, updated = history[-1].state, history[-1].at
        reasons = tuple(r for event in history for r in event.reasons)
    msg = transfer_pb2.Transfer(
        transfer_id=transfer.transfer_id,
        state=transfer_state_to_proto(state),  # type: ignore[arg-type]
        reasons=[transfer_pb2.Reason(code=r.code, message=r.message) for r in reasons],
        source=account_to_proto(transfer.request.source),
        destination=account_to_proto(transfer.request.destination),
        serial=transfer.request.serial,
        quantity=transfer.block.quantity,
        purpose=transfer.request.purpose,
        moved_serial=serial_of(transfer.block),
    )
    msg.create_time.FromDatetime(transfer.created_at)
    msg.update_time.FromDatetime(updated)
    return msg


def receipt_from_proof(proof: oversight_pb2.SettlementProof) -> SettlementReceipt:
    """The receipt file a holder keeps (and `carbon-gateway verify` reads) from a settlement proof."""
    return SettlementReceipt(
        leaf="0x" + proof.leaf.hex(),
        leaf_index=proof.leaf_index,
        tree_size=proof.tree_size,
        root="0x" + proof.root.hex(),
        inclusion_proof=tuple("0x" + node.hex() for node in proof.inclusion_proof),
        chain_id=proof.chain_id,
        contract_address=proof.contract_address,
        anchor_tx_hash=proof.anchor_tx_hash,
        anchor_block_number=proof.anchor_block_number,
    )
