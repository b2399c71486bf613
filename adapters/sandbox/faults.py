"""Faults the sandbox injects per registry, so the client's timeouts, retries and keys are tested for real.

One draw from a seeded `random.Random` per request decides its fate, in the
order the requests arrive, so a test that sends its requests one after another
sees the same faults on every run. Faults are in-memory: a restart clears them.
"""

from __future__ import annotations

import random
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class RegistryCall(StrEnum):
    """The registry endpoints a plan can aim at (the server's route names).

    `account` is the account lookup the gateway makes before it accepts a transfer.
    The last three are the public read APIs of the evidence-based registries
    (`adapters.sandbox.public_api`), which the evidence readers poll.
    """

    HOLDINGS = "holdings"
    ACCOUNT = "account"
    LOCK = "lock"
    RELEASE = "release"
    FINALISE = "finalise"
    CREDIT = "credit"
    REVERSE = "reverse"
    RETIRE = "retire"
    ASSET_SEARCH = "asset_search"  # Verra's public asset search
    CREDITS_SEARCH = "credits_search"  # Gold Standard's public credits list
    PROJECTS_SEARCH = "projects_search"  # Gold Standard's public projects list


class LostReplyMode(StrEnum):
    STATUS = "status"  # act, then answer 503 as if the reply had been lost upstream
    DISCONNECT = "disconnect"  # act, then close the connection without answering


class FaultPlan(BaseModel):
    """What to inject into one registry's requests. Rates are per request and must sum to at most 1.

    `operations` aims the plan at some calls only (None: every registry call);
    calls outside it are neither delayed nor counted nor drawn for.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    latency_ms: int = Field(default=0, ge=0, le=60_000)
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    timeout_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    timeout_s: float = Field(default=1.0, gt=0.0, le=60.0)
    lost_reply_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    lost_reply_mode: LostReplyMode = LostReplyMode.STATUS
    refusal_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    rate_limit_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    retry_after_s: int = Field(default=1, ge=0, le=3600)  # HTTP's Retry-After is whole seconds
    operations: frozenset[RegistryCall] | None = None
    seed: int = 0

    @model_validator(mode="after")
    def _rates_fit(self) -> FaultPlan:
        rates = {
            "error_rate": self.error_rate,
            "timeout_rate": self.timeout_rate,
            "lost_reply_rate": self.lost_reply_rate,
            "refusal_rate": self.refusal_rate,
            "rate_limit_rate": self.rate_limit_rate,
        }
        if sum(rates.values()) > 1.0:
            raise ValueError(f"{' + '.join(rates)} must not exceed 1")
        return self

    def aims_at(self, call: str) -> bool:
        return self.operations is None or call in self.operations


class Fault(StrEnum):
    NONE = "none"
    ERROR = "error"  # answer 503 without acting
    TIMEOUT = "timeout"  # hold the request for timeout_s, then answer 503 without acting
    LOST_REPLY = "lost_reply"  # act, then lose the reply
    REFUSAL = "refusal"  # answer 409 without acting, as a registry that turns a request down
    RATE_LIMIT = "rate_limit"  # answer 429 with Retry-After without acting, as a registry shedding load


class FaultCounts(BaseModel):
    requests: int = 0
    error: int = 0
    timeout: int = 0
    lost_reply: int = 0
    refusal: int = 0
    rate_limit: int = 0


class FaultReport(BaseModel):
    """The plan in force for a registry (None: no faults) and what it has injected so far."""

    registry_id: str
    plan: FaultPlan | None
    counts: FaultCounts


class FaultInjector:
    """The plan and the seeded draws for one registry."""

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan
        self.counts = FaultCounts()
        self._random = random.Random(plan.seed)

    def draw(self) -> Fault:
        roll = self._random.random()
        self.counts.requests += 1
        fault = Fault.NONE
        for candidate, rate in (
            (Fault.ERROR, self.plan.error_rate),
            (Fault.TIMEOUT, self.plan.timeout_rate),
            (Fault.LOST_REPLY, self.plan.lost_reply_rate),
            (Fault.REFUSAL, self.plan.refusal_rate),
            (Fault.RATE_LIMIT, self.plan.rate_limit_rate),
        ):
            if roll < rate:
                fault = candidate
                break
            roll -= rate
        if fault is not Fault.NONE:
            setattr(self.counts, fault.value, getattr(self.counts, fault.value) + 1)
        return fault


class FaultBoard:
    """The injectors of every registry the server hosts."""

    def __init__(self) -> None:
        self._injectors: dict[str, FaultInjector] = {}

    def set(self, registry_id: str, plan: FaultPlan) -> None:
        self._injectors[registry_id] = FaultInjector(plan)

    def clear(self, registry_id: str) -> None:
        self._injectors.pop(registry_id, None)

    def injector(self, registry_id: str) -> FaultInjector | None:
        return self._injectors.get(registry_id)

    def report(self, registry_id: str) -> FaultReport:
        injector = self._injectors.get(registry_id)
        if injector is None:
            return FaultReport(registry_id=registry_id, plan=None, counts=FaultCounts())
        return FaultReport(registry_id=registry_id, plan=injector.plan, counts=injector.counts.model_copy())
