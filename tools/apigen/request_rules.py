"""The request-body rules table (``allegro_async/api/_request_rules.py``), read from the raw
spec: what each request body and the schemas it uses require, so the argument layer can refuse
a body Allegro would refuse before sending it. The generated models carry no constraints (they
parse responses leniently), so request-side rules live here.

One entry per schema a request body reaches, by its class name; a node is a dict with short
keys (read by ``allegro_async/_body_rules.py``), and a ``str`` node names a shared entry:

- ``t`` type, ``n`` nullable, ``e`` enum, ``f`` format (uuid, date-time, int32, int64)
- ``lo``/``hi`` minimum/maximum, ``ll``/``lh`` min/maxLength, ``il``/``ih`` min/maxItems,
  ``pt`` pattern (JSON Schema's: found anywhere in the text unless anchored)
- ``p`` properties, ``r`` required names, ``i`` items, ``a`` additionalProperties
- ``o`` alternatives (oneOf/anyOf: one must fit), ``d`` (tag property, {tag: node})
"""

from __future__ import annotations

import hashlib
import pprint
from collections import Counter
from typing import Any

from tools.apigen.spec import Spec

_FORMATS = {"uuid", "date-time", "int32", "int64"}
_SCALARS = (("minimum", "lo"), ("maximum", "hi"), ("minLength", "ll"), ("maxLength", "lh"),
            ("minItems", "il"), ("maxItems", "ih"))


class _Builder:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.entries: dict[str, Any] = {}

    def ref_name(self, ref: str) -> str:
        name = ref.rsplit("/", 1)[1]
        if name not in self.spec.schemas:
            raise KeyError(f"the spec maps to an unknown schema {ref}")
        return name

    def entry(self, name: str) -> str:
        if name not in self.entries:
            self.entries[name] = None  # taken: a schema that refers to itself ends here
            self.entries[name] = self.node(self.spec.schemas[name])
        return name

    def flat(self, schema: dict[str, Any]) -> dict[str, Any]:
        """``schema`` with its ``allOf`` parts merged in (their discriminators left out: a
        subtype that extends its base is not dispatched again)."""
        out = {k: v for k, v in schema.items() if k != "allOf"}
        props = dict(out.get("properties") or {})
        required = list(out.get("required") or [])
        for part in schema.get("allOf") or []:
            if "$ref" in part:
                part = self.spec.schemas[self.ref_name(part["$ref"])]
            part = self.flat(part)
            props = {**(part.get("properties") or {}), **props}
            required += [r for r in part.get("required") or [] if r not in required]
            for key, value in part.items():
                if key not in ("properties", "required", "discriminator", "description",
                               "example", "title"):
                    out.setdefault(key, value)
        if props:
            out["properties"] = props
        if required:
            out["required"] = required
        return out

    def node(self, schema: dict[str, Any]) -> Any:
        if "$ref" in schema and len(schema) == 1:
            return self.entry(self.ref_name(schema["$ref"]))
        if "$ref" in schema:
            schema = {**schema, "allOf": [{"$ref": schema["$ref"]}]}
            del schema["$ref"]
        schema = self.flat(schema)
        out: dict[str, Any] = {}
        kind = schema.get("type") or ("object" if "properties" in schema else None)
        if kind:
            out["t"] = kind
        if schema.get("nullable"):
            out["n"] = 1
        if schema.get("enum"):
            out["e"] = tuple(schema["enum"])
        fmt = str(schema.get("format") or "").lower()
        if fmt in _FORMATS:
            out["f"] = fmt
        if isinstance(schema.get("pattern"), str):
            out["pt"] = schema["pattern"]
        for key, short in _SCALARS:
            if isinstance(schema.get(key), (int, float)):
                out[short] = schema[key]
        if schema.get("properties"):
            out["p"] = {k: self.node(v) for k, v in schema["properties"].items()}
        # a name the properties do not declare is a slip of the spec (MessageRequest requires
        # "attachment" beside its "attachments"): Allegro's own calls leave it out
        required = [r for r in schema.get("required") or []
                    if not schema.get("properties") or r in schema["properties"]]
        if required:
            out["r"] = tuple(required)
        if isinstance(schema.get("items"), dict):
            out["i"] = self.node(schema["items"])
        if isinstance(schema.get("additionalProperties"), dict):
            extra = {k: v for k, v in schema["additionalProperties"].items()
                     if not k.startswith("x-")}
            out["a"] = self.node(extra)
        alternatives = (schema.get("oneOf") or []) + (schema.get("anyOf") or [])
        if alternatives:
            out["o"] = tuple(self.node(a) for a in alternatives)
        mapping = (schema.get("discriminator") or {}).get("mapping")
        if mapping:
            tag = schema["discriminator"]["propertyName"]
            out["d"] = (tag, {k: self.entry(self.ref_name(v)) for k, v in mapping.items()})
        return out


