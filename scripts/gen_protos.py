"""Regenerates protos/carbon/gateway/v1/*_pb2*.py(i) from the .proto files.

Run as `python scripts/gen_protos.py` (or `--check` to fail when committed code is stale).
Imports are rewritten to live inside the `protos` package, so the generated code
works without adding anything to sys.path. The contract imports
`google/api/field_behavior.proto`, read from the installed googleapis-common-protos
package (a dependency of grpcio-status), whose `google.api.field_behavior_pb2` the
generated code then imports.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

from google.api import field_behavior_pb2
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
PACKAGE_DIR = PROTOS / "carbon" / "gateway" / "v1"
_IMPORT = re.compile(r"^from carbon\.gateway\.v1 import", re.MULTILINE)
# The folder holding google/api/*.proto: googleapis-common-protos ships its sources beside the modules.
GOOGLEAPIS = Path(field_behavior_pb2.__file__).resolve().parent.parent.parent


def generate(out: Path) -> None:
    sources = sorted(str(p.relative_to(PROTOS)) for p in PACKAGE_DIR.glob("*.proto"))
    include = Path(protoc.__file__).parent / "_proto"
    args = [
        "protoc",
        f"-I{PROTOS}",
        f"-I{include}",
        f"-I{GOOGLEAPIS}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        *sources,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    for path in (out / "carbon" / "gateway" / "v1").iterdir():
        text = _IMPORT.sub("from protos.carbon.gateway.v1 import", path.read_text())
        path.write_text(text)


def generated_files(base: Path) -> dict[str, str]:
    folder = base / "carbon" / "gateway" / "v1"
    return {p.name: p.read_text() for p in sorted(folder.glob("*_pb2*.py*"))}


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        generate(out)
        fresh = generated_files(out)
        if "--check" in sys.argv:
            stale = fresh != generated_files(PROTOS)
            if stale:
                print("generated protobuf code is stale: run python scripts/gen_protos.py")
            return 1 if stale else 0
        for old in PACKAGE_DIR.glob("*_pb2*.py*"):
            old.unlink()
        for name in fresh:
            shutil.copy(out / "carbon" / "gateway" / "v1" / name, PACKAGE_DIR / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
