"""Answers built from the spec's raw JSON schemas, with no use of the generated models.

:class:`AnswerBuilder` turns one OpenAPI 3.0 schema of Allegro's spec into a JSON value,
deterministically for a seed. It follows ``$ref``, ``allOf``, ``oneOf``/``anyOf``,
``discriminator`` (+ ``mapping``), ``nullable``, ``enum``, ``format``, ``minimum``/``maximum``,
``minLength``/``maxLength``, ``minItems``/``maxItems``, simple ``pattern``s and
``additionalProperties``, and records where it put what the tests check afterwards: each
discriminator tag (and the schema the tag maps to), each replaced enum value, each null.
"""

from __future__ import annotations

import random
import re
import string
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.spec_answers._regex import matching

#: The variants every operation's answer is built in.
MODES = ("minimal", "full", "nulls", "inner_nulls", "empty")
#: A tag no mapping of the spec names.
UNKNOWN_TAG = "ORACLE_UNKNOWN_TAG"
#: Integer properties an empty page carries as 0 in the ``empty`` variant.
COUNTERS = ("count", "totalCount")
REF = "#/components/schemas/"
_SHAPES = {"$ref", "type", "properties", "allOf", "oneOf", "anyOf", "items", "enum"}
_MAX_SAME_REF = 2  # a schema met this often on the way down is built minimal (recursion)
_MAX_STRETCH = 100  # a longer list is not made longer still (some say 2147483647 items)


@dataclass(frozen=True)
class TagSite:
    """One discriminated value in an answer: where it is and what it should parse into."""

    site: str  # the discriminator's schema location, e.g. "CategoryBaseEvent"
    path: tuple[str | int, ...]  # JSON path of the object in the answer
    prop: str  # the tag's property, e.g. "type"
    tag: str
    target: str | None  # the spec schema the mapping names (None for an unknown tag)
    own: tuple[str, ...]  # the target's own properties (not the base's) present in the answer
    mapped: tuple[str, ...]  # every tag the discriminator maps


@dataclass(frozen=True)
class UnionSite:
    """One value of a union without a discriminator: the option it was built from."""

    site: str  # the union's schema location
    path: tuple[str | int, ...]
    option: int
    options: tuple[dict[str, Any], ...]


@dataclass
class Record:
    """What one build put where."""

    tags: list[TagSite] = field(default_factory=list)
    enums: list[tuple[tuple[str | int, ...], Any]] = field(default_factory=list)
    nulls: list[tuple[str | int, ...]] = field(default_factory=list)
    unions: list[UnionSite] = field(default_factory=list)
    beyond: list[tuple[tuple[str | int, ...], str]] = field(default_factory=list)


def _implied_type(schema: dict[str, Any]) -> str | None:
    """The type a schema without ``type`` means by its keywords (``items``: an array)."""
    if "properties" in schema or "additionalProperties" in schema:
        return "object"
    return "array" if "items" in schema else None


_IMPLIED: dict[int, dict[str, tuple[str, str]]] = {}


