"""`carbon-gateway keys`: the gateway's local CA and the certificates that say who each caller is.

`init` makes the CA, the server's certificate and one identity per role (never
replacing a CA that exists); `issue` makes another identity for an organisation;
`list` shows what a keys directory holds. The directory defaults to the settings'
(`keys_dir`, else `data_dir/keys`).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from gateway.keys import (
    DEFAULT_HOSTS,
    LEAF_DAYS,
    Identity,
    KeysError,
    init_keys,
    issue_identity,
    list_identities,
)
from gateway.roles import Role

dir_option = click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The keys directory (default: the settings' keys_dir, else data_dir/keys).",
)


def _folder(folder: Path | None) -> Path:
    if folder is not None:
        return folder
    from gateway.cli import _settings  # the CLI's one way to read settings (one-line errors)

    return _settings().resolved_keys_dir()


def _row(identity: Identity) -> dict[str, str]:
    return {
        "name": identity.name,
        "role": identity.role.value,
        "org": identity.org,
        "not_after": identity.not_after.isoformat(),
        "certificate": str(identity.certificate),
        "key": str(identity.key),
    }


@click.group()
def keys() -> None:
    """The gateway's CA and callers' certificates (role = OU, organisation = O, name = CN)."""


@keys.command()
@dir_option
@click.option(
    "--host",
    "hosts",
    multiple=True,
    help="A name or address the server is reached by (repeat; default: localhost and 127.0.0.1).",
)
@click.option("--org", default="local", show_default=True, help="The organisation of the identities made.")
def init(folder: Path | None, hosts: tuple[str, ...], org: str) -> None:
    """Make the CA, the server's certificate and one identity per role, where missing."""
    where = _folder(folder)
    try:
        ring = init_keys(where, hosts=hosts or DEFAULT_HOSTS, org=org)
    except KeysError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"keys in {where}: ca.crt, server.crt and {len(ring.identities)} identities")


@keys.command()
@dir_option
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True, help="The caller's role.")
@click.option("--org", required=True, help="The caller's organisation (the certificate's O).")
@click.option("--name", default=None, help="The identity's name, its certificate's CN (default: ROLE-ORG).")
@click.option("--days", type=click.IntRange(1, 825), default=LEAF_DAYS, show_default=True, help="Validity.")
@click.option("--force", is_flag=True, help="Replace an identity of that name that says otherwise.")
def issue(folder: Path | None, role: str, org: str, name: str | None, days: int, force: bool) -> None:
    """Issue a certificate for one caller; prints where its certificate and key are."""
    try:
        made = issue_identity(_folder(folder), role=role, org=org, name=name, days=days, force=force)
    except KeysError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{made.certificate}\n{made.key}")


@keys.command("list")
@dir_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per identity, one per line.")
def list_keys(folder: Path | None, as_json: bool) -> None:
    """Every identity in the keys directory: name, role, organisation, expiry, files."""
    where = _folder(folder)
    try:
        found = list_identities(where)
    except KeysError as exc:
        raise click.ClickException(str(exc)) from None
    if not found:
        click.echo(f"no identities in {where}: run `carbon-gateway keys init`", err=True)
    for identity in found:
        row = _row(identity)
        click.echo(json.dumps(row, ensure_ascii=False) if as_json else "\t".join(row.values()))
