"""What the spec says about requests and refusals, beyond the generated index.

The index (:data:`allegro_async.api.OPERATIONS`) names each parameter with its type, enum,
bounds and format, but not a string's length or pattern, not the request body's JSON schema,
and not which error statuses an operation documents or in which shape. The emulator needs all
three to refuse what Allegro refuses with the status and body the spec declares, so they are
derived from the spec once and committed as ``_spec_rules.json`` (the spec is not shipped);
``tests/emulator/test_spec_rules.py`` checks the table against the spec when it is present.
Regenerate with::

    python -m allegro_async.testing.emulator.spec_rules ../shared/spec/allegro-openapi.yaml
"""

from __future__ import annotations

import functools
import hashlib
import json
import sys
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

_TABLE = "_spec_rules.json"
_METHODS = ("get", "post", "put", "patch", "delete")
#: The error statuses whose declared shape the emulator follows.
_ERROR_PREFIXES = ("4", "5")


@functools.lru_cache(maxsize=1)
def table() -> Mapping[str, Any]:
    """The whole table: ``spec`` (sha256), ``operations`` and ``schemas``."""
    text = resources.files(__package__).joinpath(_TABLE).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def definitions() -> Mapping[str, Any]:
    """The named schemas the table's schemas refer to, by the spec's name."""
    found: Mapping[str, Any] = table()["schemas"]
    return found


def _operation(operation_id: str) -> Mapping[str, Any]:
    found: Mapping[str, Any] = table()["operations"].get(operation_id, {})
    return found


def statuses(operation_id: str) -> frozenset[int]:
    """Every status the operation documents."""
    return frozenset(int(s) for s in _operation(operation_id).get("statuses", ()))


def error_content(operation_id: str, status: int) -> Mapping[str, Any] | None:
    """The declared content of an error status, media type to schema (``{}`` where the spec
    declares an answer without a body); ``None`` where it declares no content at all (the
    shape is then Allegro's usual ``errors[]``, A7)."""
    errors: Mapping[str, Any] = _operation(operation_id).get("errors", {})
    found: Mapping[str, Any] | None = errors.get(str(status))
    return found


def param_schema(operation_id: str, location: str, name: str) -> Mapping[str, Any] | None:
    """The schema of one parameter where it holds more than the index (a length, a pattern,
    an item format), else ``None``."""
    found: Mapping[str, Any] | None = _operation(operation_id).get("params", {}).get(
        f"{location}:{name.lower() if location == 'header' else name}")
    return found


def body_schema(operation_id: str, media_type: str) -> Mapping[str, Any] | None:
    """The JSON schema of the request body in ``media_type`` (``None``: none declared)."""
    bodies: Mapping[str, Any] = _operation(operation_id).get("body", {})
    wanted = media_type.replace(" ", "").lower()
    for kind, schema in bodies.items():
        if kind.replace(" ", "").lower() == wanted:
            found: Mapping[str, Any] = schema
            return found
    return None


# -- derivation (development time) ----------------------------------------------------------
#: Parameter keywords the index does not keep.
_EXTRA_KEYWORDS = frozenset({"minLength", "maxLength", "pattern", "items", "minItems",
                             "maxItems", "format"})
#: Formats the index keeps but the parameter check reads from here (the index's own,
#: date-time and uuid, are checked from the index; others such as a BCP-47 tag are prose).
_TABLE_FORMATS = frozenset({"date"})


