"""Enforces the contract's `google.api.field_behavior = REQUIRED` on every request, from the descriptors.

Requirements are written once, in the .proto files; this walks a request message
(into every message field that is set, and every element of a repeated one) and
names each REQUIRED field left empty by its full path (`source.account_id`,
`items[2].serial`), all at once, so the caller fixes the request in one round trip.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import cast

from google.api import field_behavior_pb2
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from domain.errors import FieldViolation, InvalidInput

_REQUIRED = field_behavior_pb2.REQUIRED


def is_required(field: FieldDescriptor) -> bool:
    return _REQUIRED in field.GetOptions().Extensions[field_behavior_pb2.field_behavior]


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def _is_empty(message: Message, field: FieldDescriptor) -> bool:
    """Empty as proto3 reads it: unset with presence; otherwise the default (0, "", unspecified, none)."""
    if field.is_repeated:
        return len(getattr(message, field.name)) == 0
    if field.has_presence:
        return not message.HasField(field.name)
    return bool(getattr(message, field.name) == field.default_value)


def _children(message: Message, field: FieldDescriptor, path: str) -> Iterator[tuple[Message, str]]:
    """The messages under `field` to walk into, with their paths."""
    if field.type != FieldDescriptor.TYPE_MESSAGE or _is_map(field):
        return
    if field.is_repeated:
        for index, element in enumerate(getattr(message, field.name)):
            yield element, f"{path}[{index}]"
    elif message.HasField(field.name):
        yield getattr(message, field.name), path


def missing(message: Message, prefix: str = "") -> list[str]:
    """The full paths of the REQUIRED fields left empty in `message`, in field order, depth first."""
    found: list[str] = []
    for field in cast(Sequence[FieldDescriptor], message.DESCRIPTOR.fields):
        path = f"{prefix}{field.name}"
        if is_required(field) and _is_empty(message, field):
            found.append(path)
            continue
        for child, child_path in _children(message, field, path):
            found += missing(child, f"{child_path}.")
    return found


def require(message: Message) -> None:
    """InvalidInput naming every REQUIRED field `message` leaves empty; nothing when all are there."""
    paths = missing(message)
    if paths:
        raise InvalidInput.of([FieldViolation(path, f"{path} is required") for path in paths])
