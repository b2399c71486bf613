"""Owners' keys are registered once per account, revoked for good, and each nonce is spent exactly once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from domain import signed_requests
from domain.errors import AlreadyExists, NotFound, PermissionDenied, PreconditionFailed
from domain.signed_requests import OwnerKey, SignatureAlgorithm
from domain.transfers import AccountRef
from ledger import Ledger
from tests.integration.ledger_samples import BACKENDS, HK_B, VERRA_A, later, open_ledger, running_cluster
from tests.postgres_cluster import ThrowawayCluster

T = TypeVar("T")


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayCluster]:
    yield from running_cluster()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def ledger(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Ledger]:
    yield from open_ledger(backend, tmp_path, request)


def owner_key(
    account: AccountRef = VERRA_A, owner_org: str = "Owner A", minute: int = 0, der: bytes | None = None
) -> OwnerKey:
    der = der or signed_requests.public_key_der(ed25519.Ed25519PrivateKey.generate())
    return OwnerKey(
        key_id=signed_requests.key_id_of(der),
        account=account,
        owner_org=owner_org,
        algorithm=SignatureAlgorithm.ED25519,
        public_key=der,
        registered_at=later(minute),
        registered_by=f"registry-operator:verra/op-{minute}",
    )


def test_registering_the_same_key_again_is_a_no_op(ledger: Ledger) -> None:
    key = owner_key()
    assert ledger.register_owner_key(key) == (key, True)
    again = key.model_copy(
        update={"registered_at": later(5), "registered_by": "registry-operator:verra/other"}
    )
    assert ledger.register_owner_key(again) == (key, False)  # the first registration stands
    assert ledger.owner_key(key.key_id) == key
    assert ledger.owner_key("sha256:" + "0" * 64) is None


@pytest.mark.parametrize("change", [{"account": HK_B}, {"owner_org": "Someone Else"}])
def test_a_key_registered_for_another_account_or_owner_is_already_exists(
    ledger: Ledger, change: dict[str, object]
) -> None:
    key = owner_key()
    ledger.register_owner_key(key)
    with pytest.raises(AlreadyExists) as refused:
        ledger.register_owner_key(key.model_copy(update=change))
    assert refused.value.resource_name == key.key_id
    assert ledger.owner_key(key.key_id) == key
    assert ledger.owner_keys(HK_B) == []


def test_keys_are_listed_per_account_oldest_first_revoked_ones_included(ledger: Ledger) -> None:
    old, new, other = owner_key(minute=1), owner_key(minute=2), owner_key(HK_B, minute=0)
    for key in (new, other, old):
        ledger.register_owner_key(key)
    ledger.revoke_owner_key(old.key_id, "registry-operator:verra/op", later(3), "rotated")
    assert [k.key_id for k in ledger.owner_keys(VERRA_A)] == [old.key_id, new.key_id]
    assert [k.revoked for k in ledger.owner_keys(VERRA_A)] == [True, False]
    assert [k.key_id for k in ledger.owner_keys(HK_B)] == [other.key_id]


def test_revoking_records_who_and_when_once_and_a_revoked_key_is_not_registered_again(ledger: Ledger) -> None:
    key = owner_key()
    ledger.register_owner_key(key)
    revoked, changed = ledger.revoke_owner_key(
        key.key_id, "registry-operator:verra/alice", later(10), "the device was lost"
    )
    assert changed and revoked.revoked_at == later(10)
    assert (revoked.revoked_by, revoked.revoke_reason) == (
        "registry-operator:verra/alice",
        "the device was lost",
    )
    again, changed = ledger.revoke_owner_key(key.key_id, "registry-operator:verra/bob", later(20), "again")
    assert not changed and again == revoked  # the first revocation is kept
    with pytest.raises(NotFound):
        ledger.revoke_owner_key("sha256:" + "1" * 64, "registry-operator:verra/bob", later(20), "unknown")
    with pytest.raises(PreconditionFailed):
        ledger.register_owner_key(key)
    assert ledger.owner_key(key.key_id) == revoked


def test_a_nonce_is_spent_once_and_only_its_own_transfer_may_retry(ledger: Ledger) -> None:
    key, other = owner_key(), owner_key()
    ledger.register_owner_key(key)
    ledger.register_owner_key(other)
    assert ledger.use_nonce(key.key_id, "n-1", "T1", later(15), later(1))
    assert not ledger.use_nonce(key.key_id, "n-1", "T1", later(15), later(2))  # the same request again
    with pytest.raises(PermissionDenied) as replayed:
        ledger.use_nonce(key.key_id, "n-1", "T2", later(15), later(3))
    assert replayed.value.code == signed_requests.REPLAYED
    assert "T1" in replayed.value.message
    assert ledger.use_nonce(other.key_id, "n-1", "T2", later(15), later(3))  # nonces are per key
    assert ledger.use_nonce(key.key_id, "n-2", "T1", later(15), later(4))  # the same transfer, a new nonce


def test_an_unknown_or_revoked_key_spends_no_nonce(ledger: Ledger) -> None:
    with pytest.raises(PermissionDenied) as unknown:
        ledger.use_nonce("sha256:" + "2" * 64, "n-1", "T1", later(15), later(1))
    assert unknown.value.code == signed_requests.KEY_UNKNOWN
    key = owner_key()
    ledger.register_owner_key(key)
    ledger.revoke_owner_key(key.key_id, "registry-operator:verra/op", later(1), "compromised")
    with pytest.raises(PermissionDenied) as revoked:
        ledger.use_nonce(key.key_id, "n-1", "T1", later(15), later(2))
    assert revoked.value.code == signed_requests.KEY_REVOKED


def _race(count: int, attempt: Callable[[int], T]) -> list[T | Exception]:
    """`attempt(i)` for i in range(count), from as many threads started together: results or errors."""
    start = threading.Barrier(count)

    def one(i: int) -> T | Exception:
        start.wait()
        try:
            return attempt(i)
        except Exception as error:
            return error

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_of_concurrent_uses_of_one_nonce_exactly_one_wins(ledger: Ledger) -> None:
    key = owner_key()
    ledger.register_owner_key(key)
    results = _race(8, lambda i: ledger.use_nonce(key.key_id, "n-race", f"T{i}", later(15), later(1)))
    winners = [i for i, result in enumerate(results) if result is True]
    assert len(winners) == 1, results
    losers = [r for r in results if r is not True]
    assert all(isinstance(r, PermissionDenied) and r.code == signed_requests.REPLAYED for r in losers), losers
    assert not ledger.use_nonce(key.key_id, "n-race", f"T{winners[0]}", later(15), later(2))


def test_concurrent_registrations_of_one_key_store_it_once(ledger: Ledger) -> None:
    key = owner_key()
    results = _race(
        6, lambda i: ledger.register_owner_key(key.model_copy(update={"registered_at": later(i)}))
    )
    registered = [r for r in results if isinstance(r, tuple)]
    assert len(registered) == 6, results
    assert sorted(added for _, added in registered) == [False] * 5 + [True]
    assert len({stored for stored, _ in registered}) == 1
    assert ledger.owner_keys(VERRA_A) == [registered[0][0]]
