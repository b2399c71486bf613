"""Writes docs/api.md, the contract's reference, from the .proto files and their comments.

Run as `python scripts/proto_docs.py` (`make docs`), or with `--check` to exit non-zero when
the committed docs/api.md is stale. The files are compiled with the pinned grpc_tools.protoc
(with source info, so the comments come along); `google/api/field_behavior.proto` is copied at
run time from the installed googleapis-common-protos package, as the repository does not carry it.
Each service lists its RPCs, each message its fields (with their google.api.field_behavior),
each enum its values. A message a request carries also lists the bound of each field, as
gateway/request_bounds.py states and applies it (from the generated modules' descriptors: a
message they do not hold yet, like a sample contract's, gets no bounds).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import pkgutil
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from google.api import field_behavior_pb2
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import protos.carbon.gateway.v1 as generated  # noqa: E402
from gateway import request_bounds  # noqa: E402

FIELD_BEHAVIOR = "google/api/field_behavior.proto"
Path_ = tuple[int, ...]

# Field numbers in FileDescriptorProto / DescriptorProto / ServiceDescriptorProto / EnumDescriptorProto,
# as SourceCodeInfo.Location paths name them.
_FILE_PACKAGE, _FILE_MESSAGES, _FILE_ENUMS, _FILE_SERVICES = 2, 4, 5, 6
_MESSAGE_FIELDS, _MESSAGE_NESTED, _MESSAGE_ENUMS = 2, 3, 4
_SERVICE_METHODS = 2
_ENUM_VALUES = 2


def googleapis_proto(relative: str) -> Path:
    """A .proto file shipped inside the installed googleapis-common-protos package."""
    spec = importlib.util.find_spec("google.api.field_behavior_pb2")
    if spec is None or spec.origin is None:
        raise SystemExit("googleapis-common-protos is not installed: run make (it installs the project)")
    return Path(spec.origin).parent.parent.parent / relative


def compile_contract(protos: Path) -> descriptor_pb2.FileDescriptorSet:
    """The contract's own files (not their imports), with comments."""
    sources = sorted(str(p.relative_to(protos)) for p in protos.rglob("*.proto"))
    with tempfile.TemporaryDirectory(prefix="proto-docs-") as tmp:
        imports = Path(tmp) / "imports"
        (imports / FIELD_BEHAVIOR).parent.mkdir(parents=True)
        shutil.copyfile(googleapis_proto(FIELD_BEHAVIOR), imports / FIELD_BEHAVIOR)
        out = Path(tmp) / "contract.binpb"
        well_known = Path(protoc.__file__).parent / "_proto"
        args = [
            "protoc",
            f"-I{protos}",
            f"-I{imports}",
            f"-I{well_known}",
            "--include_source_info",
            f"--descriptor_set_out={out}",
            *sources,
        ]
        if protoc.main(args) != 0:
            raise SystemExit("protoc failed")
        return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())


@dataclass(frozen=True)
class Comments:
    """The comments of one file, by SourceCodeInfo path."""

    by_path: dict[Path_, str]

    @classmethod
    def of(cls, file: descriptor_pb2.FileDescriptorProto) -> Comments:
        found: dict[Path_, str] = {}
        for location in file.source_code_info.location:
            text = location.leading_comments or location.trailing_comments
            if text.strip():
                found[tuple(location.path)] = _dedent(text)
        return cls(found)

    def block(self, path: Path_) -> str:
        return self.by_path.get(path, "")

    def cell(self, path: Path_) -> str:
        return " ".join(self.block(path).split()).replace("|", "\\|")


def _dedent(comment: str) -> str:
    """A comment's text without the space after `//` and without buf's lint directives (for tools, not readers)."""
    lines = [line[1:] if line.startswith(" ") else line for line in comment.strip("\n").split("\n")]
    kept = [line for line in lines if not line.startswith("buf:lint:")]
    return "\n".join(kept).strip()


def heading_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


@dataclass(frozen=True)
class Declaration:
    """A message or enum with its local name, its source path and the line it starts on."""

    local: str
    path: Path_
    line: int
    message: descriptor_pb2.DescriptorProto | None = None
    enum: descriptor_pb2.EnumDescriptorProto | None = None


def _walk_enums(
    file: descriptor_pb2.FileDescriptorProto,
) -> Iterator[tuple[str, descriptor_pb2.EnumDescriptorProto, Path_]]:
    for index, enum in enumerate(file.enum_type):
        yield enum.name, enum, (_FILE_ENUMS, index)
    for declaration in _message_declarations(file.message_type, "", (_FILE_MESSAGES,), {}):
        assert declaration.message is not None
        for index, enum in enumerate(declaration.message.enum_type):
            yield f"{declaration.local}.{enum.name}", enum, (*declaration.path, _MESSAGE_ENUMS, index)


