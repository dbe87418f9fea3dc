"""Reading Allegro's OpenAPI spec into the records the templates render.

The spec is read from a path or an http(s) URL and never copied into the repository. Inline
request and response schemas are given names (``<OperationId>Request``/``Response``) so every
body has a model; schema names that are not Python identifiers are made into class names.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tools.apigen import naming

METHODS = ("get", "put", "post", "delete", "patch")
#: Response media types whose body is bytes, not JSON.
JSON_TYPES = re.compile(
    r"^application/(?:[\w.+-]*\+)?json\s*$|^application/vnd\.allegro\.[^;]*json"
)
USER_SCHEME = "bearer-token-for-user"
APP_SCHEME = "bearer-token-for-application"


@dataclass
class ParamSpec:
    """One parameter as the generated method and the index see it."""

    name: str
    python_name: str
    location: str
    required: bool
    type: str
    items_type: str | None = None
    enum: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    format: str | None = None
    default: Any = None
    description: str = ""
    in_signature: bool = True  # Accept/Content-Type headers are set from the media types


@dataclass
class OpSpec:
    """One operation, ready to render."""

    operation_id: str
    method: str
    path: str
    area: str
    name: str
    summary: str
    description: str
    deprecated: bool
    params: list[ParamSpec]
    request_schema: str | None
    request_binary: tuple[str, ...]  # media types sent as raw bytes (images, PDFs)
    request_required: bool
    request_media_types: tuple[str, ...]
    response_schema: str | None
    response_binary: bool
    response_media_types: tuple[str, ...]
    success_status: int
    empty_success: bool  # a 2xx without a body is also declared (e.g. 200 and 204)
    scopes: tuple[str, ...]
    app_token_allowed: bool
    host: str
    example: str | None
    paging: str | None = None  # "offset", "page_id" or "event"
    items_field: str | None = None  # wire name of the page's item list
    items_schema: str | None = None
    tag: str = ""
    #: (media type, schema) of each JSON media type of the success answer, where they name
    #: different schemas (a beta version beside the public one); else empty
    response_variants: tuple[tuple[str, str], ...] = ()


@dataclass
class Spec:
    """The spec as the generator needs it."""

    version: str
    sha256: str
    source: str
    raw: dict[str, Any]
    schemas: dict[str, Any]  # components.schemas, renamed, with the hoisted inline schemas
    operations: list[OpSpec] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)  # area -> tag


def read_bytes(source: str) -> bytes:
    """The spec's bytes from a path or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=60) as response:  # noqa: S310 (http(s) only)
            data: bytes = response.read()
            return data
    return Path(source).read_bytes()


def read_published(digest: Spec) -> dict[str, Any]:
    """The spec ``digest`` was read from, parsed as published (no schema renamed or
    normalised): what the tables the emulator follows keep. Read again, and refused if its
    bytes are no longer the ones ``digest`` was made from."""
    data = read_bytes(digest.source)
    if hashlib.sha256(data).hexdigest() != digest.sha256:
        raise RuntimeError(f"{digest.source} changed while the generator was reading it")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw: dict[str, Any] = yaml.load(data, Loader=loader)  # noqa: S506 (a safe loader)
    return raw


def load(source: str) -> Spec:
    """Read and digest the spec at ``source``."""
    data = read_bytes(source)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw = yaml.load(data, Loader=loader)  # noqa: S506 (a safe loader)
    spec = Spec(
        version=str(raw["info"]["version"]),
        sha256=hashlib.sha256(data).hexdigest(),
        source=source,
        raw=raw,
        schemas={},
    )
    _rename_schemas(spec)
    _normalise_schemas(spec)
    _read_operations(spec)
    return spec


def _normalise_schemas(spec: Spec) -> None:
    """Two spec shapes the models would get wrong, fixed before code generation:

    - ``type: string, format: decimal`` (one amount): kept a string, as every other Allegro
      amount is (``"10.99"``); a ``Decimal`` field would refuse strings the spec allows and
      make this one amount unlike the rest.
    - A base schema with a ``discriminator`` mapping and no ``oneOf`` (``CompatibilityList``):
      its tag property gets the mapping's keys as an (open) enum, so the model names the
      tags the spec maps and a built instance carries one of them.
    """

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "string" and node.get("format") == "decimal":
                del node["format"]
            mapping = (node.get("discriminator") or {}).get("mapping")
            prop = (node.get("discriminator") or {}).get("propertyName")
            props = node.get("properties") or {}
            if mapping and prop in props and "$ref" not in props[prop] \
                    and "enum" not in props[prop]:
                props[prop]["enum"] = list(mapping)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec.schemas)


