"""The search attributes and memo every transfer workflow carries, so Temporal's Web UI lists transfers.

Filter in the Web UI (or `temporal workflow list --query`) with, for example,
`CarbonTransferState = "needs_intervention" AND CarbonSourceRegistry = "cn-ccer"`.
The state follows the saga's steps (SETTLED stays the state once anchored: anchoring
happens outside the transfer's workflow); the memo shows what moves, from where to where.
"""

from __future__ import annotations

from typing import Any

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from domain.transfers import Transfer, TransferState

TRANSFER_STATE = SearchAttributeKey.for_keyword("CarbonTransferState")
SOURCE_REGISTRY = SearchAttributeKey.for_keyword("CarbonSourceRegistry")
DESTINATION_REGISTRY = SearchAttributeKey.for_keyword("CarbonDestinationRegistry")
UNIT_CLASS = SearchAttributeKey.for_keyword("CarbonUnitClass")
ALL_KEYS = (TRANSFER_STATE, SOURCE_REGISTRY, DESTINATION_REGISTRY, UNIT_CLASS)


def start_attributes(transfer: Transfer) -> TypedSearchAttributes:
    request = transfer.request
    return TypedSearchAttributes(
        [
            SearchAttributePair(TRANSFER_STATE, transfer.state.value),
            SearchAttributePair(SOURCE_REGISTRY, request.source.registry_id),
            SearchAttributePair(DESTINATION_REGISTRY, request.destination.registry_id),
            SearchAttributePair(UNIT_CLASS, str(transfer.block.unit_class)),
        ]
    )


def memo(transfer: Transfer) -> dict[str, Any]:
    request = transfer.request
    return {
        "serial": request.serial,
        "quantity": transfer.block.quantity,
        "source": f"{request.source.registry_id}:{request.source.account_id}",
        "destination": f"{request.destination.registry_id}:{request.destination.account_id}",
        "purpose": str(request.purpose),
    }


def state_update(state: TransferState) -> list[Any]:
    return [TRANSFER_STATE.value_set(state.value)]
