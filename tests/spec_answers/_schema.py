"""The spec's OpenAPI 3.0 schemas as JSON Schema (2020-12), to check that every answer the
builder makes is one the spec allows: a failing test then points at the models, never at the
builder.

OpenAPI 3.0 differs from JSON Schema where it matters here: ``nullable: true`` (becomes
``anyOf [..., null]``), boolean ``exclusiveMinimum``/``exclusiveMaximum``, and
``discriminator`` (a ``oneOf`` is checked as the option its tag names; a base schema whose
subtypes extend it with ``allOf`` checks a mapped tag's object against the subtype too).
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema  # type: ignore[import-untyped]

from tests.spec_answers._build import REF, schema_name

_DROP = {"nullable", "discriminator", "example", "examples", "readOnly", "writeOnly",
         "deprecated", "xml", "externalDocs", "description", "title"}
_PLAIN = "__plain"


def _with_tag(schema: Any, prop: str, tag: str) -> dict[str, Any]:
    return {"allOf": [schema, {"properties": {prop: {"const": tag}}, "required": [prop]}]}


class SpecSchemas:
    """The spec's schemas converted once; :meth:`errors` checks a value against one of them."""

    def __init__(self, raw: dict[str, Any]) -> None:
        source = raw["components"]["schemas"]
        #: bases whose subtypes name them in ``allOf`` (and dispatch by tag without ``oneOf``)
        self._bases = {
            name for name, node in source.items()
            if (node.get("discriminator") or {}).get("mapping") and "oneOf" not in node
            and "anyOf" not in node
        }
        converted: dict[str, Any] = {}
        for name, node in source.items():
            if name in self._bases:
                disc = node["discriminator"]
                plain = copy.deepcopy(node)
                converted[name + _PLAIN] = self.convert(plain)
                converted[name] = {"allOf": [{"$ref": REF + name + _PLAIN}] + [
                    {"if": {"properties": {disc["propertyName"]: {"const": tag}},
                            "required": [disc["propertyName"]]},
                     "then": {"$ref": REF + schema_name(ref) + _PLAIN
                              if schema_name(ref) in self._bases else ref}}
                    for tag, ref in disc["mapping"].items()
                ]}
            else:
                converted[name] = self.convert(node)
        self.components = {"schemas": converted}
        self._checker = jsonschema.FormatChecker(formats=("date", "uuid", "regex"))

    def convert(self, node: Any, *, in_all_of: bool = False) -> Any:
        """One OpenAPI 3.0 schema as JSON Schema 2020-12."""
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            name = schema_name(node["$ref"])
            if in_all_of and name in self._bases:  # a subtype's base: no dispatch back
                return {"$ref": REF + name + _PLAIN}
            out: dict[str, Any] = {"$ref": node["$ref"]}
        else:
            out = {k: v for k, v in node.items() if k not in _DROP and not k.startswith("x-")}
        if "properties" in out:
            out["properties"] = {k: self.convert(v) for k, v in out["properties"].items()}
        for key in ("items", "not"):
            if key in out:
                out[key] = self.convert(out[key])
        if isinstance(out.get("additionalProperties"), dict):
            out["additionalProperties"] = self.convert(out["additionalProperties"])
        if "allOf" in out:
            out["allOf"] = [self.convert(v, in_all_of=True) for v in out["allOf"]]
        mapping = (node.get("discriminator") or {}).get("mapping") or {}
        prop = (node.get("discriminator") or {}).get("propertyName")
        for key in ("oneOf", "anyOf"):
            if key in out:
                options = [self.convert(v) for v in out.pop(key)]
                if mapping and prop:
                    options = [_with_tag({"$ref": ref}, prop, tag) for tag, ref in mapping.items()]
                out["anyOf"] = options  # an object may fit several options: any is enough
        for side in ("Minimum", "Maximum"):
            flag = out.pop("exclusive" + side, None)
            bound = side.lower()
            if flag is True and bound in out:
                out["exclusive" + side] = out.pop(bound)
        if node.get("nullable"):
            return {"anyOf": [out, {"type": "null"}]}
        return out

    def errors(self, value: Any, schema: dict[str, Any]) -> list[str]:
        """Where ``value`` breaks ``schema`` (a raw spec schema), one line each; [] if none."""
        document = {**self.convert(schema), "components": self.components}
        validator = jsonschema.Draft202012Validator(document, format_checker=self._checker)
        return [
            f"{'/'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message[:200]}"
            for error in validator.iter_errors(value)
        ]
