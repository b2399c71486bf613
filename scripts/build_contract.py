"""Compiles ledger_anchor/contract/Anchor.vy into ledger_anchor/contract/anchor.json (ABI + bytecode).

Run as `python scripts/build_contract.py` (or `--check` to exit non-zero when the
committed artifact is stale). The compiler runs offline from the pinned `vyper`
package, targeting the Shanghai fork because the test node (ganache 7.9) speaks
no later fork.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import vyper
from vyper.compiler.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "ledger_anchor" / "contract" / "Anchor.vy"
ARTIFACT = ROOT / "ledger_anchor" / "contract" / "anchor.json"
EVM_VERSION = "shanghai"


def build() -> str:
    """The artifact's text: what the source compiles to today."""
    source = SOURCE.read_text()
    output = vyper.compile_code(
        source,
        contract_path=SOURCE.name,
        output_formats=["abi", "bytecode", "bytecode_runtime"],
        settings=Settings(evm_version=EVM_VERSION),
    )
    artifact = {
        "contract": "Anchor",
        "compiler": f"vyper {vyper.__version__}",
        "evm_version": EVM_VERSION,
        "source_sha256": hashlib.sha256(source.encode()).hexdigest(),
        "abi": output["abi"],
        "bytecode": output["bytecode"],
        "bytecode_runtime": output["bytecode_runtime"],
    }
    return json.dumps(artifact, indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    fresh = build()
    if "--check" in argv:
        if not ARTIFACT.exists() or ARTIFACT.read_text() != fresh:
            print(
                f"{ARTIFACT.relative_to(ROOT)} is stale: run scripts/build_contract.py",
                file=sys.stderr,
            )
            return 1
        print(f"{ARTIFACT.relative_to(ROOT)} is up to date")
        return 0
    ARTIFACT.write_text(fresh)
    print(f"wrote {ARTIFACT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
