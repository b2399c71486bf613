"""`carbon-gateway finance …`: a bank's (and a library keeper's) common FinanceService actions.

Each command is one RPC (or a paged list of them). Text output is a table of the
answer's fields; --json prints the contract's JSON form, one value per line, so the
ids one command prints are what the next takes. Refusals end the command with
`error CODE: message` and exit status 2, as every other command does.

gateway.cli is imported when a command runs, not before, so cli.py may import this
module wherever it likes.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import click
import grpc
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from protos.carbon.gateway.v1 import finance_pb2 as pb
from protos.carbon.gateway.v1 import finance_pb2_grpc

_SERVICE = "FinanceService"


def _cli() -> ModuleType:
    from gateway import cli

    return cli


def _default_target() -> str:
    return str(_cli()._settings().grpc_target)


target_option = click.option("--target", default=_default_target, show_default="settings' gRPC address")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON, one value per line.")


def _enum_choices(enum: Any, prefix: str) -> list[str]:
    """`--sector energy` etc., straight from the contract's enum so the two cannot drift apart."""
    return [name.removeprefix(prefix).lower() for name, number in enum.items() if number != 0]


def _call(target: str, method: str, request: Message) -> Any:
    """One FinanceService RPC; a refusal ends the command (gateway.cli._channel)."""
    cli = _cli()
    with cli._channel(target, cli.rpc(_SERVICE, method)) as channel:
        return getattr(finance_pb2_grpc.FinanceServiceStub(channel), method)(request)


def _every(target: str, method: str, request: Any, items: str) -> list[Any]:
    cli = _cli()
    with cli._channel(target, cli.rpc(_SERVICE, method)) as channel:
        call = getattr(finance_pb2_grpc.FinanceServiceStub(channel), method)
        request.page_size = cli._PAGE_SIZE
        return list(cli._every_page(call, request, items))


