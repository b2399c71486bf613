"""Why a rule pack was refused, in the words of the file its reviewer edits: file, rule, field.

Pydantic's own report names model classes and error URLs, which say nothing to
the person who changed a figure; each problem here says which file, which rule
(by id) and which field (as its TOML path, `params.share`) is wrong, and how.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from compliance_rules.rule_kinds import KINDS
from domain.errors import InvalidInput

_SHOULD = re.compile(r"^\w+ should ")


class PackProblem(BaseModel):
    model_config = ConfigDict(frozen=True)

    file: str
    rule_id: str | None  # None: the pack's own fields
    field: str
    message: str

    def __str__(self) -> str:
        rule = f" rule {self.rule_id}:" if self.rule_id is not None else ""
        return f"{self.file}:{rule} {self.field}: {self.message}"


class RulePackError(InvalidInput):
    """A pack failed validation. The message has one line per problem, each naming file, rule and field."""

    code = "INVALID-RULE-PACK"

    def __init__(self, problems: Sequence[PackProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems), field=problems[0].field if problems else None)
        self.problems = tuple(problems)


def problems_of(
    error: ValidationError, file: str, rule_id: str | None, kind: Any = None
) -> list[PackProblem]:
    """The pydantic errors of one pack header or one rule, as problems naming file, rule and field."""
    return [PackProblem(file=file, rule_id=rule_id, **_field_and_message(e, kind)) for e in error.errors()]


def _field_and_message(error: ErrorDetails, kind: Any) -> dict[str, str]:
    kind_error = _kind_problem(error)
    if kind_error is not None:
        return {"field": "kind", "message": kind_error}
    loc = list(error["loc"])
    if loc and loc[0] == kind:  # a rule's errors start with the tag of its kind
        loc = loc[1:]
    return {"field": _path(loc), "message": _plain(error)}


def _kind_problem(error: ErrorDetails) -> str | None:
    known = ", ".join(KINDS)
    if error["type"] == "union_tag_not_found":
        return f"required; one of {known}"
    if error["type"] == "union_tag_invalid":
        return f"unknown kind {error.get('ctx', {}).get('tag')!r}; one of {known}"
    return None


def _path(loc: list[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(the whole table)"


def _plain(error: ErrorDetails) -> str:
    if error["type"] == "missing":
        return "required"
    if error["type"] == "extra_forbidden":
        return "unknown key"
    message = error["msg"].removeprefix("Value error, ")
    return _SHOULD.sub(
        "must ", message, count=1
    )  # "Input should be a valid string": "must be a valid string"
