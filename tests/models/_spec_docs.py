"""Documents built from the spec for the model tests: the smallest document a schema allows,
and every discriminated union of the spec with the field that holds it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tools.apigen.spec import Spec

_STRINGS = {"date-time": "2024-01-02T03:04:05Z", "date": "2024-01-02",
            "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6"}


def resolve(spec: Spec, schema: Any) -> dict[str, Any]:
    """``schema`` with its ``$ref`` followed."""
    while isinstance(schema, dict) and "$ref" in schema:
        schema = spec.schemas[schema["$ref"].rsplit("/", 1)[1]]
    return schema if isinstance(schema, dict) else {}


def merged(spec: Spec, schema: Any) -> dict[str, Any]:
    """An object schema with its ``allOf`` parts merged (later parts win)."""
    schema = resolve(spec, schema)
    if "allOf" not in schema:
        return dict(schema)
    props: dict[str, Any] = {}
    required: list[str] = []
    out: dict[str, Any] = {}
    for part in [*(merged(spec, p) for p in schema["allOf"]), schema]:
        out.update({k: v for k, v in part.items()
                    if k not in ("allOf", "properties", "discriminator")})
        props.update(part.get("properties") or {})
        required += part.get("required") or []
    return {**out, "type": "object", "properties": props, "required": required}


def minimal(spec: Spec, schema: Any, depth: int = 0) -> Any:
    """The smallest document ``schema`` allows: required properties only, lower bounds."""
    schema = merged(spec, schema)
    if "enum" in schema:
        return schema["enum"][0]
    mapping = (schema.get("discriminator") or {}).get("mapping")
    if mapping:
        tag, ref = next(iter(mapping.items()))
        return {**minimal(spec, {"$ref": ref}, depth + 1),
                schema["discriminator"]["propertyName"]: tag}
    if "oneOf" in schema or "anyOf" in schema:
        return minimal(spec, (schema.get("oneOf") or schema["anyOf"])[0], depth + 1)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if kind == "object":
        props = schema.get("properties") or {}
        return {k: minimal(spec, props[k], depth + 1)
                for k in schema.get("required") or [] if k in props}
    if kind == "array":
        count = schema.get("minItems", 0)
        return [minimal(spec, schema.get("items") or {}, depth + 1) for _ in range(count)]
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    return _STRINGS.get(schema.get("format", ""), "x" * max(1, schema.get("minLength", 1)))


@dataclass
class Union:
    """One discriminated union: where a field holds it, its tag property and mapping."""

    where: str  # spec location of the discriminator
    container: str  # the class holding a field of this union
    field: str  # that field's wire name
    prop: str
    mapping: dict[str, str]  # tag -> class name


def discriminated(spec: Spec) -> list[Union]:
    """Every discriminator of the component schemas, with one field that holds it."""
    found: list[tuple[str, dict[str, Any], str | None]] = []

    def walk(node: Any, where: str, name: str | None) -> None:
        if isinstance(node, dict):
            if (node.get("discriminator") or {}).get("mapping"):
                found.append((where, node, name))
            for key, value in node.items():
                walk(value, f"{where}/{key}", name)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}/{i}", name)

    for name, schema in spec.schemas.items():
        walk(schema, name, name)
    out = []
    for where, node, owner in found:
        holder = _holder(spec, where, node, owner)
        if holder is None:
            continue
        disc = node["discriminator"]
        out.append(Union(where, holder[0], holder[1], disc["propertyName"],
                         {t: r.rsplit("/", 1)[1] for t, r in disc["mapping"].items()}))
    return out


def _holder(spec: Spec, where: str, node: dict[str, Any],
            owner: str | None) -> tuple[str, str] | None:
    parts = where.split("/")
    if len(parts) >= 3 and parts[-2] == "properties":  # an inline union property
        return parts[0], parts[-1]
    target = f"#/components/schemas/{where}"
    for name in sorted(spec.schemas):
        props = merged(spec, {"$ref": f"#/components/schemas/{name}"}).get("properties") or {}
        for prop, value in sorted(props.items()):
            value = value if isinstance(value, dict) else {}
            items = value.get("items") or {}
            if target in (value.get("$ref"), items.get("$ref")):
                return name, prop
    return None
