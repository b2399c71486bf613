"""What one sandbox registry does to its book of holdings on each operation.

The rules a real registry would apply: units go only into an account that was
opened and is not blocked, and never out of a blocked one; a lock takes units
out of exactly one held block, a release puts them back (merged with their held
neighbours), a finalise exports them, a credit never lets the same serials be
live twice, a reversed credit leaves no trace in the live totals, and a retirement
takes units out of one held block for good (they stay live, RETIRED, on the
beneficiary's behalf; nothing undoes it). Each key's fate is recorded, so a late
lock or credit arriving after its compensation is refused rather than stranding
units. Compensations (release, reverse) are never refused for a blocked account:
they put things back as they were.
"""

from __future__ import annotations

from dataclasses import replace

from adapters.base import AccountState, RegistryProfile
from adapters.sandbox.refusals import Refusal, RefusalCode
from adapters.sandbox.store import HoldingRow, KeyRecord, RetirementRow, StoreTx
from adapters.sandbox.wire import KeyState, Operation, OperationResult, RetirementOut
from domain.serials import SerialBlock
from domain.units import LIVE_STATUSES, UnitStatus

LOCK = "lock"
CREDIT = "credit"
RETIRE = "retire"

_CLOSED_KEY_CODES = {
    KeyState.LOCKED: RefusalCode.KEY_REUSED,
    KeyState.CREDITED: RefusalCode.KEY_REUSED,
    KeyState.RELEASED: RefusalCode.LOCK_RELEASED,
    KeyState.FINALISED: RefusalCode.LOCK_FINALISED,
    KeyState.REVERSED: RefusalCode.CREDIT_REVERSED,
    KeyState.RETIRED: RefusalCode.KEY_REUSED,
}

# The statuses this server itself produces; a profile must have a word for each. RETIRED is not
# among them: a registry without a word for it (some test profiles) refuses retire instead.
SANDBOX_STATUSES = (UnitStatus.HELD, UnitStatus.LOCKED, UnitStatus.EXPORTED)


def _span(block: SerialBlock) -> str:
    return f"{block.serial_space} {block.start}..{block.end}"


def _issuance_differences(held: SerialBlock, asked: SerialBlock) -> list[str]:
    ours = held.model_dump(exclude={"start", "end"})
    theirs = asked.model_dump(exclude={"start", "end"})
    return sorted(name for name in ours if ours[name] != theirs.get(name))


def _covers(rows: list[HoldingRow], block: SerialBlock) -> bool:
    """True when the rows' ranges together leave no gap inside `block`."""
    next_unit = block.start
    for row in sorted(rows, key=lambda r: r.block.start):
        if row.block.start > next_unit:
            return False
        next_unit = max(next_unit, row.block.end + 1)
    return next_unit > block.end