def _flat(message: Message, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(path, text) for every set field: enums by name, nested messages by dotted path."""
    for field, value in message.ListFields():
        path = f"{prefix}{field.name}"
        if field.is_repeated:
            for i, one in enumerate(value):
                if isinstance(one, Message):
                    yield from _flat(one, f"{path}[{i}].")
                else:
                    yield f"{path}[{i}]", str(one)
        elif isinstance(value, Timestamp):
            yield path, value.ToJsonString()
        elif isinstance(value, Message):
            yield from _flat(value, f"{path}.")
        elif field.type == FieldDescriptor.TYPE_ENUM and field.enum_type is not None:
            yield path, field.enum_type.values_by_number[value].name
        elif field.type == FieldDescriptor.TYPE_BYTES:
            yield path, f"{len(value)} bytes"
        else:
            yield path, str(value)


def _show(message: Message, as_json: bool) -> None:
    cli = _cli()
    if as_json:
        cli._echo_json(cli._to_json(message))
    else:
        cli._print_table(("field", "value"), list(_flat(message)), header=False)


def _show_all(found: list[Any], as_json: bool, columns: tuple[str, ...]) -> None:
    cli = _cli()
    if as_json:
        for one in found:
            cli._echo_json(cli._to_json(one))
        return
    rows = []
    for one in found:
        flat = dict(_flat(one))
        rows.append(tuple(flat.get(c, "") for c in columns))
    cli._print_table(columns, rows)


def _money(value: str) -> pb.Money:
    currency, sep, amount = value.partition(":")
    if not sep:
        raise click.BadParameter(f"expected CURRENCY:AMOUNT (CNY:1500000.00), got {value!r}")
    return pb.Money(currency_code=currency, amount=amount)


def _project(value: str) -> pb.ProjectRef:
    programme, sep, project_id = value.partition(":")
    if not sep:
        raise click.BadParameter(f"expected PROGRAMME:PROJECT (CCER:1234), got {value!r}")
    return pb.ProjectRef(programme=programme, project_id=project_id)


def _account(value: str) -> Any:
    return _cli()._account(value)


def _new_id(prefix: str) -> Callable[[], str]:
    return lambda: f"{prefix}-{uuid.uuid4().hex[:12]}"


@click.group()
def finance() -> None:
    """Carbon finance: the project library, green loans, pledges, repos, retirements and bank events."""


# The climate investment and financing project library


@finance.group()
def library() -> None:
    """The climate investment and financing project library."""


@library.command("add")
@click.option("--id", "entry_id", required=True, help="The entry's id.")
@click.option("--name", required=True)
@click.option("--owner", "owner_entity", required=True, help="The entity that owns the project.")
@click.option("--sector", type=click.Choice(_enum_choices(pb.Sector, "SECTOR_")), required=True)
@click.option("--location", required=True, help="ISO 3166-2 subdivision (CN-GD) or country (ID).")
@click.option("--reductions", "expected_reductions_t", type=int, required=True, help="Expected tCO2e.")
@click.option("--need", "funding_need", required=True, help="Funding need as CURRENCY:AMOUNT.")
@json_option
@target_option
def library_add(
    entry_id: str,
    name: str,
    owner_entity: str,
    sector: str,
    location: str,
    expected_reductions_t: int,
    funding_need: str,
    as_json: bool,
    target: str,
) -> None:
    """Record a library entry (the same entry again changes nothing)."""
    entry = pb.LibraryEntry(
        entry_id=entry_id,
        name=name,
        owner_entity=owner_entity,
        sector=f"SECTOR_{sector.upper()}",
        location=location,
        expected_reductions_t=expected_reductions_t,
        funding_need=_money(funding_need),
    )
    _show(_call(target, "RecordLibraryEntry", pb.RecordLibraryEntryRequest(entry=entry)), as_json)


@library.command("link")
@click.argument("entry_id")
@click.argument("project")
@json_option
@target_option
def library_link(entry_id: str, project: str, as_json: bool, target: str) -> None:
    """Link an entry to a registry project (PROGRAMME:PROJECT)."""
    request = pb.LinkLibraryProjectRequest(entry_id=entry_id, project=_project(project))
    _show(_call(target, "LinkLibraryProject", request), as_json)


@library.command("list")
@json_option
@target_option
def library_list(as_json: bool, target: str) -> None:
    """Every library entry, oldest first."""
    found = _every(target, "ListLibraryEntries", pb.ListLibraryEntriesRequest(), "entries")
    _show_all(found, as_json, ("entry_id", "name", "owner_entity", "sector", "location", "status"))


# Green loans


@finance.group()
def loan() -> None:
    """Green loans the calling bank made."""


@loan.command("record")
@click.option("--id", "loan_id", required=True)
@click.option("--borrower", "borrower_entity", required=True, help="The borrowing entity.")
@click.option("--amount", required=True, help="CURRENCY:AMOUNT, ISO 4217 (CNY:5000000.00).")
@click.option("--entry", "entries", multiple=True, help="A library entry it finances (repeatable).")
@click.option(
    "--project", "projects", multiple=True, help="A registry project PROGRAMME:PROJECT (repeatable)."
)
@click.option("--use", "use_of_proceeds", required=True, help="Use of proceeds, in a sentence.")
@click.option("--signed", "sign_date", required=True, help="YYYY-MM-DD.")
@click.option("--matures", "maturity_date", required=True, help="YYYY-MM-DD.")
@json_option
@target_option
def loan_record(
    loan_id: str,
    borrower_entity: str,
    amount: str,
    entries: tuple[str, ...],
    projects: tuple[str, ...],
    use_of_proceeds: str,
    sign_date: str,
    maturity_date: str,
    as_json: bool,
    target: str,
) -> None:
    """Record a green loan; the bank then hears of its projects' issuances, transfers and retirements."""
    record = pb.GreenLoan(
        loan_id=loan_id,
        borrower_entity=borrower_entity,
        amount=_money(amount),
        library_entry_ids=list(entries),
        projects=[_project(p) for p in projects],
        use_of_proceeds=use_of_proceeds,
        sign_date=sign_date,
        maturity_date=maturity_date,
    )
    _show(_call(target, "RecordGreenLoan", pb.RecordGreenLoanRequest(loan=record)), as_json)


@loan.command("list")
@json_option
@target_option
def loan_list(as_json: bool, target: str) -> None:
    """The calling bank's green loans."""
    found = _every(target, "ListGreenLoans", pb.ListGreenLoansRequest(), "loans")
    _show_all(
        found,
        as_json,
        ("loan_id", "borrower_entity", "amount.currency_code", "amount.amount", "maturity_date"),
    )


# Pledges


@finance.command()
@click.option("--id", "pledge_id", default=_new_id("pledge"), help="The pledge's id (default: a new one).")
@click.option("--holder", required=True, help="REGISTRY:ACCOUNT holding the units.")
@click.option("--serial", required=True, help="The pledged block, in the holder's registry's grammar.")
@click.option("--quantity", type=int, default=0, help="Pledge the first N units (default: all).")
@click.option("--loan", "loan_id", default="", help="The green loan it secures.")
@json_option
@target_option
def pledge(
    pledge_id: str, holder: str, serial: str, quantity: int, loan_id: str, as_json: bool, target: str
) -> None:
    """Take units as collateral: they cannot move until released, consented or enforced."""
    request = pb.PledgeRequest(
        pledge_id=pledge_id, holder=_account(holder), serial=serial, quantity=quantity, loan_id=loan_id
    )
    _show(_call(target, "Pledge", request), as_json)


@finance.command()
@click.argument("pledge_id")
@click.argument("transfer_id")
@json_option
@target_option
def consent(pledge_id: str, transfer_id: str, as_json: bool, target: str) -> None:
    """Let exactly one named transfer move the pledged units."""
    request = pb.ConsentToTransferRequest(pledge_id=pledge_id, transfer_id=transfer_id)
    _show(_call(target, "ConsentToTransfer", request), as_json)


@finance.command()
@click.argument("pledge_id")
@json_option
@target_option
def release(pledge_id: str, as_json: bool, target: str) -> None:
    """Release a pledge: its units are free again."""
    _show(_call(target, "ReleaseCollateral", pb.ReleaseCollateralRequest(pledge_id=pledge_id)), as_json)


@finance.command()
@click.argument("pledge_id")
@click.option(
    "--to", "destination", required=True, help="REGISTRY:ACCOUNT of the lender receiving the units."
)
@json_option
@target_option
def enforce(pledge_id: str, destination: str, as_json: bool, target: str) -> None:
    """Enforce a pledge: the units move to the lender's account (follow it with `carbon-gateway status`)."""
    request = pb.EnforcePledgeRequest(pledge_id=pledge_id, lender_account=_account(destination))
    _show(_call(target, "EnforcePledge", request), as_json)


@finance.command()
@json_option
@target_option
def pledges(as_json: bool, target: str) -> None:
    """The calling bank's pledges, oldest first."""
    found = _every(target, "ListPledges", pb.ListPledgesRequest(), "pledges")
    _show_all(
        found,
        as_json,
        ("pledge_id", "holder.registry_id", "holder.account_id", "serial", "quantity", "state"),
    )


# Repos


@finance.group()
def repo() -> None:
    """Sales with an agreed repurchase."""


@repo.command("open")
@click.option("--id", "repo_id", default=_new_id("repo"), help="The repo's id (default: a new one).")
@click.option("--from", "seller_account", required=True, help="The seller's REGISTRY:ACCOUNT.")
@click.option("--to", "buyer_account", required=True, help="The buying bank's REGISTRY:ACCOUNT.")
@click.option("--buyer", required=True, help="The buying bank's organisation.")
@click.option("--serial", required=True)
@click.option("--quantity", type=int, default=0, help="Sell the first N units (default: all).")
@click.option("--repurchase-quantity", type=int, default=0, help="Units bought back (default: all sold).")
@click.option("--repurchase-date", required=True, help="YYYY-MM-DD; the repo defaults at its end (UTC).")
@json_option
@target_option
def repo_open(
    repo_id: str,
    seller_account: str,
    buyer_account: str,
    buyer: str,
    serial: str,
    quantity: int,
    repurchase_quantity: int,
    repurchase_date: str,
    as_json: bool,
    target: str,
) -> None:
    """Sell units to a bank under a repurchase agreement."""
    request = pb.OpenRepoRequest(
        repo_id=repo_id,
        seller_account=_account(seller_account),
        buyer_account=_account(buyer_account),
        buyer=buyer,
        serial=serial,
        quantity=quantity,
        repurchase_quantity=repurchase_quantity,
        repurchase_date=repurchase_date,
    )
    _show(_call(target, "OpenRepo", request), as_json)


@repo.command("confirm")
@click.argument("repo_id")
@json_option
@target_option
def repo_confirm(repo_id: str, as_json: bool, target: str) -> None:
    """As the buyer: the seller paid, the agreed units go back."""
    _show(_call(target, "ConfirmRepurchase", pb.ConfirmRepurchaseRequest(repo_id=repo_id)), as_json)


@repo.command("show")
@click.argument("repo_id")
@json_option
@target_option
def repo_show(repo_id: str, as_json: bool, target: str) -> None:
    """Where a repo stands."""
    _show(_call(target, "GetRepo", pb.GetRepoRequest(repo_id=repo_id)), as_json)


# Enterprise carbon accounts


@finance.command()
@click.argument("entity_id")
@json_option
@target_option
def account(entity_id: str, as_json: bool, target: str) -> None:
    """An entity's carbon account: holdings, offsets used, compliance by year and its rating."""
    _show(_call(target, "GetEnterpriseAccount", pb.GetEnterpriseAccountRequest(entity_id=entity_id)), as_json)


# Public-benefit accounts and retirements


@finance.command("open-account")
@click.option("--id", "account_id", required=True, help="The public-benefit account's id.")
@click.option(
    "--kind", type=click.Choice(_enum_choices(pb.BeneficiaryKind, "BENEFICIARY_KIND_")), required=True
)
@click.option("--name", "display_name", required=True, help="The beneficiary's name.")
@click.option("--private", is_flag=True, help="Withhold the beneficiary's name from certificates.")
@click.option("--holding", required=True, help="The REGISTRY:ACCOUNT that holds units before retirement.")
@json_option
@target_option
def open_account(
    account_id: str, kind: str, display_name: str, private: bool, holding: str, as_json: bool, target: str
) -> None:
    """Open a public-benefit carbon account for an organisation or a person."""
    opened = pb.PublicBenefitAccount(
        account_id=account_id,
        kind=f"BENEFICIARY_KIND_{kind.upper()}",
        display_name=display_name,
        private=private,
        holding=_account(holding),
    )
    _show(
        _call(target, "OpenPublicBenefitAccount", pb.OpenPublicBenefitAccountRequest(account=opened)), as_json
    )


@finance.command()
@click.option(
    "--id", "retirement_id", default=_new_id("ret"), help="The retirement's id (default: a new one)."
)
@click.option("--account", "account_id", required=True, help="The public-benefit account.")
@click.option("--buy-from", "seller", default=None, help="Buy first from this REGISTRY:ACCOUNT.")
@click.option("--serial", required=True)
@click.option("--quantity", type=int, default=0, help="Retire the first N units (default: all).")
@click.option("--reason", required=True, help="Why, in a sentence (shown on the certificate).")
@json_option
@target_option
def retire(
    retirement_id: str,
    account_id: str,
    seller: str | None,
    serial: str,
    quantity: int,
    reason: str,
    as_json: bool,
    target: str,
) -> None:
    """Retire units on the account's beneficiary's behalf (buying them first with --buy-from)."""
    request = pb.RetireForBeneficiaryRequest(
        retirement_id=retirement_id, account_id=account_id, serial=serial, quantity=quantity, reason=reason
    )
    if seller is not None:
        request.seller.CopyFrom(_account(seller))
    _show(_call(target, "RetireForBeneficiary", request), as_json)


@finance.command()
@click.argument("retirement_id")
@click.option(
    "--html", "html_file", type=click.Path(dir_okay=False, path_type=Path), help="Write the HTML page here."
)
@target_option
def certificate(retirement_id: str, html_file: Path | None, target: str) -> None:
    """Print a retirement's certificate (JSON), or write its shareable HTML page with --html."""
    wanted = pb.CERTIFICATE_FORMAT_HTML if html_file else pb.CERTIFICATE_FORMAT_JSON
    request = pb.GetRetirementCertificateRequest(retirement_id=retirement_id, format=wanted)
    found = _call(target, "GetRetirementCertificate", request)
    if not found.content:
        reasons = "; ".join(f"{r.code}: {r.message}" for r in found.reasons)
        state = pb.RetirementState.Name(found.state).removeprefix("RETIREMENT_STATE_").lower()
        raise _cli().CommandError(f"retirement {retirement_id} is {state}{': ' + reasons if reasons else ''}")
    if html_file is not None:
        html_file.write_bytes(found.content)
        click.echo(str(html_file))
    else:
        click.echo(found.content.decode())


# Event deliveries and the event stream


@finance.command()
@click.option("--url", "endpoint_url", required=True, help="The HTTPS endpoint that receives the events.")
@click.option("--kind", "kinds", multiple=True, help="An event kind to deliver (repeatable; default: all).")
@click.option("--after", "after_offset", type=int, default=0, help="Deliver only events after this offset.")
@json_option
@target_option
def subscribe(
    endpoint_url: str, kinds: tuple[str, ...], after_offset: int, as_json: bool, target: str
) -> None:
    """Register an endpoint for signed event deliveries; prints the signing secret once."""
    request = pb.CreateSubscriptionRequest(
        subscription=pb.Subscription(endpoint_url=endpoint_url, kinds=list(kinds)), after_offset=after_offset
    )
    _show(_call(target, "CreateSubscription", request), as_json)


@finance.command()
@click.argument("subscription_id")
@click.option("--failed", is_flag=True, help="Only the deliveries that failed.")
@json_option
@target_option
def deliveries(subscription_id: str, failed: bool, as_json: bool, target: str) -> None:
    """A subscription's deliveries: attempts, last error, state."""
    request = pb.ListDeliveriesRequest(subscription_id=subscription_id)
    if failed:
        request.state = pb.DELIVERY_STATE_FAILED
    found = _every(target, "ListDeliveries", request, "deliveries")
    _show_all(found, as_json, ("offset", "kind", "state", "attempts", "last_error", "delivery_id"))


@finance.command()
@click.argument("subscription_id")
@click.option("--after", "after_offset", type=int, default=0, help="Replay from after this offset.")
@json_option
@target_option
def replay(subscription_id: str, after_offset: int, as_json: bool, target: str) -> None:
    """Deliver a subscription's failed deliveries again."""
    request = pb.ReplayDeliveriesRequest(subscription_id=subscription_id, after_offset=after_offset)
    _show(_call(target, "ReplayDeliveries", request), as_json)


@finance.command()
@click.option("--after", "after_offset", type=int, default=0, help="Start after this offset.")
@click.option("--kind", "kinds", multiple=True, help="An event kind (repeatable; default: all).")
@click.option("--follow/--no-follow", default=False, help="Keep streaming new events.")
@target_option
def events(after_offset: int, kinds: tuple[str, ...], follow: bool, target: str) -> None:
    """The calling bank's events as JSON lines, from an offset; --follow keeps the stream open."""
    cli = _cli()
    request = pb.WatchFinanceEventsRequest(after_offset=after_offset, kinds=list(kinds))
    with cli._channel(target, cli.rpc(_SERVICE, "WatchFinanceEvents")) as channel:
        stream = finance_pb2_grpc.FinanceServiceStub(channel).WatchFinanceEvents(
            request, timeout=None if follow else 2.0
        )
        try:
            for update in stream:
                shown = cli._to_json(update.event)
                shown["data"] = json.loads(update.event.data_json or "{}")
                shown.pop("data_json", None)
                cli._echo_json(shown)
                sys.stdout.flush()
        except grpc.RpcError as ended:
            caught_up = isinstance(ended, grpc.Call) and ended.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            if follow or not caught_up:  # without --follow, the deadline ends a stream that has caught up
                raise
