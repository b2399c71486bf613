"""`carbon-gateway audit-log`: a regulator reads the audit log and, with --verify, recomputes its chain.

The log is paged from ListAuditEvents to its end. Text output is one row per event;
--json is one JSON object per line (the contract's JSON form: hashes in base64).
--verify checks the chain on this side of the wire, as docs/security.md describes,
so a gateway that rewrote, dropped or reordered an event cannot hide it: it reads
the whole log (a filtered page skips events, so only the whole chain can be
checked), shows the events the filters match, and exits 1 naming the first
broken seq. A head printed by an earlier run can be passed back with --pinned-head
to check that the log was only extended since.

gateway.cli is imported when the command runs, not before, so cli.py may import
this module wherever it likes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime

import click
import grpc

from domain.audit import AuditEvent, ChainBreak, first_break, rfc3339
from protos.carbon.gateway.v1 import oversight_pb2, oversight_pb2_grpc

_PACKAGE = "carbon.gateway.v1"
_PAGE_SIZE = 500  # the contract's largest page: fewest round trips
_HEADERS = ("seq", "time", "role", "org", "caller", "method", "target", "outcome", "reason", "hash")
_OUTCOMES = [code.name for code in grpc.StatusCode]


def _default_target() -> str:
    from gateway.cli import _settings

    return _settings().grpc_target


def _method_path(value: str | None) -> str | None:
    """A full method path; `Service/Method` is read as one of this contract's services."""
    if not value or value.startswith("/"):
        return value or None
    if value.count("/") != 1:
        raise click.BadParameter(f"expected /PACKAGE.SERVICE/METHOD or SERVICE/METHOD, got {value!r}")
    return f"/{_PACKAGE}.{value}"


