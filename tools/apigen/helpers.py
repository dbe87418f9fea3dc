"""Helpers the generated models carry: a declared table, class name -> a mixin written by hand
in ``allegro_async/api/_helpers.py``, which the generated class also inherits from (listed
first, so its methods and properties sit beside the spec's fields). A helper never narrows a
field: the generated model stays the one model of its schema.

Also the wire types the generator gives answers exactly: ``number`` with ``format: integer``
(counts, quantities) as ``WholeNumber`` (``int`` for a whole number, ``float`` otherwise), and
``format: uuid`` as text (ids are compared as text).
"""

from __future__ import annotations

import ast
from typing import Any

#: Where the mixins live (hand-written; importing it must not load ``allegro_async.models``).
MODULE = "allegro_async.api._helpers"

#: ``format`` words that make a ``number`` whole.
_INTEGRAL = ("integer", "int", "int32", "int64")

#: class name -> the mixin it inherits from (a class of :data:`MODULE`).
HELPERS: dict[str, str] = {
    "CheckoutForm": "CheckoutFormHelpers",
    "CommandTask": "CommandTaskHelpers",
    "GeneralReport": "CommandReportHelpers",
    "OrderEvent": "OrderEventHelpers",
    "SaleProductDto": "ProductHelpers",
    "BaseSaleProductResponseDto": "ProductHelpers",
    "ProductParameterDto": "ProductParameterHelpers",
}


def attach(tree: ast.Module) -> ast.Module:
    """Each class of :data:`HELPERS` with its mixin as the first base."""
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in HELPERS:
            node.bases.insert(0, ast.Name(HELPERS[node.name]))
    return tree


def imports(names: list[str]) -> str:
    """The import line of the mixins the classes ``names`` use ("" when none)."""
    used = sorted({HELPERS[n] for n in names if n in HELPERS})
    if not used:
        return ""
    return f"from {MODULE} import (\n" + "".join(f"    {m},\n" for m in used) + ")\n"


def exact_types(schema: Any) -> None:
    """``schema`` (and everything in it) with each ``number`` of an integral format typed
    ``WholeNumber`` (``int | float``): a whole number reads as ``int`` (quantities, counts),
    a fractional one is kept as ``float`` rather than refused."""
    if isinstance(schema, dict):
        if schema.get("type") == "number" and schema.get("format") in _INTEGRAL:
            schema["customTypePath"] = "allegro_async.api._base.WholeNumber"
        for value in schema.values():
            exact_types(value)
    elif isinstance(schema, list):
        for value in schema:
            exact_types(value)


class UuidAsText(ast.NodeTransformer):
    """``UUID`` annotations as ``UuidText``: text that keeps ``format: uuid`` in the JSON
    schema; an id is read as Allegro sent it and compared as text."""

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id == "UUID":
            return ast.copy_location(ast.Name("UuidText", node.ctx), node)
        return node


def drop_arbitrary_types(tree: ast.Module) -> ast.Module:
    """Classes without the ``model_config`` the code generator adds for a custom type
    (``WholeNumber`` is a plain union pydantic knows; the base's config applies)."""
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            node.body = [stmt for stmt in node.body if not (
                isinstance(stmt, ast.Assign) and ast.unparse(stmt.targets[0]) == "model_config"
                and ast.unparse(stmt.value) == "ConfigDict(arbitrary_types_allowed=True)")]
    return tree