class SandboxRegistry:
    """One registry's rules over the shared store; every method runs inside one write transaction."""

    def __init__(self, profile: RegistryProfile) -> None:
        missing = [s.value for s in SANDBOX_STATUSES if s not in profile.status_words.values()]
        if missing:
            raise ValueError(f"{profile.registry_id} has no status word for {', '.join(missing)}")
        self.profile = profile

    @property
    def registry_id(self) -> str:
        return self.profile.registry_id

    def accepts(self, block: SerialBlock) -> bool:
        return block.programme == self.profile.info.programme or (
            block.programme in self.profile.accepted_programmes
        )

    def account_state(self, tx: StoreTx, account_id: str) -> AccountState:
        return tx.account_state(self.registry_id, account_id)

    def set_account(self, tx: StoreTx, account_id: str, state: AccountState) -> None:
        """Open or block an account (what the registry's operator does; the admin endpoint)."""
        tx.put_account(self.registry_id, account_id, state)

    def lock(self, tx: StoreTx, key: str, account_id: str, block: SerialBlock) -> OperationResult:
        self._refuse_closed_key(tx, LOCK, key)
        self._refuse_closed_account(tx, account_id, receiving=False)
        self.take_held(tx, account_id, block, UnitStatus.LOCKED, key)
        tx.put_key_record(KeyRecord(self.registry_id, LOCK, key, KeyState.LOCKED, account_id, block))
        return self._result(key, Operation.LOCK, KeyState.LOCKED, True, account_id, block)

    def take_held(
        self, tx: StoreTx, account_id: str, block: SerialBlock, status: UnitStatus, op_key: str
    ) -> None:
        """Move `block` out of the one held block of the account that contains it, into `status`.

        What a lock does, and what a holder's immobilisation or retirement does in
        an evidence-based registry; the rest of the held block stays held.
        """
        overlapping = tx.overlapping(self.registry_id, block)
        container = next(
            (
                row
                for row in overlapping
                if row.account_id == account_id
                and row.status is UnitStatus.HELD
                and row.block.contains(block)
                and row.block.same_issuance(block)
            ),
            None,
        )
        if container is None:
            raise self._why_not_lockable(account_id, block, overlapping)
        tx.delete(container.row_id)
        for rest in container.block.subtract(block):
            tx.insert(self.registry_id, account_id, rest, UnitStatus.HELD, container.op_key)
        tx.insert(self.registry_id, account_id, block, status, op_key)

    def release(self, tx: StoreTx, key: str) -> OperationResult:
        record = tx.key_record(self.registry_id, LOCK, key)
        if record is None:
            # Remember the release so a lock arriving late under this key is refused.
            tx.put_key_record(KeyRecord(self.registry_id, LOCK, key, KeyState.RELEASED, None, None))
            return self._result(key, Operation.RELEASE, KeyState.RELEASED, False)
        if record.state is KeyState.FINALISED:
            raise Refusal(RefusalCode.LOCK_FINALISED, f"lock {key!r} was finalised; its units were exported")
        if record.state is KeyState.LOCKED:
            for row in tx.with_key(self.registry_id, key, UnitStatus.LOCKED):
                tx.delete(row.row_id)
                self.put_held(tx, row.account_id, row.block, key)
            tx.put_key_record(replace(record, state=KeyState.RELEASED))
        return self._result(
            key, Operation.RELEASE, KeyState.RELEASED, record.state is KeyState.LOCKED, *_where(record)
        )

    def finalise(self, tx: StoreTx, key: str) -> OperationResult:
        record = tx.key_record(self.registry_id, LOCK, key)
        if record is None:
            raise Refusal(RefusalCode.UNKNOWN_LOCK, f"no lock was taken under {key!r}")
        if record.state is KeyState.RELEASED:
            raise Refusal(RefusalCode.LOCK_RELEASED, f"lock {key!r} was released; nothing to finalise")
        if record.state is KeyState.LOCKED:
            for row in tx.with_key(self.registry_id, key, UnitStatus.LOCKED):
                tx.set_status(row.row_id, UnitStatus.EXPORTED, key)
            tx.put_key_record(replace(record, state=KeyState.FINALISED))
        return self._result(
            key, Operation.FINALISE, KeyState.FINALISED, record.state is KeyState.LOCKED, *_where(record)
        )

    def credit(self, tx: StoreTx, key: str, account_id: str, block: SerialBlock) -> OperationResult:
        self._refuse_closed_key(tx, CREDIT, key)
        self._refuse_closed_account(tx, account_id, receiving=True)
        self._refuse_unplaceable(tx, block)
        self.put_held(tx, account_id, block, key)
        tx.put_key_record(KeyRecord(self.registry_id, CREDIT, key, KeyState.CREDITED, account_id, block))
        return self._result(key, Operation.CREDIT, KeyState.CREDITED, True, account_id, block)

    def reverse(self, tx: StoreTx, key: str) -> OperationResult:
        """Take the credited units out of the book entirely: a reversed credit never happened.

        The key record keeps the account and block for audit; no EXPORTED row is
        written, because the units did not leave through a settled transfer.
        """
        record = tx.key_record(self.registry_id, CREDIT, key)
        if record is None:
            tx.put_key_record(KeyRecord(self.registry_id, CREDIT, key, KeyState.REVERSED, None, None))
            return self._result(key, Operation.REVERSE, KeyState.REVERSED, False)
        if record.state is KeyState.CREDITED and record.account_id and record.block:
            self._remove_held(tx, key, record.account_id, record.block)
            tx.put_key_record(replace(record, state=KeyState.REVERSED))
        return self._result(
            key, Operation.REVERSE, KeyState.REVERSED, record.state is KeyState.CREDITED, *_where(record)
        )

    def retire(
        self, tx: StoreTx, key: str, account_id: str, block: SerialBlock, beneficiary: str, reason: str
    ) -> OperationResult:
        """Retire `block` out of the one held block of the account that contains it; the rest stays held.

        The same key and body again never reaches here (the stored answer is sent); a
        key already retired with another body is refused by the idempotency check first.
        """
        self._refuse_no_word_for(UnitStatus.RETIRED)
        self._refuse_closed_key(tx, RETIRE, key)
        self._refuse_closed_account(tx, account_id, receiving=False)
        self.take_held(tx, account_id, block, UnitStatus.RETIRED, key)
        tx.put_key_record(KeyRecord(self.registry_id, RETIRE, key, KeyState.RETIRED, account_id, block))
        retirement = RetirementRow(self.registry_id, key, account_id, block, beneficiary, reason)
        tx.put_retirement(retirement)
        return self._result(
            key, Operation.RETIRE, KeyState.RETIRED, True, account_id, block, retirement_out(retirement)
        )

    def seed(
        self, tx: StoreTx, seed_key: str, account_id: str, block: SerialBlock, status: UnitStatus
    ) -> None:
        """Insert units as given (no merging), under the same placement rules as a credit.

        The holder's account is opened if it does not exist yet (a blocked one stays blocked).
        """
        self._refuse_no_word_for(status)
        if status in LIVE_STATUSES:
            self._refuse_unplaceable(tx, block)
        tx.open_if_absent(self.registry_id, account_id)
        tx.insert(self.registry_id, account_id, block, status, seed_key)

    def _refuse_no_word_for(self, status: UnitStatus) -> None:
        """Units never take a status the registry has no word for: its holdings could not show them."""
        if status not in self.profile.status_words.values():
            raise Refusal(
                RefusalCode.NO_STATUS_WORD, f"{self.registry_id} has no word for status {status.value}"
            )

    def _refuse_closed_account(self, tx: StoreTx, account_id: str, *, receiving: bool) -> None:
        """Nothing moves into or out of a blocked account, and units go only into an opened one.

        An account that sends units it does not hold is refused by the lock's own checks.
        """
        state = self.account_state(tx, account_id)
        if state is AccountState.UNKNOWN and receiving:
            raise Refusal(
                RefusalCode.ACCOUNT_UNKNOWN, f"{self.registry_id} has no account {account_id!r} to credit"
            )
        if state is AccountState.BLOCKED:
            raise Refusal(
                RefusalCode.ACCOUNT_BLOCKED, f"account {account_id!r} of {self.registry_id} is blocked"
            )

    def _refuse_closed_key(self, tx: StoreTx, kind: str, key: str) -> None:
        """A key already used (or compensated before it was used) never locks, credits or retires again."""
        record = tx.key_record(self.registry_id, kind, key)
        if record is None:
            return
        code = _CLOSED_KEY_CODES[record.state]
        raise Refusal(code, f"{kind} key {key!r} was already {record.state.value}; it cannot be used again")

    def _refuse_unplaceable(self, tx: StoreTx, block: SerialBlock) -> None:
        if not self.accepts(block):
            raise Refusal(
                RefusalCode.PROGRAMME_NOT_ACCEPTED,
                f"{self.registry_id} does not hold units of programme {block.programme!r}",
            )
        live = [r for r in tx.overlapping(self.registry_id, block) if r.status in LIVE_STATUSES]
        if live:
            clash = live[0]
            raise Refusal(
                RefusalCode.SERIALS_ALREADY_LIVE,
                f"{_span(block)} overlaps {_span(clash.block)}, {clash.status.value} in account "
                f"{clash.account_id!r} of {self.registry_id}",
            )

    def _why_not_lockable(
        self, account_id: str, block: SerialBlock, overlapping: list[HoldingRow]
    ) -> Refusal:
        held = [r for r in overlapping if r.status is UnitStatus.HELD]
        mine = [r for r in held if r.account_id == account_id]
        same_range = next((r for r in mine if r.block.contains(block)), None)
        if same_range is not None:
            fields = ", ".join(_issuance_differences(same_range.block, block))
            return Refusal(
                RefusalCode.UNITS_NOT_HELD,
                f"{_span(block)} is held by {account_id!r} but as another issuance (differs in {fields})",
            )
        if mine:
            return Refusal(
                RefusalCode.QUANTITY_EXCEEDS_BLOCK,
                f"{_span(block)} ({block.quantity} units) is not inside one held block of {account_id!r}; "
                f"held there: {', '.join(_span(r.block) for r in mine)}",
            )
        if held:
            return Refusal(
                RefusalCode.WRONG_ACCOUNT,
                f"{_span(block)} is held by account {held[0].account_id!r}, not {account_id!r}",
            )
        live = [r for r in overlapping if r.status in LIVE_STATUSES]
        if live:
            return Refusal(
                RefusalCode.UNITS_NOT_HELD,
                f"{_span(block)} is not held: {_span(live[0].block)} is {live[0].status.value}",
            )
        return Refusal(RefusalCode.UNITS_NOT_HELD, f"{_span(block)} is not in {self.registry_id}")

    def put_held(self, tx: StoreTx, account_id: str, block: SerialBlock, op_key: str) -> None:
        """Add held units, merged with the account's held neighbours of the same issuance."""
        for sibling in tx.adjacent_or_overlapping(self.registry_id, block):
            if (
                sibling.account_id == account_id
                and sibling.status is UnitStatus.HELD
                and sibling.block.same_issuance(block)
            ):
                tx.delete(sibling.row_id)
                block = block.merge(sibling.block)
        tx.insert(self.registry_id, account_id, block, UnitStatus.HELD, op_key)

    def _remove_held(self, tx: StoreTx, key: str, account_id: str, block: SerialBlock) -> None:
        held = [
            r
            for r in tx.overlapping(self.registry_id, block)
            if r.account_id == account_id and r.status is UnitStatus.HELD and r.block.same_issuance(block)
        ]
        if not _covers(held, block):
            raise Refusal(
                RefusalCode.CREDIT_NOT_HELD,
                f"credit {key!r}: {_span(block)} is no longer all held in account {account_id!r}",
            )
        for row in held:
            tx.delete(row.row_id)
            for rest in row.block.subtract(block):
                tx.insert(self.registry_id, account_id, rest, UnitStatus.HELD, row.op_key)

    def _result(
        self,
        key: str,
        operation: Operation,
        state: KeyState,
        changed: bool,
        account_id: str | None = None,
        block: SerialBlock | None = None,
        retirement: RetirementOut | None = None,
    ) -> OperationResult:
        return OperationResult(
            registry_id=self.registry_id,
            key=key,
            operation=operation,
            state=state,
            changed=changed,
            account_id=account_id,
            block=block,
            retirement=retirement,
        )


def _where(record: KeyRecord) -> tuple[str | None, SerialBlock | None]:
    return record.account_id, record.block


def retirement_out(retirement: RetirementRow) -> RetirementOut:
    return RetirementOut(key=retirement.key, beneficiary=retirement.beneficiary, reason=retirement.reason)
