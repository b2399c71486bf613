"""Conversions between the wire contract (carbon.gateway.v1) and domain models.

Bad input found while converting becomes InvalidInput naming the field, so the
edge answers INVALID_ARGUMENT before anything is stored.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal

from google.protobuf import timestamp_pb2
from pydantic import ValidationError

from adapters import catalogue
from domain.errors import FieldViolation, InvalidInput, UnknownRegistry, quoted
from domain.gases import Gas, GwpSet
from domain.holdings import Holding
from domain.registries import Capability, RegistryInfo
from domain.serials import SerialBlock
from domain.transfers import (
    AccountRef,
    Purpose,
    Transfer,
    TransferRequest,
    TransferState,
    require_account_id,
    require_transfer_id,
)
from domain.units import UnitStatus
from ledger import TransferEvent
from ledger_anchor.receipt import SettlementReceipt
from protos.carbon.gateway.v1 import oversight_pb2, registry_pb2, transfer_pb2
from workflows.inputs import OperatorDecision, Resolution


def transfer_state_to_proto(state: TransferState) -> int:
    return int(transfer_pb2.TransferState.Value(f"TRANSFER_STATE_{state.name}"))


def transfer_state_from_proto(value: int, field: str = "filter.states") -> TransferState:
    """A state a caller names (in a filter); unspecified, or a number the contract does not define, is refused."""
    descriptor = transfer_pb2.TransferState.DESCRIPTOR.values_by_number.get(value)
    if descriptor is None or value == transfer_pb2.TRANSFER_STATE_UNSPECIFIED:
        raise InvalidInput(f"{field} is {value}, not a TransferState other than unspecified", field=field)
    return TransferState[descriptor.name.removeprefix("TRANSFER_STATE_")]


_PURPOSE_NUMBERS: dict[Purpose, transfer_pb2.Purpose] = {
    Purpose.UNSPECIFIED: transfer_pb2.PURPOSE_UNSPECIFIED,
    Purpose.NDC: transfer_pb2.PURPOSE_NDC,
    Purpose.OIMP: transfer_pb2.PURPOSE_OIMP,
    Purpose.VOLUNTARY: transfer_pb2.PURPOSE_VOLUNTARY,
    Purpose.OFFSET: transfer_pb2.PURPOSE_OFFSET,
}
_PURPOSES: dict[int, Purpose] = {int(number): purpose for purpose, number in _PURPOSE_NUMBERS.items()}


def purpose_from_proto(value: int) -> Purpose:
    """The request's purpose; a number the contract does not define (an open enum lets it through) is refused."""
    found = _PURPOSES.get(value)
    if found is None:
        raise InvalidInput(
            f"purpose {value} is not a Purpose: use PURPOSE_NDC, PURPOSE_OIMP, PURPOSE_VOLUNTARY, "
            "PURPOSE_OFFSET or leave it unspecified",
            field="purpose",
        )
    return found


def purpose_to_proto(purpose: Purpose) -> transfer_pb2.Purpose:
    return _PURPOSE_NUMBERS[purpose]


def unit_status_to_proto(status: UnitStatus) -> int:
    return int(registry_pb2.UnitStatus.Value(f"UNIT_STATUS_{status.name}"))


_CAPABILITIES: dict[Capability, registry_pb2.Capability] = {
    Capability.LOCK: registry_pb2.CAPABILITY_LOCK,
    Capability.CREDIT: registry_pb2.CAPABILITY_CREDIT,
    Capability.FINALISE: registry_pb2.CAPABILITY_FINALISE,
    Capability.EVIDENCE: registry_pb2.CAPABILITY_EVIDENCE,
}
_GASES: dict[Gas, registry_pb2.Gas] = {
    Gas.CO2: registry_pb2.GAS_CO2,
    Gas.CH4: registry_pb2.GAS_CH4,
    Gas.N2O: registry_pb2.GAS_N2O,
}
_GWP_SETS: dict[GwpSet | None, registry_pb2.GwpSet] = {
    None: registry_pb2.GWP_SET_UNSPECIFIED,
    GwpSet.AR5: registry_pb2.GWP_SET_AR5,
    GwpSet.AR6: registry_pb2.GWP_SET_AR6,
}


