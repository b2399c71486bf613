"""Every way the sandbox refuses a request: a stable code, the HTTP status, one sentence of meaning.

Codes follow the transaction-log checks the gateway mirrors (units not held,
quantity exceeds balance, transaction already exists); the client passes them on
unchanged in `RegistryRefused.code`.
"""

from __future__ import annotations

from enum import StrEnum


class RefusalCode(StrEnum):
    UNITS_NOT_HELD = "UNITS-NOT-HELD"
    QUANTITY_EXCEEDS_BLOCK = "QUANTITY-EXCEEDS-BLOCK"
    WRONG_ACCOUNT = "WRONG-ACCOUNT"
    LOCK_RELEASED = "LOCK-RELEASED"
    LOCK_FINALISED = "LOCK-FINALISED"
    UNKNOWN_LOCK = "UNKNOWN-LOCK"
    PROGRAMME_NOT_ACCEPTED = "PROGRAMME-NOT-ACCEPTED"
    SERIALS_ALREADY_LIVE = "SERIALS-ALREADY-LIVE"
    CREDIT_REVERSED = "CREDIT-REVERSED"
    CREDIT_NOT_HELD = "CREDIT-NOT-HELD"
    NO_STATUS_WORD = "NO-STATUS-WORD"
    KEY_REUSED = "KEY-REUSED"
    INVALID_REQUEST = "INVALID-REQUEST"
    UNKNOWN_REGISTRY = "UNKNOWN-REGISTRY"
    NOT_EVIDENCE_BASED = "NOT-EVIDENCE-BASED"
    NOT_IMMOBILISED = "NOT-IMMOBILISED"
    PAGE_SIZE_TOO_LARGE = "PAGE-SIZE-TOO-LARGE"
    ACCOUNT_UNKNOWN = "ACCOUNT-UNKNOWN"
    ACCOUNT_BLOCKED = "ACCOUNT-BLOCKED"


MEANING: dict[RefusalCode, str] = {
    RefusalCode.UNITS_NOT_HELD: "the units are not held (absent, or locked, retired or exported)",
    RefusalCode.QUANTITY_EXCEEDS_BLOCK: "the block reaches past the held block that holds part of it",
    RefusalCode.WRONG_ACCOUNT: "the units are held, but by another account of this registry",
    RefusalCode.LOCK_RELEASED: "the lock key was released; it cannot lock or finalise again",
    RefusalCode.LOCK_FINALISED: "the lock key was finalised; its units have left and cannot be released",
    RefusalCode.UNKNOWN_LOCK: "no lock was ever taken under this key",
    RefusalCode.PROGRAMME_NOT_ACCEPTED: "this registry does not hold units of the block's programme",
    RefusalCode.SERIALS_ALREADY_LIVE: "some of the serials are already live in this registry",
    RefusalCode.CREDIT_REVERSED: "the credit key was reversed; it cannot credit again",
    RefusalCode.CREDIT_NOT_HELD: "the credited units are no longer all held in the credited account",
    RefusalCode.NO_STATUS_WORD: "the registry has no word of its own for that status",
    RefusalCode.KEY_REUSED: "the key was already used for this operation with a different body",
    RefusalCode.INVALID_REQUEST: "the body or parameters do not follow the contract",
    RefusalCode.UNKNOWN_REGISTRY: "this sandbox hosts no registry with that id",
    RefusalCode.NOT_EVIDENCE_BASED: "holder actions exist only in registries the gateway cannot write to",
    RefusalCode.NOT_IMMOBILISED: "the account has no immobilisation of exactly that block to release",
    RefusalCode.PAGE_SIZE_TOO_LARGE: "the public API refuses pages larger than it serves",
    RefusalCode.ACCOUNT_UNKNOWN: "the acquiring account was never opened in this registry",
    RefusalCode.ACCOUNT_BLOCKED: "the account is blocked: the registry lets no units into or out of it",
}

HTTP_STATUS: dict[RefusalCode, int] = {
    RefusalCode.UNKNOWN_LOCK: 404,
    RefusalCode.UNKNOWN_REGISTRY: 404,
    RefusalCode.KEY_REUSED: 422,
    RefusalCode.INVALID_REQUEST: 422,
    RefusalCode.NO_STATUS_WORD: 422,
    RefusalCode.PAGE_SIZE_TOO_LARGE: 403,
}


class Refusal(Exception):
    """The registry answered and said no. 409 unless `HTTP_STATUS` says otherwise."""

    def __init__(self, code: RefusalCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        return HTTP_STATUS.get(self.code, 409)
