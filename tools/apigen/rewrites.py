"""Rewrites of the code generator's output (its Python syntax tree) into lenient models:
open enums and tags, ``None`` on every optional field, request-side limits documented but
not enforced, single-value wrappers removed, classes of inline schemas named after their
place in the spec."""

from __future__ import annotations

import ast
import copy

from tools.apigen import naming

#: Field(...) keywords that would enforce a request-side limit, and the JSON-schema keyword
#: each is kept as (``None``: the word depends on the type, ``minLength`` or ``minItems``).
LIMITS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum",
          "multiple_of": "multipleOf", "pattern": "pattern", "min_length": None,
          "max_length": None}


def _is_list(annotation: ast.expr) -> bool:
    return any(isinstance(m, ast.Subscript) and ast.unparse(m.value) in ("list", "set")
               for m in _members(annotation))


def _unenforced(annotation: ast.expr) -> None:
    """Each ``Annotated[T, Field(...)]`` in ``annotation`` with its limits moved from the
    keywords pydantic enforces to ``json_schema_extra``: documented, never checked."""
    for node in ast.walk(annotation):
        if not (isinstance(node, ast.Subscript) and ast.unparse(node.value) == "Annotated"
                and isinstance(node.slice, ast.Tuple)):
            continue
        kind, *extras = node.slice.elts
        for call in extras:
            if not (isinstance(call, ast.Call) and ast.unparse(call.func) == "Field"):
                continue
            moved: dict[str, ast.expr] = {}
            kept = []
            for keyword in call.keywords:
                if keyword.arg in LIMITS:
                    word = LIMITS[keyword.arg] or (
                        ("minItems" if _is_list(kind) else "minLength")
                        if keyword.arg == "min_length"
                        else ("maxItems" if _is_list(kind) else "maxLength"))
                    moved[word] = keyword.value
                else:
                    kept.append(keyword)
            if moved:
                extra = ast.Dict([ast.Constant(k) for k in moved], list(moved.values()))
                call.keywords = [*kept, ast.keyword("json_schema_extra", extra)]


def _has_none(annotation: ast.expr) -> bool:
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _has_none(annotation.left) or _has_none(annotation.right)
    return isinstance(annotation, ast.Constant) and annotation.value is None


def _or_none(annotation: ast.expr) -> ast.expr:
    """``annotation`` that also admits ``None`` (inside ``Annotated[...]``)."""
    if isinstance(annotation, ast.Subscript) and ast.unparse(annotation.value) == "Annotated" \
            and isinstance(annotation.slice, ast.Tuple):
        first = annotation.slice.elts[0]
        annotation.slice.elts[0] = _or_none(first)
        return annotation
    if _has_none(annotation):
        return annotation
    return ast.BinOp(annotation, ast.BitOr(), ast.Constant(None))


class Lenient(ast.NodeTransformer):
    """Lenient models: open enums (a ``Literal`` is a ``str``); ``None`` accepted by every
    optional field (one with a default, which ``strict_nullable`` leaves non-nullable where
    the spec does not say ``nullable``); request-side limits documented in the JSON schema
    (the emulator builds conforming bodies from it), not enforced; no ``examples=`` (the
    spec's examples are tested, not embedded)."""

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.ClassDef:
        bases = [ast.unparse(b) for b in node.bases]
        if bases in (["str", "Enum"], ["Enum"]):
            node.bases = [ast.Name("OpenEnum")]
        elif bases == ["IntEnum"]:
            node.bases = [ast.Name("OpenIntEnum")]
        else:
            for stmt in node.body:
                if not isinstance(stmt, ast.AnnAssign):
                    continue
                _unenforced(stmt.annotation)
                if stmt.value is not None and isinstance(stmt.target, ast.Name) \
                        and stmt.target.id != "root":
                    stmt.annotation = _or_none(stmt.annotation)
        self.generic_visit(node)
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.expr:
        if ast.unparse(node.value) == "Literal":  # a tag or a one-value enum: open like enums
            return ast.Name("str")
        self.generic_visit(node)
        return node

    def visit_Call(self, node: ast.Call) -> ast.Call:
        if ast.unparse(node.func) == "Field":
            node.keywords = [k for k in node.keywords if k.arg != "examples"]
        self.generic_visit(node)
        return node


