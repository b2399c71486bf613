"""Typed errors with codes; the gRPC edge maps each kind to one status code, once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

QUOTED_MAX = 64  # characters of a caller's input an error message may repeat


def quoted(value: str, limit: int = QUOTED_MAX) -> str:
    """`value` as an error message may show it: repr (invisible characters made visible), cut to `limit`.

    A message never repeats an oversized input whole: the caller already has it,
    and a megabyte echoed back is a cost and a log-injection risk.
    """
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}... ({len(value)} characters)"


class GatewayError(Exception):
    """Base of every error the gateway reports to a caller."""

    code: str = "GATEWAY-ERROR"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field

    def __str__(self) -> str:
        return self.message


class FieldViolation(NamedTuple):
    """One thing wrong with a request: the field by its full path (`source.account_id`) and what."""

    field: str
    description: str


class InvalidInput(GatewayError):
    """The request itself is wrong, whatever the state of the world (INVALID_ARGUMENT).

    It names every field found wrong at once (`violations`), so a caller fixes a
    request in one round trip; a single-field refusal is one violation on `field`.
    """

    code = "INVALID-INPUT"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        violations: Sequence[FieldViolation] = (),
    ) -> None:
        super().__init__(message, code=code, field=field or (violations[0].field if violations else None))
        self.violations: tuple[FieldViolation, ...] = tuple(violations) or (
            FieldViolation(field or "", message),
        )

    @classmethod
    def of(cls, violations: Sequence[FieldViolation]) -> InvalidInput:
        """One refusal naming every violation; its message lists their descriptions."""
        return cls("; ".join(v.description for v in violations), violations=violations)

    @classmethod
    def joined(cls, refusals: Sequence[InvalidInput]) -> InvalidInput:
        """One refusal for several: a single one as it is (its own code), several as their violations."""
        if len(refusals) == 1:
            return refusals[0]
        return cls.of([v for refusal in refusals for v in refusal.violations])


class MalformedSerial(InvalidInput):
    """A serial number does not follow its registry's grammar; names the failing segment."""

    code = "MALFORMED-SERIAL"

    def __init__(self, serial: str, segment: str, reason: str, *, field: str = "serial") -> None:
        super().__init__(f"malformed serial {quoted(serial)}: segment {segment}: {reason}", field=field)
        self.serial = serial
        self.segment = segment
        self.reason = reason


class UnknownRegistry(InvalidInput):
    code = "UNKNOWN-REGISTRY"


class PreconditionFailed(GatewayError):
    """The request is well formed but the world does not allow it now (FAILED_PRECONDITION)."""

    code = "PRECONDITION-FAILED"


class Unauthenticated(GatewayError):
    """The caller did not say who it is: no client certificate (UNAUTHENTICATED)."""

    code = "UNAUTHENTICATED"


class PermissionDenied(GatewayError):
    """The caller is known but may not do this (PERMISSION_DENIED): its role, or a signature refused.

    Each refusal has its own code (`ROLE-NOT-ALLOWED`, `SIGNATURE-REPLAYED`, ...).
    """

    code = "PERMISSION-DENIED"


class ResourceError(GatewayError):
    """An error about one resource, named by its kind and id (the gRPC edge's `google.rpc.ResourceInfo`).

    `resource_type` is the kind in the domain's words (`transfer`, `pledge`) and
    `resource_name` the id the caller sent; the gRPC edge fills in either from the
    request when the raiser could not know it.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        resource_type: str | None = None,
        resource_name: str | None = None,
    ) -> None:
        super().__init__(message, code=code, field=field)
        self.resource_type = resource_type
        self.resource_name = resource_name


class NotFound(ResourceError):
    """No resource has the id the caller named (NOT_FOUND)."""

    code = "NOT-FOUND"


class AlreadyExists(ResourceError):
    """Same client-chosen id, different content (ALREADY_EXISTS)."""

    code = "ALREADY-EXISTS"


class IllegalTransition(GatewayError):
    """A transfer was asked to move between states the lifecycle does not connect."""

    code = "ILLEGAL-TRANSITION"


class DoubleCountingConflict(GatewayError):
    """A check found the units counted elsewhere; names what they collide with."""

    code = "DC-USE"

    def __init__(self, message: str, *, code: str = "DC-USE", other_transfer_id: str | None = None) -> None:
        super().__init__(message, code=code)
        self.other_transfer_id = other_transfer_id


class RegistryUnavailable(GatewayError):
    """A registry did not answer in time; retryable (UNAVAILABLE)."""

    code = "REGISTRY-UNAVAILABLE"


class UnderReview(GatewayError):
    """A reconciliation reviews the serials a transfer would reserve; retryable once it lets go."""

    code = "UNDER-REVIEW"

    def __init__(self, message: str, *, reconciliation_id: str) -> None:
        super().__init__(message)
        self.reconciliation_id = reconciliation_id


class RegistryRefused(GatewayError):
    """A registry answered and refused the operation; not retryable."""

    code = "REGISTRY-REFUSED"
