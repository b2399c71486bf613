"""The rule packs in force, loaded and checked from their TOML files, and their questions answered.

Regulators change offset caps and eligibility; that must be a reviewed change to
a pack file (figure, dates, source, version), never to code. The loader is the
only code here that reads files, and it refuses a pack whole when any field of
any rule is wrong, naming the file, the rule and the field, so a bad edit stops
the gateway at start-up (or a reviewer's check) instead of judging transfers
wrongly.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, model_validator

from compliance_rules.pack_errors import PackProblem, RulePackError, problems_of
from compliance_rules.proposal import TransferProposal
from compliance_rules.rule_kinds import Rule
from compliance_rules.rule_packs import PackHeader, RulePack

PACKS_FOLDER = Path(__file__).parent / "packs"

_RULE: TypeAdapter[Rule] = TypeAdapter(Rule)


class Rulebook(BaseModel):
    """Every pack the gateway judges by. Rule ids are unique across the book: they are finding codes."""

    model_config = ConfigDict(frozen=True)

    packs: tuple[RulePack, ...]

    @model_validator(mode="after")
    def _unique_ids(self) -> Rulebook:
        packs = [pack.id for pack in self.packs]
        rules = [rule.id for pack in self.packs for rule in pack.rules]
        for kind, ids in (("pack", packs), ("rule", rules)):
            twice = sorted({i for i in ids if ids.count(i) > 1})
            if twice:
                raise ValueError(f"{kind} ids appear more than once: {', '.join(twice)}")
        return self

    @property
    def version_stamp(self) -> str:
        """Every pack's `id@version`, sorted, comma-separated: which rulebook judged."""
        return ",".join(sorted(pack.stamp for pack in self.packs))

    def rule(self, code: str) -> Rule | None:
        """The rule whose findings carry `code`, for a report to show its meaning and source."""
        return next((rule for pack in self.packs for rule in pack.rules if rule.id == code), None)

    def pack_of(self, code: str) -> RulePack | None:
        return next((pack for pack in self.packs if any(rule.id == code for rule in pack.rules)), None)

    def packs_for(self, proposal: TransferProposal) -> list[RulePack]:
        return [pack for pack in self.packs if pack.applies(proposal)]


def load_rulebook(folder: Path = PACKS_FOLDER) -> Rulebook:
    """Every `*.toml` pack of `folder`, checked; RulePackError naming every problem of every pack."""
    packs: list[RulePack] = []
    problems: list[PackProblem] = []
    for path in sorted(folder.glob("*.toml")):
        try:
            packs.append(check_pack_file(path))
        except RulePackError as refused:
            problems.extend(refused.problems)
    problems.extend(_clashes(packs, {pack.id: f"{pack.id}.toml" for pack in packs}))
    if problems:
        raise RulePackError(problems)
    return Rulebook(packs=tuple(packs))


def check_pack_file(path: Path) -> RulePack:
    """One pack file, checked whole; RulePackError naming file, rule and field of every problem."""
    file = path.name
    try:
        with path.open("rb") as data:
            raw = tomllib.load(data)
    except tomllib.TOMLDecodeError as exc:
        raise RulePackError([_pack_problem(file, "(file)", f"not TOML: {exc}")]) from None
    return parse_pack(raw, file, expected_id=path.stem)


def parse_pack(raw: dict[str, Any], file: str, expected_id: str | None = None) -> RulePack:
    """A pack from its parsed TOML; `file` names it in every problem."""
    raw_rules = raw.get("rules", [])
    header = {key: value for key, value in raw.items() if key != "rules"}
    problems: list[PackProblem] = []
    try:
        checked = PackHeader.model_validate(header)
        if expected_id is not None and checked.id != expected_id:
            problems.append(
                _pack_problem(file, "id", f"{checked.id!r} must be the file's name, {expected_id!r}")
            )
    except ValidationError as exc:
        problems.extend(problems_of(exc, file, None))
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.append(_pack_problem(file, "rules", "required: at least one [[rules]] table"))
        raise RulePackError(problems)
    checked_rules = (_rule(raw_rule, i, file, problems) for i, raw_rule in enumerate(raw_rules))
    rules = [rule for rule in checked_rules if rule is not None]
    problems.extend(_duplicate_rules(rules, file))
    if problems:
        raise RulePackError(problems)
    return RulePack.model_validate({**header, "rules": rules})


def _rule(raw: Any, index: int, file: str, problems: list[PackProblem]) -> Rule | None:
    if not isinstance(raw, dict):
        problems.append(_pack_problem(file, f"rules[{index}]", "must be a [[rules]] table"))
        return None
    rule_id = raw.get("id") if isinstance(raw.get("id"), str) else f"#{index + 1}"
    try:
        return _RULE.validate_python(raw)
    except ValidationError as exc:
        problems.extend(problems_of(exc, file, rule_id, raw.get("kind")))
        return None


def _duplicate_rules(rules: list[Rule], file: str) -> Iterable[PackProblem]:
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            yield PackProblem(
                file=file, rule_id=rule.id, field="id", message="appears more than once in the pack"
            )
        seen.add(rule.id)


def _clashes(packs: list[RulePack], files: dict[str, str]) -> Iterable[PackProblem]:
    """Rule ids defined by two packs: a finding code must name one rule."""
    owner: dict[str, str] = {}
    for pack in packs:
        for rule in pack.rules:
            if rule.id in owner and owner[rule.id] != pack.id:
                yield PackProblem(
                    file=files[pack.id],
                    rule_id=rule.id,
                    field="id",
                    message=f"also defined in {files[owner[rule.id]]}",
                )
            owner.setdefault(rule.id, pack.id)


def _pack_problem(file: str, field: str, message: str) -> PackProblem:
    return PackProblem(file=file, rule_id=None, field=field, message=message)