def build(spec: Spec) -> dict[str, Any]:
    """The rules of every schema a request body reaches, by name."""
    builder = _Builder(spec)
    for op in spec.operations:
        if op.request_schema:
            builder.entry(op.request_schema)
    return dict(sorted(builder.entries.items()))


def render(spec: Spec, header: str) -> str:
    """The generated module holding the table, each rule that recurs written once."""
    table = build(spec)
    shared = _Shared(table)
    body = pprint.pformat(shared.refer(table, top=True), width=100, sort_dicts=False)
    names = "".join(f"{name}: Any = {pprint.pformat(node, width=100, sort_dicts=False)}\n"
                    for name, node in shared.written)
    return (f'{header}"""Request-body rules by schema name (see\n'
            'tools/apigen/request_rules.py for the keys); loaded on the first body check.\n\n'
            'A rule that recurs is written once, as a module constant, and used by name."""\n\n'
            "from typing import Any\n\n"
            f"{names}\nRULES: dict[str, Any] = {body}\n")


class _Name:
    """A shared rule where it is used: its constant's name."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: Rule keys whose value may name a shared rule (``_string``, ``_string_uuid``, ...).
_NAMED_KEYS = ("t", "f", "n", *(short for _, short in _SCALARS))


class _Shared:
    """The rules (dicts and tuples) that occur more than once in the table, by their text;
    each is written once, before its first use, as a module constant (unless its name would
    be longer than the rule)."""

    def __init__(self, table: dict[str, Any]) -> None:
        self.counts: Counter[str] = Counter()
        for node in table.values():
            self._count(node)
        self.names: dict[str, str] = {}
        self.written: list[tuple[str, Any]] = []

    def _count(self, node: Any) -> None:
        if isinstance(node, (dict, tuple)):
            self.counts[repr(node)] += 1
            for item in node.values() if isinstance(node, dict) else node:
                self._count(item)

    def refer(self, node: Any, top: bool = False) -> Any:
        """``node`` with each shared rule in it replaced by its name (children first)."""
        if isinstance(node, dict):
            out: Any = {k: self.refer(v) for k, v in node.items()}
        elif isinstance(node, tuple):
            out = tuple(self.refer(v) for v in node)
        else:
            return node
        text = repr(node)
        if top or self.counts[text] < 2:
            return out
        if text not in self.names:
            name = self._name(node, text)
            if len(name) >= len(repr(out)):
                return out  # shorter as it is: ("id",)
            self.names[text] = name
            self.written.append((name, out))
        return _Name(self.names[text])

    def _name(self, node: Any, text: str) -> str:
        # a scalar rule reads as what it holds; others by their text's digest (stable
        # across regenerations while the rule stays the same)
        name = ""
        if isinstance(node, dict) and node and set(node) <= set(_NAMED_KEYS):
            parts = [str(node[k]) if k in ("t", "f") else "null" if k == "n" else
                     f"{k}{node[k]!r}" for k in _NAMED_KEYS if k in node]
            name = "_" + "_".join(parts).replace("-", "_").replace(".", "_")
        if not name.isidentifier() or name in self.names.values():
            name = "_r" + hashlib.sha256(text.encode()).hexdigest()[:8]
        return name