def derive(spec: dict[str, Any], sha256: str) -> dict[str, Any]:
    """The table of one parsed spec."""
    operations: dict[str, Any] = {}
    refs: set[str] = set()
    for item in spec.get("paths", {}).values():
        common = item.get("parameters", [])
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            entry: dict[str, Any] = {}
            responses = {s: _resolve(spec, r) for s, r in operation.get("responses", {}).items()}
            entry["statuses"] = sorted(s for s in responses if s.isdigit())
            errors: dict[str, Any] = {}
            for status, response in responses.items():
                if status.startswith(_ERROR_PREFIXES) and "content" in response:
                    errors[status] = {kind: media.get("schema", {})
                                      for kind, media in (response["content"] or {}).items()}
            if errors:
                entry["errors"] = errors
            params: dict[str, Any] = {}
            for raw in [*common, *operation.get("parameters", [])]:
                param = _resolve(spec, raw)
                schema = _resolve(spec, param.get("schema") or {})
                if _needs_entry(spec, schema):
                    name = param["name"].lower() if param["in"] == "header" else param["name"]
                    params[f"{param['in']}:{name}"] = schema
            if params:
                entry["params"] = params
            body = _resolve(spec, operation.get("requestBody") or {})
            bodies = {kind: media.get("schema", {})
                      for kind, media in (body.get("content") or {}).items()
                      if kind.replace(" ", "").lower().endswith("json")}
            if bodies:
                entry["body"] = bodies
            operations[operation["operationId"]] = entry
            _collect(spec, [errors, params, bodies], refs)
    schemas = spec.get("components", {}).get("schemas", {})
    operations = _as_checked(operations)
    return {
        "_generated": "derived from Allegro's OpenAPI spec by "
                      "python -m allegro_async.testing.emulator.spec_rules; do not edit",
        "spec": {"sha256": sha256},
        "operations": dict(sorted(operations.items())),
        "schemas": {name: _as_checked(_fixed(name, schemas[name])) for name in sorted(refs)},
    }


def _as_checked(node: Any) -> Any:
    """A schema as the emulator holds requests to it: ``oneOf`` reads as ``anyOf``. Allegro
    picks the branch by its discriminator, and branches whose objects admit each other's
    fields would otherwise refuse every body."""
    if isinstance(node, list):
        return [_as_checked(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {("anyOf" if key == "oneOf" else key): _as_checked(value)
            for key, value in node.items()}


#: Required names the spec lists but no property declares: (schema, name). MessageRequest
#: requires an "attachment" its properties call "attachments" (and its description says
#: text or attachments).
_UNDECLARED_REQUIRED = (("MessageRequest", "attachment"),)


def _fixed(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    dropped = {field for owner, field in _UNDECLARED_REQUIRED if owner == name}
    if dropped and isinstance(schema.get("required"), list):
        return {**schema, "required": [r for r in schema["required"] if r not in dropped]}
    return schema


def _needs_entry(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    if set(schema) & {"minLength", "maxLength", "pattern", "minItems", "maxItems"}:
        return True
    if schema.get("format") in _TABLE_FORMATS:
        return True
    items = _resolve(spec, schema.get("items") or {})
    return bool(items) and (bool(set(items) & _EXTRA_KEYWORDS) or "enum" in items)


def _collect(spec: dict[str, Any], node: Any, refs: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[-1]
            if name not in refs:
                refs.add(name)
                _collect(spec, spec["components"]["schemas"][name], refs)
        for value in node.values():
            _collect(spec, value, refs)
    elif isinstance(node, list):
        for value in node:
            _collect(spec, value, refs)


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    # Parameters, responses and request bodies may be $refs to components; schemas stay
    # as they are (their $refs are resolved by name when checked).
    while "$ref" in node and not node["$ref"].startswith("#/components/schemas/"):
        target: Any = spec
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def render(table: dict[str, Any]) -> str:
    """The table as committed: one operation and one schema per line."""
    lines = ["{" + f'"_generated":{json.dumps(table["_generated"])},'
             f'"spec":{json.dumps(table["spec"])},', '"operations":{']
    ops = list(table["operations"].items())
    lines += [f"{json.dumps(k)}:{json.dumps(v, separators=(',', ':'))}"
              + ("," if i < len(ops) - 1 else "") for i, (k, v) in enumerate(ops)]
    lines.append('},"schemas":{')
    schemas = list(table["schemas"].items())
    lines += [f"{json.dumps(k)}:{json.dumps(v, separators=(',', ':'))}"
              + ("," if i < len(schemas) - 1 else "") for i, (k, v) in enumerate(schemas)]
    lines.append("}}")
    return "\n".join(lines) + "\n"


def build(spec_path: Path) -> str:
    """The committed text of the table for the spec file at ``spec_path``."""
    import yaml

    raw = spec_path.read_bytes()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # a safe loader, C when built
    spec = yaml.load(raw, Loader=loader)  # noqa: S506
    return render(derive(spec, hashlib.sha256(raw).hexdigest()))


if __name__ == "__main__":  # pragma: no cover - a development-time generator
    out = Path(__file__).with_name(_TABLE)
    out.write_text(build(Path(sys.argv[1])), encoding="utf-8")
    print(f"wrote {out}")