def _rename_schemas(spec: Spec) -> None:
    raw = copy.deepcopy(spec.raw)
    renames: dict[str, str] = {}
    taken: set[str] = set()
    for name in sorted(raw["components"]["schemas"]):
        new = naming.pascal(name) if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", name) else name
        if new in naming.RESERVED_CLASS_NAMES:
            new += "Model"
        while new in taken:
            new += "_"
        taken.add(new)
        renames[name] = new

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                return {**node, "$ref": "#/components/schemas/" + renames[ref.rsplit("/", 1)[1]]}
            return {k: fix(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fix(v) for v in node]
        return node

    raw = fix(raw)
    spec.schemas = {renames[k]: v for k, v in raw["components"]["schemas"].items()}
    spec.raw = raw


def resolve(spec: Spec, node: Any) -> Any:
    """Follow ``$ref`` (parameters, request bodies, schemas) to the node it names."""
    while isinstance(node, dict) and "$ref" in node:
        _, kind, name = node["$ref"].lstrip("#/").split("/", 2)  # components/<kind>/<name>
        node = spec.schemas[name] if kind == "schemas" else spec.raw["components"][kind][name]
    return node


def _is_binary(schema: dict[str, Any] | None) -> bool:
    return schema is not None and schema.get("type") == "string" and "properties" not in schema


def _schema_ref(spec: Spec, schema: dict[str, Any] | None, hoist_as: str) -> str | None:
    """The class name of a body schema; an inline one is hoisted under ``hoist_as``."""
    if not schema:
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return ref.rsplit("/", 1)[1]
    name = hoist_as
    while name in spec.schemas and spec.schemas[name] is not schema:
        name += "_"
    spec.schemas[name] = schema
    return name


def _param(spec: Spec, raw: dict[str, Any], taken: set[str]) -> ParamSpec:
    raw = resolve(spec, raw)
    schema = resolve(spec, raw.get("schema") or {})
    items = resolve(spec, schema.get("items") or {})
    enum = schema.get("enum") or items.get("enum")
    typ = schema.get("type") or ("object" if "properties" in schema else "string")
    wire = raw["name"]
    header_media = raw["in"] == "header" and wire.lower() in ("accept", "content-type")
    return ParamSpec(
        name=wire,
        python_name="" if header_media else naming.param_name(wire, taken),
        location=raw["in"],
        required=bool(raw.get("required", False)) or raw["in"] == "path",
        type=typ,
        items_type=items.get("type") if typ == "array" else None,
        enum=tuple(str(v) for v in enum) if enum else None,
        minimum=schema.get("minimum"),
        maximum=schema.get("maximum"),
        format=schema.get("format") or items.get("format"),
        default=schema.get("default"),
        description=" ".join(str(raw.get("description") or "").split()),
        in_signature=not header_media,
    )


def _security(op: dict[str, Any], raw: dict[str, Any]) -> tuple[tuple[str, ...], bool]:
    requirements = op.get("security")
    if requirements is None:
        requirements = raw.get("security") or []
    scopes: list[str] = []
    app = False
    for requirement in requirements:
        for scheme, needed in requirement.items():
            if scheme == USER_SCHEME:
                scopes.extend(s for s in needed if s not in scopes)
            elif scheme == APP_SCHEME:
                app = True
    return tuple(scopes), app


def _example(content: dict[str, Any]) -> str | None:
    for media in content.values():
        if "example" in media:
            return json.dumps(media["example"], ensure_ascii=False, separators=(",", ":"))
        for example in (media.get("examples") or {}).values():
            if isinstance(example, dict) and "value" in example:
                return json.dumps(example["value"], ensure_ascii=False, separators=(",", ":"))
    return None


def _read_operations(spec: Spec) -> None:
    seen: dict[str, set[str]] = {}
    pending: list[tuple[OpSpec, str]] = []
    for path, item in spec.raw["paths"].items():
        servers = item.get("servers") or []
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            op_servers = op.get("servers") or servers
            host = "upload" if any("upload." in s.get("url", "") for s in op_servers) else "api"
            tag = (op.get("tags") or ["Other"])[0]
            area = naming.area_name(tag)
            spec.tags[area] = tag
            pascal_id = naming.pascal(op["operationId"])
            taken: set[str] = set()
            params = [_param(spec, p, taken) for p in item.get("parameters", [])]
            params += [_param(spec, p, taken) for p in op.get("parameters", [])]
            # required first (the order of the spec within each group), then optional
            params.sort(key=lambda p: (not p.required, p.location != "path"))
            body = resolve(spec, op.get("requestBody")) or {}
            req_content = body.get("content") or {}
            req_types = tuple(req_content)
            request_binary = tuple(
                t for t, m in req_content.items() if _is_binary(resolve(spec, m.get("schema")))
            )
            json_bodies = [m for t, m in req_content.items() if t not in request_binary]
            request_schema = None
            if json_bodies:
                request_schema = _schema_ref(
                    spec, json_bodies[0].get("schema"), pascal_id + "Request"
                )
            successes = sorted(c for c in op["responses"] if str(c).startswith("2"))
            status = int(successes[0]) if successes else 200
            resp_schema = None
            resp_binary = False
            resp_types: tuple[str, ...] = ()
            variants: list[tuple[str, str]] = []
            example = None
            empty = False
            for code in successes:
                response = resolve(spec, op["responses"][code])
                content = response.get("content") or {}
                if not content:
                    empty = True
                    continue
                if resp_types:
                    continue
                status = int(code)
                resp_types = tuple(content)
                first = next(iter(content.values())).get("schema")
                if not all(JSON_TYPES.match(t) for t in content):
                    resp_binary = True  # a file; a JSON type beside it keeps its model
                    first = next((m.get("schema") for t, m in content.items()
                                  if JSON_TYPES.match(t)), None)
                if first:
                    resp_schema = _schema_ref(spec, first, pascal_id + "Response")
                    variants = [(t, _schema_ref(spec, m.get("schema"), pascal_id + "Response")
                                 or resp_schema) for t, m in content.items()
                                if JSON_TYPES.match(t)]  # a file type is bytes, not a model
                example = _example(content)
            scopes, app = _security(op, spec.raw)
            record = OpSpec(
                operation_id=op["operationId"],
                method=method.upper(),
                path=path,
                area=area,
                name="",
                summary=" ".join(str(op.get("summary") or "").split()),
                description=str(op.get("description") or ""),
                deprecated=bool(op.get("deprecated", False)),
                params=params,
                request_schema=request_schema,
                request_binary=request_binary,
                request_required=bool(body.get("required", False)),
                request_media_types=req_types,
                response_schema=resp_schema,
                response_binary=resp_binary,
                response_media_types=resp_types,
                success_status=status,
                empty_success=empty and bool(resp_types),
                scopes=scopes,
                app_token_allowed=app,
                host=host,
                example=example,
                tag=tag,
                response_variants=tuple(variants) if len({s for _, s in variants}) > 1 else (),
            )
            pending.append((record, naming.method_base(op["operationId"])))
    # names: the readable base where unique in its area, else told apart by the path
    counts: dict[tuple[str, str], int] = {}
    for record, base in pending:
        counts[(record.area, base)] = counts.get((record.area, base), 0) + 1
    for record, base in pending:
        name = base
        if counts[(record.area, base)] > 1:
            name = f"{base}_{naming.path_hint(record.path)}"
        taken_names = seen.setdefault(record.area, set())
        while name in taken_names:
            name += "_" + record.method.lower()
        taken_names.add(name)
        record.name = name
        _detect_paging(spec, record)
        spec.operations.append(record)
    spec.operations.sort(key=lambda o: (o.area, o.name))


def _properties(spec: Spec, schema: Any) -> dict[str, Any]:
    schema = resolve(spec, schema)
    props: dict[str, Any] = dict(schema.get("properties") or {})
    for part in schema.get("allOf") or []:
        props.update(_properties(spec, part))
    return props


def _detect_paging(spec: Spec, op: OpSpec) -> None:
    if op.method != "GET" or op.response_schema is None or op.response_binary:
        return
    query = {p.name for p in op.params if p.location == "query"}
    props = _properties(spec, {"$ref": "#/components/schemas/" + op.response_schema})
    arrays = {k: v for k, v in props.items() if resolve(spec, v).get("type") == "array"}
    if len(arrays) > 1:  # e.g. products beside filters: the list the path is named after
        last = re.sub(r"-(\w)", lambda m: m.group(1).upper(), op.path.rstrip("/").split("/")[-1])
        arrays = {k: v for k, v in arrays.items() if k == last}
    if len(arrays) != 1:
        return
    key, value = next(iter(arrays.items()))
    items = resolve(spec, value).get("items") or {}
    if "offset" in query and "limit" in query:
        op.paging = "offset"
    elif "page.id" in query and "nextPage" in props:
        op.paging = "page_id"
    elif "from" in query and op.path.endswith("events"):
        op.paging = "event"
    else:
        return
    op.items_field = key
    ref = items.get("$ref")
    op.items_schema = ref.rsplit("/", 1)[1] if isinstance(ref, str) else None