def _implied_tags(schemas: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Subtype name -> (tag property, tag): a subtype named directly (not through its base)
    still carries its own tag (the first, where several map to it). Worked out once a spec."""
    if id(schemas) not in _IMPLIED:
        implied: dict[str, tuple[str, str]] = {}
        for node in schemas.values():
            disc = node.get("discriminator") or {}
            for tag, ref in sorted((disc.get("mapping") or {}).items(), reverse=True):
                implied[schema_name(ref)] = (disc["propertyName"], tag)
        _IMPLIED[id(schemas)] = implied
    return _IMPLIED[id(schemas)]


def schema_name(ref: str) -> str:
    """``"#/components/schemas/Name"`` -> ``"Name"``."""
    return ref[len(REF):] if ref.startswith(REF) else ref.rsplit("/", 1)[-1]


class AnswerBuilder:
    """Build JSON values from the raw spec's schemas.

    ``mode``: ``minimal`` (required properties only), ``full`` (every property), ``nulls``
    (every nullable value null, the rest full), ``inner_nulls`` (nullable objects built, so
    the nullable values inside them are null instead), ``empty`` (arrays at their ``minItems``,
    ``count``/``totalCount`` 0, the rest full). ``force`` maps a discriminator site to the tag
    it gets wherever it occurs (``UNKNOWN_TAG`` for a tag the spec does not map), or a union
    without a discriminator to the index of its option (as text);
    ``unknown_enums`` replaces every enum value (tags excepted) by one the spec does not list;
    ``beyond_limits`` puts every value with a length, range, size or pattern just outside it
    (answers the spec does not allow, for the rule that answers are read without the limits
    requests must keep).
    """

    def __init__(
        self,
        raw: dict[str, Any],
        seed: int,
        mode: str = "full",
        *,
        force: dict[str, str] | None = None,
        unknown_enums: bool = False,
        beyond_limits: bool = False,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode {mode!r} is not one of {MODES}")
        self.schemas: dict[str, Any] = raw["components"]["schemas"]
        self.rng = random.Random(seed)
        self.mode = mode
        self.force = force or {}
        self.unknown_enums = unknown_enums
        self.beyond_limits = beyond_limits
        self.record = Record()
        self._stack: list[str] = []
        self._unknown = 0
        self._implied = _implied_tags(self.schemas)

    # -- entry -------------------------------------------------------------------------------
    def build(self, schema: dict[str, Any], where: str = "<answer>") -> Any:
        """A value for ``schema`` (``where`` names its location for the records)."""
        return self._value(schema, where, (), minimal=self.mode == "minimal")

    # -- dispatch ----------------------------------------------------------------------------
    def _value(self, schema: Any, where: str, path: tuple[str | int, ...], *,
               minimal: bool) -> Any:
        if not isinstance(schema, dict):
            return "value"
        if "$ref" in schema:
            name = schema_name(schema["$ref"])
            if self._stack.count(name) >= _MAX_SAME_REF:
                minimal = True
            self._stack.append(name)
            try:
                target = self.schemas[name]
                if (name in self._implied and "discriminator" not in target
                        and ("allOf" in target or "properties" in target)
                        and not self._null(target)):
                    return self._object(self._merged(target, name), name, path, minimal=minimal,
                                        tag=self._implied[name])
                return self._value(target, name, path, minimal=minimal)
            finally:
                self._stack.pop()
        if self._null(schema):
            self.record.nulls.append(path)
            return None
        disc = schema.get("discriminator")
        if disc and disc.get("mapping"):
            return self._discriminated(schema, where, path, minimal=minimal)
        for key in ("oneOf", "anyOf"):
            if key in schema:  # a union without a discriminator
                options = schema[key]
                i = self.rng.randrange(len(options))
                i = int(self.force.get(where, i))
                self.record.unions.append(UnionSite(where, path, i, tuple(options)))
                return self._value(options[i], f"{where}/{key}/{i}", path, minimal=minimal)
        if "allOf" in schema:
            parts = [(i, p) for i, p in enumerate(schema["allOf"]) if _SHAPES & set(p)]
            if len(parts) == 1 and not schema.get("properties"):  # one schema, annotated
                i, part = parts[0]
                return self._value(part, f"{where}/allOf/{i}", path, minimal=minimal)
            return self._object(self._merged(schema, where), where, path, minimal=minimal)
        if "enum" in schema:
            return self._enum(schema, path)
        kind = schema.get("type") or _implied_type(schema)
        if kind == "object":
            return self._object(self._merged(schema, where), where, path, minimal=minimal)
        if kind == "array":
            return self._beyond(schema, self._array(schema, where, path, minimal=minimal), path)
        if kind == "string":
            return self._beyond(schema, self._string(schema), path)
        if kind == "integer":
            return self._beyond(schema, self._integer(schema), path)
        if kind == "number":
            return self._beyond(schema, self._number(schema), path)
        if kind == "boolean":
            return self.rng.random() < 0.5
        return "value"  # no type: any value is allowed

    def _null(self, schema: dict[str, Any]) -> bool:
        """Whether this mode makes the value of ``schema`` null."""
        if not schema.get("nullable") or self.mode not in ("nulls", "inner_nulls"):
            return False
        structured = "allOf" in schema or (schema.get("type") or _implied_type(schema)) == "object"
        return self.mode == "nulls" or not structured

    # -- discriminators ----------------------------------------------------------------------
    def _discriminated(self, schema: dict[str, Any], where: str, path: tuple[str | int, ...],
                       *, minimal: bool) -> Any:
        disc = schema["discriminator"]
        prop: str = disc["propertyName"]
        mapping: dict[str, str] = disc["mapping"]
        tags = sorted(mapping)
        tag = self.force.get(where) or tags[self.rng.randrange(len(tags))]
        target = schema_name(mapping[tag]) if tag in mapping else None
        if "oneOf" in schema or "anyOf" in schema:
            options: list[Any] = schema.get("oneOf") or schema["anyOf"]
            # an unknown tag: the first option's shape under a new tag
            chosen = options[0] if target is None else {"$ref": REF + target}
            base: dict[str, Any] = {"properties": {}, "required": []}
            merged = self._merged(chosen, target or f"{where}/oneOf/0")
        else:  # a base schema whose subtypes extend it with allOf
            base = self._merged(schema, where)
            merged = self._merged(schema, where)
            if target is not None:
                extra = self._merged(self.schemas[target], target)
                merged["properties"].update(extra["properties"])
                merged["origins"].update(extra["origins"])
                merged["required"] = sorted(set(merged["required"]) | set(extra["required"]))
        name = target or where
        if self._stack.count(name) >= _MAX_SAME_REF:
            minimal = True
        self._stack.append(name)
        try:
            value = self._object(merged, target or where, path, minimal=minimal,
                                 tag=(prop, tag))
        finally:
            self._stack.pop()
        own = tuple(k for k in value if k not in base["properties"] and k != prop)
        self.record.tags.append(TagSite(where, path, prop, tag, target, own, tuple(tags)))
        return value

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.schemas[schema_name(schema["$ref"])]
        return schema

    def _merged(self, schema: dict[str, Any], where: str) -> dict[str, Any]:
        """Properties, required names and additionalProperties of an object schema and all of
        its ``allOf`` parts (a later part's property wins, as a subtype's narrower one), and
        where in the spec each property is declared (``origins``)."""
        if "$ref" in schema:
            where = schema_name(schema["$ref"])
            schema = self._resolve(schema)
        out: dict[str, Any] = {"properties": {}, "required": [], "additional": None,
                               "origins": {}}
        for i, part in enumerate(schema.get("allOf") or []):
            sub = self._merged(part, f"{where}/allOf/{i}")
            out["origins"].update(sub["origins"])
            out["properties"].update(sub["properties"])
            out["required"] += sub["required"]
            out["additional"] = out["additional"] or sub["additional"]
        own = schema.get("properties") or {}
        out["properties"].update(own)
        out["origins"].update({key: f"{where}/properties/{key}" for key in own})
        out["required"] += list(schema.get("required") or [])
        if isinstance(schema.get("additionalProperties"), dict):
            out["additional"] = schema["additionalProperties"]
        out["required"] = sorted(set(out["required"]))
        return out

    # -- containers --------------------------------------------------------------------------
    def _object(self, merged: dict[str, Any], where: str, path: tuple[str | int, ...], *,
                minimal: bool, tag: tuple[str, str] | None = None) -> dict[str, Any]:
        value: dict[str, Any] = {}
        required = set(merged["required"])
        for key, prop in merged["properties"].items():
            if minimal and key not in required and (tag is None or key != tag[0]):
                continue
            if tag is not None and key == tag[0]:
                value[key] = tag[1]
                continue
            if self.mode == "empty" and key in COUNTERS and self._allows_zero(prop):
                value[key] = 0
                continue
            origin = merged["origins"].get(key, f"{where}/properties/{key}")
            value[key] = self._value(prop, origin, (*path, key),
                                     minimal=minimal)
        if tag is not None and tag[0] not in value:
            value[tag[0]] = tag[1]
        additional = merged["additional"]
        if additional is not None and not minimal and self.mode != "empty":
            key = "key" + str(self.rng.randrange(1000))
            value[key] = self._value(additional, f"{where}/additionalProperties",
                                     (*path, key), minimal=minimal)
        return value

    def _allows_zero(self, prop: dict[str, Any]) -> bool:
        prop = self._resolve(prop)
        return prop.get("type") == "integer" and prop.get("minimum", 0) <= 0

    def _array(self, schema: dict[str, Any], where: str, path: tuple[str | int, ...], *,
               minimal: bool) -> list[Any]:
        low = int(schema.get("minItems", 0))
        count = low if self.mode == "empty" else max(low, 1)
        count = min(count, int(schema.get("maxItems", count)))
        items = schema.get("items") or {}
        return [self._value(items, f"{where}/items", (*path, i), minimal=minimal)
                for i in range(count)]

    # -- limits ------------------------------------------------------------------------------
    def _beyond(self, schema: dict[str, Any], value: Any, path: tuple[str | int, ...]) -> Any:
        """``value`` moved just outside its schema's limits (when ``beyond_limits``)."""
        if not self.beyond_limits:
            return value
        new, limit = value, ""
        if isinstance(value, list):
            if value and int(schema.get("maxItems", _MAX_STRETCH + 1)) <= _MAX_STRETCH:
                new, limit = value * (int(schema["maxItems"]) + 1), "maxItems"
            elif int(schema.get("minItems", 0)) > 0:
                new, limit = value[: int(schema["minItems"]) - 1], "minItems"
        elif isinstance(value, str):
            pattern = schema.get("pattern")
            if pattern and not re.search(pattern, "~*" + value):
                new, limit = "~*" + value, "pattern"
            elif "maxLength" in schema:
                new, limit = "x" * (int(schema["maxLength"]) + 1), "maxLength"
            elif int(schema.get("minLength", 0)) > 0:
                new, limit = "x" * (int(schema["minLength"]) - 1), "minLength"
        elif "maximum" in schema:
            new, limit = type(value)(schema["maximum"] + 1), "maximum"
        elif "minimum" in schema:
            new, limit = type(value)(schema["minimum"] - 1), "minimum"
        if limit:
            self.record.beyond.append((path, limit))
        return new

    # -- scalars -----------------------------------------------------------------------------
    def _enum(self, schema: dict[str, Any], path: tuple[str | int, ...]) -> Any:
        values = [v for v in schema["enum"] if v is not None]
        if self.unknown_enums and values:
            self._unknown += 1
            new: Any = (f"ORACLE_UNKNOWN_{self._unknown}" if isinstance(values[0], str)
                        else 987_000 + self._unknown)
            self.record.enums.append((path, new))
            return new
        return values[self.rng.randrange(len(values))] if values else None

    def _string(self, schema: dict[str, Any]) -> str:
        fmt = str(schema.get("format") or "").lower()
        rng = self.rng
        if fmt == "date-time":
            return (f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
                    f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
                    f".{rng.randint(0, 999):03d}Z")
        if fmt == "date":
            return f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        if fmt == "uuid":
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if fmt in ("uri", "url"):
            return f"https://allegro.pl/item/{rng.randrange(10**6)}"
        if fmt == "email":
            return f"user{rng.randrange(1000)}@example.com"
        if "pattern" in schema:
            return self._matching(schema["pattern"], schema)
        low = int(schema.get("minLength", 0))
        high = int(schema.get("maxLength", max(low, 12)))
        size = min(max(low, min(8, high)), high)
        return "".join(rng.choice(string.ascii_letters) for _ in range(size))

    def _matching(self, pattern: str, schema: dict[str, Any]) -> str:
        """A string the (simple) pattern accepts, within the length limits."""
        low = int(schema.get("minLength", 0))
        high = int(schema.get("maxLength", 10**6))
        for _ in range(50):
            text = matching(pattern, self.rng)
            if low <= len(text) <= high and re.search(pattern, text):
                return text
        raise ValueError(f"no string for pattern {pattern!r} within {low}..{high} characters")

    def _integer(self, schema: dict[str, Any]) -> int:
        low = schema.get("minimum", 0)
        high = schema.get("maximum", max(low, 0) + 500)
        if schema.get("exclusiveMinimum") is True:
            low += 1
        if schema.get("exclusiveMaximum") is True:
            high -= 1
        return self.rng.randint(int(low), int(high))

    def _number(self, schema: dict[str, Any]) -> float:
        low = float(schema.get("minimum", 0))
        high = float(schema.get("maximum", low + 500))
        return round(self.rng.uniform(low, high), 2)
