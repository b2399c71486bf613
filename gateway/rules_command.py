"""`carbon-gateway rules`: what regulators read and check of the compliance rule packs, offline.

`list` shows every pack and rule in force, `show RULE` one rule with its parameters and
source, `check FILE` validates a pack someone edited before it is reviewed and shipped.
None needs a running gateway: the packs are data files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from compliance_rules.rulebook import Rulebook, RulePackError, check_pack_file, load_rulebook


def _book(folder: Path | None) -> Rulebook:
    try:
        return load_rulebook(folder) if folder else load_rulebook()
    except RulePackError as invalid:
        raise click.ClickException(str(invalid)) from None


@click.group()
def rules() -> None:
    """Read and check the compliance rule packs (offset caps, eligibility, vintages, origins)."""


@rules.command("list")
@click.option(
    "--packs", "folder", type=click.Path(file_okay=False, path_type=Path), help="Another packs folder."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per rule, one per line.")
def list_rules(folder: Path | None, as_json: bool) -> None:
    """Every rule of every pack: id, kind, effective dates, meaning."""
    for pack in _book(folder).packs:
        for rule in pack.rules:
            row = {
                "pack": pack.stamp,
                "rule": rule.id,
                "kind": rule.kind,
                "effective_from": rule.effective_from.isoformat(),
                "effective_to": rule.effective_to.isoformat() if rule.effective_to else "",
                "meaning": rule.meaning,
            }
            click.echo(json.dumps(row, ensure_ascii=False) if as_json else "\t".join(row.values()))


@rules.command()
@click.argument("rule_id")
@click.option(
    "--packs", "folder", type=click.Path(file_okay=False, path_type=Path), help="Another packs folder."
)
def show(rule_id: str, folder: Path | None) -> None:
    """One rule in full, as JSON: parameters, dates and source."""
    book = _book(folder)
    rule, pack = book.rule(rule_id), book.pack_of(rule_id)
    if rule is None or pack is None:
        raise click.ClickException(f"no rule {rule_id!r} in the packs")
    click.echo(json.dumps({"pack": pack.stamp, **rule.model_dump(mode="json")}, ensure_ascii=False, indent=2))


@rules.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def check(files: tuple[Path, ...]) -> None:
    """Validate pack files; every problem on its own line (file, rule, field), exit 1 if any."""
    failed = False
    for path in files:
        try:
            pack = check_pack_file(path)
        except RulePackError as invalid:
            failed = True
            click.echo(str(invalid), err=True)
            continue
        except OSError as unreadable:
            failed = True
            click.echo(f"{path}: cannot read it ({unreadable.strerror})", err=True)
            continue
        click.echo(f"{path}: {pack.stamp}, {len(pack.rules)} rules, valid")
    sys.exit(1 if failed else 0)