def registry_to_proto(info: RegistryInfo) -> registry_pb2.Registry:
    return registry_pb2.Registry(
        registry_id=info.registry_id,
        name=info.name,
        jurisdiction=info.jurisdiction,
        programme=info.programme,
        evidence_based=info.evidence_based,
        unit_types=list(info.unit_types),
        capabilities=sorted(_CAPABILITIES[c] for c in info.capabilities),
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
        gas=_GASES[block.gas],
        gwp_set=_GWP_SETS[block.gwp_set],
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


def account_from_proto(ref: transfer_pb2.AccountRef, field: str) -> AccountRef:
    """A caller's account reference; `field` is its path in the request ("source", "holder")."""
    if not ref.registry_id:
        raise InvalidInput(f"{field}.registry_id is required", field=f"{field}.registry_id")
    require_account_id(ref.account_id, f"{field}.account_id")
    return AccountRef(registry_id=ref.registry_id, account_id=ref.account_id)


def known_registry(registry_id: str, field: str = "registry_id") -> str:
    """`registry_id`, or UnknownRegistry naming `field` when the gateway links no such registry."""
    try:
        catalogue.profile(registry_id)
    except UnknownRegistry as unknown:
        raise UnknownRegistry(f"unknown registry {quoted(registry_id)}", field=field) from unknown
    return registry_id


def registry_account_from_proto(registry_id: str, account_id: str) -> AccountRef:
    """An account named by a request's top-level `registry_id` and `account_id` fields."""
    every_refusal(lambda: known_registry(registry_id), lambda: require_account_id(account_id, "account_id"))
    return AccountRef(registry_id=registry_id, account_id=account_id)


def holdings_query_from_proto(request: registry_pb2.ListHoldingsRequest) -> tuple[str, str | None]:
    """The registry a ListHoldings asks about and the account it narrows to (None: every account)."""
    known_registry(request.registry_id)
    if not request.HasField("account_id"):
        return request.registry_id, None
    return request.registry_id, require_account_id(request.account_id, "account_id")


def account_to_proto(ref: AccountRef) -> transfer_pb2.AccountRef:
    return transfer_pb2.AccountRef(registry_id=ref.registry_id, account_id=ref.account_id)


def every_refusal(*checks: Callable[[], object]) -> None:
    """Run every check; one InvalidInput naming every field they refused, so one reply names them all."""
    found = []
    for check in checks:
        try:
            check()
        except InvalidInput as refused:
            found.append(refused)
    if found:
        raise InvalidInput.joined(found)


def _positive_quantity(msg: transfer_pb2.SubmitTransferRequest) -> None:
    if msg.HasField("quantity") and msg.quantity <= 0:
        raise InvalidInput(f"quantity must be positive, got {msg.quantity}", field="quantity")


def transfer_request_from_proto(msg: transfer_pb2.SubmitTransferRequest) -> TransferRequest:
    """The request as the domain takes it; every field that is wrong on its own is named at once."""
    every_refusal(
        lambda: require_transfer_id(msg.transfer_id),
        lambda: account_from_proto(msg.source, "source"),
        lambda: account_from_proto(msg.destination, "destination"),
        lambda: _positive_quantity(msg),
        lambda: purpose_from_proto(msg.purpose),
        lambda: _compliance_year(msg),
    )
    try:
        return TransferRequest(
            transfer_id=msg.transfer_id,
            source=account_from_proto(msg.source, "source"),
            destination=account_from_proto(msg.destination, "destination"),
            serial=msg.serial,
            quantity=msg.quantity if msg.HasField("quantity") else None,
            purpose=purpose_from_proto(msg.purpose),
            compliance_year=_compliance_year(msg),
        )
    except ValidationError as invalid:
        raise invalid_input_from(invalid) from invalid


def _compliance_year(msg: transfer_pb2.SubmitTransferRequest) -> int | None:
    if not msg.HasField("compliance_year"):
        return None
    if not 2000 <= msg.compliance_year <= 2100:
        raise InvalidInput(
            f"compliance_year must be a year from 2000 to 2100, got {msg.compliance_year}",
            field="compliance_year",
        )
    return msg.compliance_year


def invalid_input_from(invalid: ValidationError, prefix: str = "") -> InvalidInput:
    """A pydantic refusal as bad input naming every field it found wrong (`prefix` starts each path)."""
    violations = []
    for error in invalid.errors():
        field = prefix + ".".join(str(part) for part in error["loc"])
        violations.append(FieldViolation(field or invalid.title, f"{field or invalid.title}: {error['msg']}"))
    return InvalidInput.of(violations)


def day_from_proto(stamp: timestamp_pb2.Timestamp, field: str) -> date:
    """A calendar day sent as 00:00:00 UTC of that day; any other time of day is refused, not rounded."""
    try:
        moment = stamp.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError) as bad:
        raise InvalidInput(f"{field} is not a valid timestamp", field=field) from bad
    if moment.time() != time(0) or stamp.nanos:
        raise InvalidInput(f"{field} must be a day at 00:00:00 UTC, got {moment.isoformat()}", field=field)
    return moment.date()


def day_to_proto(day: date) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(datetime.combine(day, time(0), tzinfo=UTC))
    return stamp


def mwh_from_proto(value: float, field: str) -> Decimal:
    """MWh as the decimal the client wrote: the shortest decimal that round-trips the double."""
    if not math.isfinite(value) or value <= 0:
        raise InvalidInput(f"{field} must be a positive finite number of MWh, got {value!r}", field=field)
    return Decimal(repr(value))


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
        purpose=purpose_to_proto(transfer.request.purpose),
        moved_serial=serial_of(transfer.block),
        compliance_year=transfer.request.compliance_year or transfer.created_at.year,
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


def operator_decision_from_proto(msg: transfer_pb2.ResolveTransferRequest) -> OperatorDecision:
    """An operator's decision; every missing or malformed field is named."""
    resolutions = {
        transfer_pb2.RESOLUTION_RETRY: Resolution.RETRY,
        transfer_pb2.RESOLUTION_RECORD_SETTLED: Resolution.RECORD_SETTLED,
        transfer_pb2.RESOLUTION_RECORD_COMPENSATED: Resolution.RECORD_COMPENSATED,
    }
    resolution = resolutions.get(msg.resolution)
    if resolution is None:
        raise InvalidInput(
            "resolution must be RETRY, RECORD_SETTLED or RECORD_COMPENSATED", field="resolution"
        )
    reason = msg.reason.strip()
    if not reason or len(reason) > 1000:
        raise InvalidInput("reason must say why in 1 to 1,000 characters", field="reason")
    require_account_id(msg.operator, "operator")
    return OperatorDecision(resolution=resolution, reason=reason, operator=msg.operator)
