"""Every finance workflow and activity the gateway's worker runs, gathered from their modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workflows import collateral, delivery, retirement
from workflows.finance_parts import FinanceParts

_MODULES = (collateral, delivery, retirement)

FINANCE_WORKFLOWS: list[type] = [w for module in _MODULES for w in module.WORKFLOWS]


def finance_activities(parts: FinanceParts) -> list[Callable[..., Any]]:
    return [a for module in _MODULES for a in module.activities(parts)]
