"""Unions of the spec (``discriminator``, ``oneOf``, ``anyOf``) as pydantic unions that pick
one class per document, never "the first class that fits".

Before code generation each union becomes a named schema the code generator renders as a
plain class (an inline union is hoisted under ``<Class><Field>``), and its discriminator is
removed, so the code generator neither guesses nor narrows. After it, every field naming the
union names a type alias instead::

    SellerOfferBaseEventUnion = Annotated[
        Annotated[OfferActivatedEvent, Tag("OfferActivatedEvent")] | ...
        | Annotated[SellerOfferBaseEvent, Tag("SellerOfferBaseEvent")],
        tagged_union("SellerOfferBaseEventUnion", "type", "type", {"OFFER_ACTIVATED": ...}, ...),
    ]

A discriminated union picks its class by the tag, through the spec's mapping (several tags
may map to one class); an unknown tag parses into the fallback class (the base schema, or
:class:`~allegro_async.api._base.UnknownVariant`, which keeps every field). A union without a
discriminator picks the class whose required properties the document has (see
``allegro_async.api._base.shaped_union``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from tools.apigen import naming

UNKNOWN = "UnknownVariant"


@dataclass
class UnionSpec:
    """One union: the alias the fields name, its classes and how one is picked."""

    name: str  # the alias
    schema: str  # the schema that stood for the union in the spec (or was hoisted for it)
    members: list[str]  # classes, in the spec's order
    tag: str | None = None  # wire name of the tag property; None: picked by shape
    mapping: dict[str, str] = field(default_factory=dict)  # tag value -> class
    fallback: str = UNKNOWN
    keep_class: bool = False  # an operation body: the schema stays a RootModel of the alias
    any_object: bool = False  # an option is any object (``{"type": "object"}``), not a class

    @property
    def base_style(self) -> bool:
        """The schema is a class of its own (the subclasses' base), kept beside the alias."""
        return self.fallback == self.schema


def _ref_name(node: Any) -> str | None:
    ref = node.get("$ref") if isinstance(node, dict) else None
    return ref.rsplit("/", 1)[1] if isinstance(ref, str) else None


def _is_union(node: Any) -> bool:
    if not isinstance(node, dict):
        return False
    if (node.get("discriminator") or {}).get("mapping"):
        return True
    options = node.get("oneOf") or node.get("anyOf") or []
    return len(options) > 1


def _hoist(schemas: dict[str, Any]) -> None:
    """Give every inline union of a property (or of a property's items) a schema name."""
    for owner in sorted(schemas):
        schema = schemas[owner]
        parts = [schema, *(p for p in schema.get("allOf") or [] if isinstance(p, dict))]
        for part in parts:
            for prop, value in sorted((part.get("properties") or {}).items()):
                if not isinstance(value, dict):
                    continue
                if _is_union(value):
                    name = _free(schemas, naming.pascal(owner) + naming.pascal(prop))
                    schemas[name] = value
                    kept = {k: value[k] for k in ("description", "nullable") if k in value}
                    part["properties"][prop] = {"$ref": f"#/components/schemas/{name}", **kept}
                elif value.get("type") == "array" and _is_union(value.get("items")):
                    name = _free(schemas, naming.pascal(owner) + naming.pascal(prop) + "Item")
                    schemas[name] = value["items"]
                    value["items"] = {"$ref": f"#/components/schemas/{name}"}


def _free(schemas: dict[str, Any], name: str) -> str:
    while name in schemas:
        name += "_"
    return name


def prepare(schemas: dict[str, Any], roots: set[str]) -> list[UnionSpec]:
    """Rewrite ``schemas`` (the code generator's copy) and list its unions."""
    _hoist(schemas)
    unions = []
    for name in sorted(schemas):
        node = schemas[name]
        if not _is_union(node):
            continue
        disc = node.get("discriminator") or {}
        mapping = {str(t): _ref_name({"$ref": r}) or "" for t, r in
                   (disc.get("mapping") or {}).items()}
        options = node.get("oneOf") or node.get("anyOf") or []
        members = [r for r in (_ref_name(o) for o in options) if r]
        members += [m for m in mapping.values() if m not in members]
        any_object = any(_ref_name(o) is None for o in options)
        if options:  # the schema is the union itself: a placeholder class until rewritten
            schemas[name] = {k: node[k] for k in ("description", "nullable") if k in node}
            schemas[name]["type"] = "object"
            keep = name in roots
            spec = UnionSpec(name + "Union" if keep else name, name, members, keep_class=keep,
                             any_object=any_object)
        else:  # a base schema whose subclasses the mapping names
            schemas[name] = {k: v for k, v in node.items() if k != "discriminator"}
            spec = UnionSpec(name + "Union", name, members, fallback=name)
        if disc.get("propertyName"):
            spec.tag = str(disc["propertyName"])
            spec.mapping = mapping or {m: m for m in members}  # implicit: the schema names
        unions.append(spec)
    return unions


class _FieldTypes(ast.NodeTransformer):
    """In field annotations (and RootModel bodies), a union's schema names its alias."""

    def __init__(self, aliases: dict[str, str]) -> None:
        self.aliases = aliases

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.ClassDef:
        for base in node.bases:
            if isinstance(base, ast.Subscript) and ast.unparse(base.value) == "RootModel":
                base.slice = self._swap(base.slice)
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign):
                stmt.annotation = self._swap(stmt.annotation)
        return node

    def _swap(self, annotation: ast.expr) -> ast.expr:
        for sub in ast.walk(annotation):
            if isinstance(sub, ast.Name) and sub.id in self.aliases:
                sub.id = self.aliases[sub.id]
        return annotation


