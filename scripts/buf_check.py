"""Checks the gRPC contract with buf: its lint rules, and no breaking change since the last release.

Run as `python scripts/buf_check.py` (`make contract-check`; `make test` runs it) to lint
`protos/` and compare it with the released baseline `protos/releases/v1.binpb`, or as
`python scripts/buf_check.py --release` to lint and then write the current contract as that
baseline. Either exits non-zero with buf's findings, one per line, each naming its rule; a
missing baseline is a failure too, so CI never skips the breaking-change check unnoticed.

buf needs every imported file inside its workspace, and the contract imports
`google/api/field_behavior.proto`, which the repository does not carry: each run builds a
temporary workspace from the `.proto` files under `protos/`, its `buf.yaml` (STANDARD lint when
there is none) and that one file from the installed googleapis-common-protos package. buf itself
is the version pinned in package-lock.json, installed by `npm ci`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUF = ROOT / "node_modules" / ".bin" / "buf"
FIELD_BEHAVIOR = "google/api/field_behavior.proto"
DEFAULT_CONFIG = "version: v2\nlint:\n  use:\n    - STANDARD\n"


def googleapis_proto(relative: str) -> Path:
    """A .proto file shipped inside the installed googleapis-common-protos package."""
    spec = importlib.util.find_spec("google.api.field_behavior_pb2")
    if spec is None or spec.origin is None:
        raise SystemExit("googleapis-common-protos is not installed: run make (it installs the project)")
    site_packages = Path(spec.origin).parent.parent.parent
    return site_packages / relative


def build_workspace(protos: Path, workspace: Path) -> None:
    """Copies the contract's .proto files, its buf.yaml and the googleapis import into `workspace`."""
    for source in sorted(protos.rglob("*.proto")):
        target = workspace / source.relative_to(protos)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    config = protos / "buf.yaml"
    (workspace / "buf.yaml").write_text(config.read_text() if config.exists() else DEFAULT_CONFIG)
    vendored = workspace / FIELD_BEHAVIOR
    vendored.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(googleapis_proto(FIELD_BEHAVIOR), vendored)


def violation_line(shown_as: str, line: str) -> str:
    """One of buf's JSON findings as `path:line:column: RULE message`; anything else unchanged."""
    try:
        found = json.loads(line)
    except json.JSONDecodeError:
        return line
    if not isinstance(found, dict):
        return line
    where = f"{shown_as}/{found.get('path', '')}:{found.get('start_line', 0)}:{found.get('start_column', 0)}"
    return f"{where}: {found.get('type', '?')} {found.get('message', '')}"


def run_buf(workspace: Path, shown_as: str, *args: str) -> list[str]:
    """Runs buf in the workspace; its findings (empty when it passed)."""
    if not BUF.exists():
        raise SystemExit(f"buf is not installed at {BUF}: run `npm ci` (make contract-check does)")
    done = subprocess.run(
        [str(BUF), *args, "--error-format", "json"], cwd=workspace, capture_output=True, text=True
    )
    if done.returncode == 0:
        return []
    found = [violation_line(shown_as, line) for line in done.stdout.splitlines() if line.strip()]
    found += [line for line in done.stderr.splitlines() if line.strip()]
    return found or [f"buf {args[0]} exited {done.returncode} without saying why"]


def lint(workspace: Path, shown_as: str) -> list[str]:
    return run_buf(workspace, shown_as, "lint", "--exclude-path", FIELD_BEHAVIOR)


def breaking(workspace: Path, shown_as: str, baseline: Path) -> list[str]:
    if not baseline.exists():
        return [
            f"no release baseline at {shown(baseline)}: nothing to check breaking changes against; "
            "write it with `python scripts/buf_check.py --release` when the contract is released"
        ]
    return run_buf(
        workspace,
        shown_as,
        "breaking",
        "--against",
        str(baseline.resolve()),
        "--exclude-imports",
        "--exclude-path",
        FIELD_BEHAVIOR,
    )


def release(workspace: Path, shown_as: str, baseline: Path) -> list[str]:
    """Writes the contract as a buf image (without source info: only the shapes matter later)."""
    baseline.parent.mkdir(parents=True, exist_ok=True)
    return run_buf(
        workspace,
        shown_as,
        "build",
        "--exclude-source-info",
        "--exclude-path",
        FIELD_BEHAVIOR,
        "-o",
        str(baseline.resolve()),
    )


def report(title: str, found: list[str]) -> bool:
    print(f"{title}: {'ok' if not found else f'{len(found)} finding(s)'}")
    for line in found:
        print(f"  {line}")
    return not found


def shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--protos", type=Path, default=ROOT / "protos", help="the contract's root folder")
    parser.add_argument(
        "--baseline", type=Path, help="the released image (default: PROTOS/releases/v1.binpb)"
    )
    parser.add_argument("--release", action="store_true", help="write the current contract as the baseline")
    options = parser.parse_args(argv)
    protos: Path = options.protos
    baseline: Path = options.baseline or protos / "releases" / "v1.binpb"
    if not (protos / "buf.yaml").exists():
        print(f"{shown(protos)}/buf.yaml is absent: linting with buf's STANDARD rules")
    with tempfile.TemporaryDirectory(prefix="buf-check-") as tmp:
        workspace = Path(tmp)
        build_workspace(protos, workspace)
        linted = report("buf lint", lint(workspace, shown(protos)))
        if options.release:
            if not linted:
                print("not released: the contract fails lint")
                return 1
            released = report(f"buf build -o {shown(baseline)}", release(workspace, shown(protos), baseline))
            return 0 if released else 1
        unbroken = report(
            f"buf breaking against {shown(baseline)}", breaking(workspace, shown(protos), baseline)
        )
    return 0 if linted and unbroken else 1


if __name__ == "__main__":
    sys.exit(main())
