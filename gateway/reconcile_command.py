"""`carbon-gateway reconcile`: run a reconciliation, follow it with a progress bar, write the report files.

Also `--resolve FINDING_ID --note TEXT` to mark a finding of a finished run
resolved. Exit status: 0 when the run is consistent (or every finding is
resolved), 1 when it has open findings or failed, 2 when the gateway refused.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from protos.carbon.gateway.v1 import oversight_pb2 as pb
from protos.carbon.gateway.v1 import oversight_pb2_grpc

_SERVICE = "OversightService"
_FORMATS = {
    "json": pb.REPORT_FORMAT_JSON,
    "csv": pb.REPORT_FORMAT_CSV,
    "html": pb.REPORT_FORMAT_HTML,
    "pdf": pb.REPORT_FORMAT_PDF,
}
_DONE = {
    pb.RECONCILIATION_STATE_CONSISTENT: 0,
    pb.RECONCILIATION_STATE_COMPLETED_WITH_MANUAL_INTERVENTION: 0,
}
# Stages in order, for the bar: reading the registries fills most of it.
_STAGES = ("queued", "snapshot", "totals", "trail", "checks", "done")


def _default_target() -> str:
    from gateway import cli

    return str(cli._settings().grpc_target)


def _state_name(state: int) -> str:
    return pb.ReconciliationState.Name(state).removeprefix("RECONCILIATION_STATE_").lower()


def _fraction(run: pb.Reconciliation) -> float:
    stage = _STAGES.index(run.stage) if run.stage in _STAGES else 0
    reading = run.progress_done / run.progress_total if run.progress_total else 0.0
    if run.stage == "snapshot":
        return 0.05 + 0.75 * reading
    return {0: 0.0, 1: 0.05, 2: 0.8, 3: 0.88, 4: 0.94, 5: 1.0}[stage]


def _follow(stub: oversight_pb2_grpc.OversightServiceStub, run_id: str, quiet: bool) -> pb.Reconciliation:
    """Poll the run until it finishes; a bar on stderr shows its stage and the registries read."""
    ask = pb.GetReconciliationRequest(reconciliation_id=run_id)
    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"))
    with Progress(*columns, TimeElapsedColumn(), console=console, disable=quiet, transient=False) as bar:
        task = bar.add_task(f"reconciliation {run_id}", total=1.0)
        while True:
            run = stub.GetReconciliation(ask)
            detail = f"{run.progress_done}/{run.progress_total} registries" if run.stage == "snapshot" else ""
            bar.update(task, completed=_fraction(run), description=f"{run.stage:<9} {detail}".rstrip())
            if run.finish_time.seconds:
                bar.update(task, completed=1.0, description="done")
                return run
            time.sleep(0.25)


def _write_reports(
    stub: oversight_pb2_grpc.OversightServiceStub, run_id: str, out: Path, formats: tuple[str, ...]
) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        chunks = stub.GetReconciliationReport(
            pb.GetReconciliationReportRequest(reconciliation_id=run_id, format=_FORMATS[fmt])
        )
        path = out / f"reconciliation-{run_id}.{fmt}"
        path.write_bytes(b"".join(chunk.content for chunk in chunks))
        written.append(path)
    return written


def _summary(run: pb.Reconciliation) -> list[str]:
    lines = [
        f"reconciliation {run.reconciliation_id}: {_state_name(run.state)}",
        f"  snapshot {run.snapshot_time.ToJsonString() if run.snapshot_time.seconds else '-'}, "
        f"{run.compared_blocks} tracked blocks compared",
        f"  findings: {run.findings} ({run.open_findings} open)",
    ]
    lines += [f"    {code}: {count}" for code, count in sorted(run.findings_by_code.items())]
    if run.failure:
        lines.append(f"  failed: {run.failure}")
    return lines


@click.command()
@click.option("--id", "run_id", default="", help="The run's id (a retry with the same id is the same run).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder the report files are written to.",
)
@click.option(
    "--format",
    "formats",
    type=click.Choice(sorted(_FORMATS)),
    multiple=True,
    default=tuple(sorted(_FORMATS)),
    show_default="all four",
    help="Report formats to write (repeat the option for several).",
)
@click.option("--resolve", "finding_id", default=None, help="Mark this finding of run --id resolved instead.")
@click.option("--note", default=None, help="With --resolve: what was done about the finding.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--target", default=_default_target, show_default="settings' gRPC address")
def reconcile(
    run_id: str,
    out: Path,
    formats: tuple[str, ...],
    finding_id: str | None,
    note: str | None,
    quiet: bool,
    target: str,
) -> None:
    """Reconcile every registry's holdings with the ledger; write the report files and print the summary."""
    from gateway.cli import _channel, rpc

    if finding_id is not None:
        if not run_id or not note:
            raise click.UsageError("--resolve needs --id (the run) and --note")
        with _channel(target, rpc(_SERVICE, "ResolveFinding")) as channel:
            answer = oversight_pb2_grpc.OversightServiceStub(channel).ResolveFinding(
                pb.ResolveFindingRequest(reconciliation_id=run_id, finding_id=finding_id, note=note)
            )
        click.echo(
            f"finding {answer.finding_id} resolved by {answer.resolved_by}; "
            f"reconciliation {run_id} is now {_state_name(answer.reconciliation.state)}"
        )
        return
    rpcs = [rpc(_SERVICE, m) for m in ("RunReconciliation", "GetReconciliation", "GetReconciliationReport")]
    with _channel(target, *rpcs) as channel:
        stub = oversight_pb2_grpc.OversightServiceStub(channel)
        started = stub.RunReconciliation(pb.RunReconciliationRequest(reconciliation_id=run_id))
        run = _follow(stub, started.reconciliation_id, quiet)
        written = (
            []
            if run.state == pb.RECONCILIATION_STATE_FAILED
            else _write_reports(stub, run.reconciliation_id, out, formats)
        )
    for line in _summary(run):
        click.echo(line)
    for path in written:
        click.echo(f"  wrote {path}")
    sys.exit(_DONE.get(run.state, 1))
