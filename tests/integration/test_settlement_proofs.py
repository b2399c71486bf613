"""The oversight facts refuse what the log cannot answer yet, naming each bad size."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.errors import InvalidInput, PreconditionFailed
from gateway.settlement_proofs import consistency, latest_tree_head
from ledger import Ledger


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    opened = Ledger.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    yield opened
    opened.close()


def test_no_tree_head_before_the_first_final_anchor(ledger: Ledger) -> None:
    with pytest.raises(PreconditionFailed) as refused:
        latest_tree_head(ledger)
    assert "no tree head" in refused.value.message


def test_consistency_names_every_bad_size(ledger: Ledger) -> None:
    with pytest.raises(InvalidInput) as refused:
        consistency(ledger, 0, 3)
    assert [v.field for v in refused.value.violations] == ["from_size", "to_size"]  # the log is empty
    with pytest.raises(InvalidInput) as refused:
        consistency(ledger, 5, 2)
    assert [v.field for v in refused.value.violations] == ["to_size", "to_size"]