def _message_declarations(
    messages: Sequence[descriptor_pb2.DescriptorProto], parent: str, base: Path_, lines: dict[Path_, int]
) -> Iterator[Declaration]:
    for index, message in enumerate(messages):
        if message.options.map_entry:
            continue
        path = (*base, index)
        local = f"{parent}{message.name}"
        yield Declaration(local, path, lines.get(path, 0), message=message)
        yield from _message_declarations(message.nested_type, f"{local}.", (*path, _MESSAGE_NESTED), lines)


def declarations(file: descriptor_pb2.FileDescriptorProto) -> list[Declaration]:
    """Messages (nested ones after their parent) and enums, in the order the file declares them."""
    lines = {tuple(loc.path): loc.span[0] for loc in file.source_code_info.location}
    found = list(_message_declarations(file.message_type, "", (_FILE_MESSAGES,), lines))
    found += [
        Declaration(local, path, lines.get(path, 0), enum=enum) for local, enum, path in _walk_enums(file)
    ]
    return sorted(found, key=lambda d: (d.line, d.path))


@dataclass(frozen=True)
class Names:
    """Turns a field's or method's fully qualified type into a link when the contract defines it."""

    package: str
    kinds: dict[str, str]  # fully qualified name -> "message" or "enum"

    def type_of(self, type_name: str) -> str:
        full = type_name.lstrip(".")
        kind = self.kinds.get(full)
        if kind is None:
            return f"`{full}`"
        local = full.removeprefix(f"{self.package}.")
        return f"[`{local}`](#{heading_anchor(f'{kind} {local}')})"


def defined_types(files: Sequence[descriptor_pb2.FileDescriptorProto]) -> dict[str, str]:
    """Every message and enum the contract defines, fully qualified, with its kind."""
    return {
        f"{file.package}.{d.local}": "message" if d.message is not None else "enum"
        for file in files
        for d in declarations(file)
    }


_SCALAR_NAMES = {
    value: name.removeprefix("TYPE_").lower()
    for name, value in descriptor_pb2.FieldDescriptorProto.Type.items()
}


def field_type(
    field: descriptor_pb2.FieldDescriptorProto, message: descriptor_pb2.DescriptorProto, names: Names
) -> str:
    entry = _map_entry(field, message)
    if entry is not None:
        key, value = (field_type(f, entry, names) for f in entry.field)
        if key.startswith("`") and value.startswith("`"):  # neither links anywhere: one code span
            return f"`map<{key.strip('`')}, {value.strip('`')}>`"
        return f"map<{key}, {value}>"
    if field.type in (field.TYPE_MESSAGE, field.TYPE_ENUM):
        return names.type_of(field.type_name)
    return f"`{_SCALAR_NAMES[field.type]}`"


def _map_entry(
    field: descriptor_pb2.FieldDescriptorProto, message: descriptor_pb2.DescriptorProto
) -> descriptor_pb2.DescriptorProto | None:
    if field.type != field.TYPE_MESSAGE or field.label != field.LABEL_REPEATED:
        return None
    entry_name = field.type_name.rsplit(".", 1)[-1]
    for nested in message.nested_type:
        if nested.name == entry_name and nested.options.map_entry:
            return nested
    return None


def field_label(field: descriptor_pb2.FieldDescriptorProto, message: descriptor_pb2.DescriptorProto) -> str:
    if field.proto3_optional:
        return "optional"
    if field.HasField("oneof_index"):
        return f"oneof `{message.oneof_decl[field.oneof_index].name}`"
    if field.label == field.LABEL_REPEATED and _map_entry(field, message) is None:
        return "repeated"
    return ""


def field_behaviour(field: descriptor_pb2.FieldDescriptorProto) -> str:
    behaviours = field.options.Extensions[field_behavior_pb2.field_behavior]
    return ", ".join(field_behavior_pb2.FieldBehavior.Name(b) for b in behaviours)


def render_service(
    file: descriptor_pb2.FileDescriptorProto, index: int, comments: Comments, names: Names
) -> list[str]:
    service = file.service[index]
    path: Path_ = (_FILE_SERVICES, index)
    out = [f"### service `{service.name}`", ""]
    if comments.block(path):
        out += [comments.block(path), ""]
    out += ["| RPC | Request | Response | Description |", "| --- | --- | --- | --- |"]
    for m, method in enumerate(service.method):
        request = ("stream " if method.client_streaming else "") + names.type_of(method.input_type)
        response = ("stream " if method.server_streaming else "") + names.type_of(method.output_type)
        description = comments.cell((*path, _SERVICE_METHODS, m))
        out.append(f"| `{method.name}` | {request} | {response} | {description} |")
    return [*out, ""]


