"""The CLI never cuts a serial: folded on an 80-column terminal, whole on tab-separated lines in a pipe."""

import re

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from gateway import cli
from protos.carbon.gateway.v1 import transfer_pb2

VERRA = "9660-115597313-115618057-VCS-VCU-261-VER-US-14-1060-01012019-31122019-0"
CDM = "CN-5-1000-2-2-0-1234 - CN-5-1999-2-2-0-1234"
ACTION = f"Immobilise {VERRA} in your Verra account, naming transfer tr-cli-1 in the details."
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def waiting_transfer() -> transfer_pb2.Transfer:
    deadline = Timestamp()
    deadline.FromJsonString("2026-07-01T12:00:00Z")
    return transfer_pb2.Transfer(
        transfer_id="tr-cli-1",
        state=transfer_pb2.TRANSFER_STATE_CHECKED,
        source=transfer_pb2.AccountRef(registry_id="verra", account_id="demo-verra-owner"),
        destination=transfer_pb2.AccountRef(registry_id="hk-core-climate", account_id="demo-hk-trader"),
        serial=VERRA,
        quantity=20745,
        purpose=transfer_pb2.PURPOSE_VOLUNTARY,
        evidence_awaited=transfer_pb2.EvidenceAwaited(holder_action=ACTION, deadline_time=deadline),
    )


@pytest.fixture
def terminal(monkeypatch):
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def pipe(monkeypatch):
    for name in ("TTY_COMPATIBLE", "FORCE_COLOR", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)


def squeezed(text: str) -> str:
    return "".join(text.split())


def column(text: str, index: int) -> str:
    """One column of a boxed table's body, its folded pieces joined again."""
    cells = [line.split("│")[index] for line in ANSI.sub("", text).splitlines() if "│" in line]
    return "".join(cell.strip() for cell in cells)


def test_a_waiting_transfer_on_a_terminal_shows_everything_folded(terminal, capsys):
    cli._show(waiting_transfer())
    out = ANSI.sub("", capsys.readouterr().out)
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert squeezed(f"units 20745 ({VERRA})") in squeezed(out)
    assert squeezed(f"holder must {ACTION}") in squeezed(out)
    assert "deadline" in out and "2026-07-01T12:00:00Z" in out
    assert "purpose" in out and "voluntary" in out


def test_a_waiting_transfer_in_a_pipe_is_one_tab_separated_line_per_field(pipe, capsys):
    cli._show(waiting_transfer())
    assert capsys.readouterr().out.splitlines() == [
        "transfer\ttr-cli-1",
        "state\tCHECKED",
        "from\tverra:demo-verra-owner",
        "to\thk-core-climate:demo-hk-trader",
        f"units\t20745 ({VERRA})",
        "purpose\tvoluntary",
        f"holder must\t{ACTION}",
        "deadline\t2026-07-01T12:00:00Z",
    ]


def test_a_transfer_not_waiting_names_no_holder_action(pipe, capsys):
    settled = waiting_transfer()
    settled.ClearField("evidence_awaited")
    settled.state = transfer_pb2.TRANSFER_STATE_SETTLED
    cli._show(settled)
    assert "holder" not in capsys.readouterr().out


HOLDINGS = [
    ("demo-verra-owner-with-a-long-account-name", VERRA, "20745", "held (Active)"),
    ("demo-cdm-holder", CDM, "1000", "held (Active)"),
]


@pytest.mark.parametrize("columns", ["40", "80", "200"])
def test_a_table_on_a_terminal_folds_whole_values_at_any_width(terminal, monkeypatch, capsys, columns):
    monkeypatch.setenv("COLUMNS", columns)
    for row in HOLDINGS:
        cli._print_table(("account", "serial", "quantity", "status"), [row], title="holdings")
        out = capsys.readouterr().out
        assert "…" not in out
        assert max(len(line) for line in ANSI.sub("", out).splitlines()) <= int(columns)
        assert squeezed(column(out, 1)) == squeezed(row[0])
        assert squeezed(column(out, 2)) == squeezed(row[1])


def test_a_table_in_a_pipe_is_tab_separated_with_a_header(pipe, capsys):
    cli._print_table(("account", "serial", "quantity", "status"), HOLDINGS, title="holdings")
    out = capsys.readouterr().out
    assert out.splitlines() == ["account\tserial\tquantity\tstatus", *("\t".join(row) for row in HOLDINGS)]
    assert not set(out) & set("│┃━─╇┡")


def test_following_a_transfer_names_the_holders_action_once_until_it_changes(pipe, capsys):
    received = waiting_transfer()
    received.state = transfer_pb2.TRANSFER_STATE_RECEIVED
    checked = waiting_transfer()
    checked.evidence_awaited.deadline_time.nanos = 5_000_000  # recomputed a moment later: not news
    extended = waiting_transfer()
    extended.evidence_awaited.deadline_time.seconds += 86_400
    locked = waiting_transfer()
    locked.state = transfer_pb2.TRANSFER_STATE_SOURCE_LOCKED
    locked.ClearField("evidence_awaited")
    previous = None
    for update in (received, checked, extended, locked):
        cli._report_progress(update, previous)
        previous = update
    assert capsys.readouterr().out.splitlines() == [
        "  RECEIVED",
        f"  holder must: {ACTION}",
        "  deadline: 2026-07-01T12:00:00Z",
        "  CHECKED",
        f"  holder must: {ACTION}",
        "  deadline: 2026-07-02T12:00:00Z",
        "  SOURCE_LOCKED",
    ]