def _moment(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not an RFC 3339 time: {value!r}", param_hint=name) from None
    if moment.tzinfo is None:
        raise click.BadParameter(f"{value!r} has no time zone (add Z for UTC)", param_hint=name)
    return moment.astimezone(UTC)


def _pinned(value: str | None) -> tuple[int, bytes] | None:
    if value is None:
        return None
    size, sep, digest = value.partition(":")
    try:
        pinned = int(size), bytes.fromhex(digest)
    except ValueError:
        pinned = None
    if not sep or pinned is None or pinned[0] < 1 or len(pinned[1]) != 32:
        raise click.BadParameter(f"expected SIZE:HASH as an earlier --verify printed it, got {value!r}")
    return pinned


def event_from_proto(msg: oversight_pb2.AuditEvent) -> AuditEvent:
    """The event exactly as sent (not validated): verification must judge what the gateway said."""
    return AuditEvent.model_construct(
        seq=msg.seq,
        at=msg.time.ToDatetime(tzinfo=UTC),
        role=msg.role,
        org=msg.org,
        caller=msg.caller,
        method=msg.method,
        target=msg.target,
        outcome=msg.outcome,
        reason=msg.reason,
        prev_hash=msg.prev_hash,
        hash=msg.hash,
    )


class ChainCheck:
    """Follows the chain event by event, as pages arrive; remembers the first break."""

    def __init__(self, pinned: tuple[int, bytes] | None) -> None:
        self.size, self.last = 0, b""
        self.broken: ChainBreak | None = None
        self._pinned = pinned
        self._pinned_seen: bytes | None = None

    def feed(self, event: AuditEvent) -> None:
        if self.broken is not None:
            return
        self.broken = first_break([event], self.last, self.size)
        if self.broken is None:
            self.size, self.last = self.size + 1, event.hash
            if self._pinned is not None and event.seq == self._pinned[0] - 1:
                self._pinned_seen = event.hash

    def verdict(self) -> ChainBreak | None:
        """The first break, including one against the pinned head once the whole log was fed."""
        if self.broken is not None or self._pinned is None:
            return self.broken
        size, digest = self._pinned
        if self.size < size:
            return ChainBreak(self.size, f"the pinned head has {size} events, the log now {self.size}")
        if self._pinned_seen != digest:
            return ChainBreak(size - 1, "its hash is not the pinned head's: the log was rewritten")
        return None


def _matcher(
    method: str | None, org: str | None, outcome: str | None, since: datetime | None, until: datetime | None
) -> Callable[[AuditEvent], bool]:
    """The server's filter, applied here: with --verify the whole log is read and filtered after."""

    def wanted(event: AuditEvent) -> bool:
        return (
            (method is None or event.method == method)
            and (org is None or event.org == org)
            and (outcome is None or event.outcome == outcome)
            and (since is None or event.at >= since)
            and (until is None or event.at < until)
        )

    return wanted


def _row(event: AuditEvent) -> tuple[str, ...]:
    return (
        str(event.seq),
        rfc3339(event.at),
        event.role,
        event.org,
        event.caller,
        event.method,
        event.target,
        event.outcome,
        event.reason,
        event.hash.hex(),
    )


@click.command("audit-log")
@click.option(
    "--method", default=None, help="Only calls of this method (/PACKAGE.SERVICE/METHOD or SERVICE/METHOD)."
)
@click.option("--org", default=None, help="Only calls by this organisation.")
@click.option(
    "--outcome",
    type=click.Choice(_OUTCOMES, case_sensitive=False),
    default=None,
    help="Only calls that ended with this gRPC status code.",
)
@click.option("--since", default=None, help="Only calls at or after this RFC 3339 time.")
@click.option("--until", default=None, help="Only calls before this RFC 3339 time.")
@click.option("--verify", is_flag=True, help="Recompute the hash chain; exit 1 naming the first broken seq.")
@click.option(
    "--pinned-head",
    default=None,
    metavar="SIZE:HASH",
    help="With --verify: a head an earlier --verify printed; the log must still hold it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per event, one per line.")
@click.option("--target", default=_default_target, show_default="settings' gRPC address")
def audit_log(
    method: str | None,
    org: str | None,
    outcome: str | None,
    since: str | None,
    until: str | None,
    verify: bool,
    pinned_head: str | None,
    as_json: bool,
    target: str,
) -> None:
    """Read the audit log of every state-changing call, oldest first; --verify checks its hash chain."""
    from gateway.cli import _channel, _echo_json, _print_table, _to_json, rpc

    if pinned_head is not None and not verify:
        raise click.UsageError("--pinned-head goes with --verify")
    path, status = _method_path(method), outcome.upper() if outcome else None
    start, end = _moment(since, "--since"), _moment(until, "--until")
    wanted = _matcher(path, org, status, start, end)
    request = oversight_pb2.ListAuditEventsRequest(page_size=_PAGE_SIZE)
    if not verify:  # the gateway filters; with --verify every event is read and filtered here
        request.filter.CopyFrom(_server_filter(path, org, status, start, end))
    check = ChainCheck(_pinned(pinned_head)) if verify else None
    rows: list[tuple[str, ...]] = []
    with _channel(target, rpc("OversightService", "ListAuditEvents")) as channel:
        stub = oversight_pb2_grpc.OversightServiceStub(channel)
        while True:
            page = stub.ListAuditEvents(request)
            for msg in page.events:
                event = event_from_proto(msg)
                if check is not None:
                    check.feed(event)
                if not wanted(event):
                    continue
                if as_json:
                    _echo_json(_to_json(msg))
                else:
                    rows.append(_row(event))
            if not page.next_page_token:
                break
            request.page_token = page.next_page_token
    if not as_json:
        _print_table(_HEADERS, rows)
    if check is not None:
        _report(check)


def _server_filter(
    method: str | None, org: str | None, outcome: str | None, start: datetime | None, end: datetime | None
) -> oversight_pb2.AuditEventFilter:
    """The options as the contract's filter."""
    wanted = oversight_pb2.AuditEventFilter(method=method or "", org=org or "", outcome=outcome or "")
    if start is not None:
        wanted.start_time.FromDatetime(start)
    if end is not None:
        wanted.end_time.FromDatetime(end)
    return wanted


def _report(check: ChainCheck) -> None:
    """The verdict on stderr (stdout keeps only events); exit 1 when the chain is broken."""
    broken = check.verdict()
    if broken is not None:
        click.echo(f"audit log broken at seq {broken.seq}: {broken.why}", err=True)
        sys.exit(1)
    click.echo(
        f"audit log verified: {check.size} events, chain unbroken; head {check.size}:{check.last.hex()}",
        err=True,
    )