def render_message(declaration: Declaration, comments: Comments, names: Names) -> list[str]:
    message = declaration.message
    assert message is not None
    out = [f"### message `{declaration.local}`", ""]
    if comments.block(declaration.path):
        out += [comments.block(declaration.path), ""]
    if not message.field:
        return [*out, "No fields.", ""]
    out += [
        "| Field | Number | Type | Label | Behaviour | Description |",
        "| --- | ---: | --- | --- | --- | --- |",
    ]
    for f, field in enumerate(message.field):
        cells = [
            f"`{field.name}`",
            str(field.number),
            field_type(field, message, names),
            field_label(field, message),
            field_behaviour(field),
            comments.cell((*declaration.path, _MESSAGE_FIELDS, f)),
        ]
        out.append("| " + " | ".join(cells) + " |")
    return [*out, ""]


def request_messages(files: Sequence[descriptor_pb2.FileDescriptorProto]) -> set[str]:
    """Every message an RPC's request carries (the request itself and the messages inside it)."""
    messages = {
        f"{file.package}.{d.local}": d.message for file in files for d in declarations(file) if d.message
    }
    found: set[str] = set()
    waiting = [m.input_type.lstrip(".") for file in files for s in file.service for m in s.method]
    while waiting:
        name = waiting.pop()
        message = messages.get(name)
        if name in found or message is None:
            continue
        found.add(name)
        waiting += [f.type_name.lstrip(".") for f in message.field if f.type == f.TYPE_MESSAGE]
    return found


def _load_generated() -> None:
    """Import every generated module, so the default pool holds the contract's descriptors."""
    for module in pkgutil.iter_modules(generated.__path__):
        if module.name.endswith("_pb2"):
            importlib.import_module(f"{generated.__name__}.{module.name}")


def render_bounds(full_name: str) -> list[str]:
    """The bound of every field of a request message, as request_bounds applies it."""
    try:
        message = descriptor_pool.Default().FindMessageTypeByName(full_name)
    except KeyError:
        return []
    rows = [(field.name, request_bounds.describe(field)) for field in message.fields]
    shown = [f"- `{name}`: {rule}" for name, rule in rows if rule]
    return (
        ["Bounds on each field in a request (`gateway/request_bounds.py`):", "", *shown, ""] if shown else []
    )


def render_enum(declaration: Declaration, comments: Comments) -> list[str]:
    enum = declaration.enum
    assert enum is not None
    out = [f"### enum `{declaration.local}`", ""]
    if comments.block(declaration.path):
        out += [comments.block(declaration.path), ""]
    out += ["| Value | Number | Description |", "| --- | ---: | --- |"]
    for v, value in enumerate(enum.value):
        description = comments.cell((*declaration.path, _ENUM_VALUES, v))
        out.append(f"| `{value.name}` | {value.number} | {description} |")
    return [*out, ""]


def render_file(file: descriptor_pb2.FileDescriptorProto, names: Names, requests: set[str]) -> list[str]:
    comments = Comments.of(file)
    out = [f"## `{file.name}`", "", f"Package `{file.package}`.", ""]
    if comments.block((_FILE_PACKAGE,)):
        out += [comments.block((_FILE_PACKAGE,)), ""]
    for index in range(len(file.service)):
        out += render_service(file, index, comments, names)
    for declaration in declarations(file):
        if declaration.message is not None:
            out += render_message(declaration, comments, names)
            full_name = f"{file.package}.{declaration.local}"
            if full_name in requests:
                out += render_bounds(full_name)
        else:
            out += render_enum(declaration, comments)
    return out


def render(contract: descriptor_pb2.FileDescriptorSet) -> str:
    files = sorted(contract.file, key=lambda f: f.name)
    services = [(file.package, s.name) for file in files for s in file.service]
    out = [
        "# Contract reference",
        "",
        "<!-- Generated by scripts/proto_docs.py from protos/ (`make docs`); do not edit by hand. -->",
        "",
        "Every service, message and enum of the gRPC contract, with the comments of its `.proto` files.",
        "A field's behaviour is its `google.api.field_behavior` annotation.",
        "",
        "Services: "
        + ", ".join(f"[`{p}.{s}`](#{heading_anchor(f'service {s}')})" for p, s in services)
        + ".",
        "",
    ]
    kinds = defined_types(files)
    _load_generated()
    requests = request_messages(files)
    for file in files:
        out += render_file(file, Names(file.package, kinds), requests)
    return "\n".join(out).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--protos", type=Path, default=ROOT / "protos", help="the contract's root folder")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "api.md")
    parser.add_argument(
        "--check", action="store_true", help="fail when the file is stale instead of writing it"
    )
    options = parser.parse_args(argv)
    text = render(compile_contract(options.protos))
    out: Path = options.out
    if options.check:
        if not out.exists() or out.read_text() != text:
            print(f"{out} is stale: run `make docs` (python scripts/proto_docs.py)")
            return 1
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