def names(node: ast.AST) -> set[str]:
    """The names ``node``'s code refers to (not words of its docstrings)."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _field_users(classes: dict[str, ast.ClassDef]) -> dict[str, list[tuple[str, str]]]:
    """class name -> the (class, field) pairs whose annotation names it (``Base`` where it is
    a base class)."""
    users: dict[str, list[tuple[str, str]]] = {}
    for cls in classes.values():
        for name in sorted(set().union(*(names(b) for b in cls.bases))):
            if name in classes:  # the inline part of an allOf: its subclass's base
                users.setdefault(name, []).append((cls.name, "Base"))
        for stmt in cls.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                for name in sorted(names(stmt.annotation)):
                    if name in classes and name != cls.name:
                        users.setdefault(name, []).append((cls.name, stmt.target.id))
    return users


def place_names(tree: ast.Module, named: set[str]) -> dict[str, str]:
    """New names for the classes of inline schemas (which the code generator numbers,
    ``Status1``, ``Type55``): the class that holds the field, then the field
    (``CheckoutForm`` + ``status``: ``CheckoutFormStatus``). ``named`` are the spec's own
    schema names, kept. A name depends on the spec's text only, so it is stable."""
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    users = _field_users(classes)
    bases = {name: set().union(*(names(b) for b in c.bases)) for name, c in classes.items()}
    renames: dict[str, str] = {}
    taken = {n for n in classes if n in named or n not in users}

    def new_name(cls: str, seen: frozenset[str]) -> str:
        if cls in renames:
            return renames[cls]
        if cls in named or cls not in users:
            return cls
        # a schema's own field first (a class shared with a nested one is named after it),
        # and a base class's before its subclasses' (which inherit the field)
        holders = {u[0] for u in users[cls]}
        parent, field_name = min(users[cls], key=lambda u: (
            u[0] not in named, bool(bases[u[0]] & holders), u))
        base = (cls if parent in seen else new_name(parent, seen | {cls})) + naming.pascal(
            field_name)
        name = base
        while name in taken or name in naming.RESERVED_CLASS_NAMES:
            name += "Value" if name == base else "_"
        taken.add(name)
        renames[cls] = name
        return name

    for cls in sorted(classes, key=lambda c: (min(users.get(c, [("", "")])), c)):
        new_name(cls, frozenset())
    return {old: new for old, new in renames.items() if old != new}


def _members(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _members(node.left) + _members(node.right)
    return [node]


class _Unwrap(ast.NodeTransformer):
    """Each use of a single-value wrapper class replaced by the type it wraps."""

    def __init__(self, wrapped: dict[str, ast.expr]) -> None:
        self.wrapped = wrapped

    def visit_Name(self, node: ast.Name) -> ast.expr:
        inner = self.wrapped.get(node.id)
        return node if inner is None else copy.deepcopy(inner)

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        if not isinstance(node.op, ast.BitOr):
            return node
        unique: dict[str, ast.expr] = {}
        for member in _members(node):
            unique.setdefault(ast.unparse(member), member)
        nones = [m for k, m in unique.items() if k == "None"]
        kept = [m for k, m in unique.items() if k != "None"] + nones
        out = kept[0]
        for member in kept[1:]:
            out = ast.BinOp(out, ast.BitOr(), member)
        return out


def collapse_wrappers(tree: ast.Module, keep: set[str]) -> ast.Module:
    """Remove the ``RootModel`` classes left around one type (a nullable enum the code
    generator's own ``collapse_root_models`` keeps): fields name the wrapped type. Operation
    bodies (``keep``) stay, so a body is always a model."""
    wrapped: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name not in keep and len(node.bases) == 1:
            base = node.bases[0]
            if isinstance(base, ast.Subscript) and ast.unparse(base.value) == "RootModel":
                wrapped[node.name] = base.slice
    tree.body = [n for n in tree.body if not (
        (isinstance(n, ast.ClassDef) and n.name in wrapped)
        or (isinstance(n, ast.Expr) and ast.unparse(n).split(".", 1)[0] in wrapped))]
    out: ast.Module = _Unwrap(wrapped).visit(tree)
    return out


class Renamer(ast.NodeTransformer):
    """Classes renamed, with every reference to them."""

    def __init__(self, renames: dict[str, str]) -> None:
        self.renames = renames

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self.renames.get(node.id, node.id)
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.ClassDef:
        node.name = self.renames.get(node.name, node.name)
        self.generic_visit(node)
        return node