def rewrite(tree: ast.Module, unions: list[UnionSpec]) -> ast.Module:
    """Fields name the aliases; placeholder classes go (or, for an operation body, become a
    ``RootModel`` of the alias)."""
    aliases = {u.schema: u.name for u in unions if u.schema != u.name}
    tree = _FieldTypes(aliases).visit(tree)
    by_schema = {u.schema: u for u in unions}
    body: list[ast.stmt] = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            body.append(node)
            continue
        union = by_schema.get(node.name)
        if union is not None and union.base_style and union.tag is not None:
            node.body.append(_dispatch(union))
        if union is None or union.base_style:
            body.append(node)
        elif union.keep_class:
            doc = ast.get_docstring(node) or f"One of {', '.join(union.members)}."
            body.append(ast.parse(
                f"class {union.schema}(RootModel[{union.name}]):\n    {doc!r}\n").body[0])
    tree.body = body
    return tree


def _dispatch(union: UnionSpec) -> ast.stmt:
    """The base class's validator picking the mapped subclass (``Base.model_validate``)."""
    return ast.parse(
        '@model_validator(mode="wrap")\n'
        "@classmethod\n"
        "def _pick_variant(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:\n"
        f"    return pick_variant(cls, data, handler, {union.schema!r}, {union.tag!r}, "
        f"{union.mapping!r})\n"
    ).body[0]


def alias_source(union: UnionSpec) -> str:
    """The alias's code (``Tag``s and the picking function, from ``allegro_async.api._base``)."""
    members = [*union.members, *([union.fallback] if union.fallback not in union.members else [])]
    options = " | ".join(f'Annotated[{m}, Tag("{m}")]' for m in members)
    if union.tag is not None:
        attr = naming.snake(union.tag)
        quiet = ", warn=False" if union.base_style else ""  # the base's validator logs
        pick = (f"tagged_union({union.name!r}, {union.tag!r}, {attr!r}, {union.mapping!r}, "
                f"{union.fallback!r}{quiet})")
    else:
        pick = (f"shaped_union({union.name!r}, ({''.join(m + ', ' for m in union.members)}), "
                f"{union.fallback!r}{', any_object=True' if union.any_object else ''})")
    return f"{union.name} = Annotated[{options}, {pick}]"


def alias_deps(union: UnionSpec) -> set[str]:
    """The generated classes an alias names."""
    return {m for m in [*union.members, union.fallback] if m != UNKNOWN}
