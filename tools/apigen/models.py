"""The models: datamodel-code-generator turns the schemas the operations use into pydantic v2
classes in one module; this module splits that module by area so each loads on its own.

A class used by one area lives in that area's module. A class used by many areas (at least
:data:`COMMON_MIN_AREAS`) lives in ``common``; one used by a few lives in the ``shared_<id>``
module of exactly that set of areas, so an area loads only the classes it uses. A class's
dependencies are used by at least the same areas, so imports only go towards modules of
larger sets (and ``common``): area modules never import each other, and nothing cycles.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

from tools.apigen import naming
from tools.apigen.spec import Spec

COMMON = "common"
#: A class used by this many areas or more goes to ``common`` (the error bodies, prices...).
COMMON_MIN_AREAS = 10
_IMPORTS = (
    "from __future__ import annotations\n\n"
    "from datetime import date as date_aliased\n"
    "from decimal import Decimal\n"
    "from typing import Annotated, Any, Literal\n"
    "from uuid import UUID\n\n"
    "from pydantic import AwareDatetime, Field, RootModel\n\n"
    "from allegro_async.api._base import ApiModel, OpenEnum, OpenIntEnum\n"
)


@dataclass
class ModelClass:
    """One generated class: its source, the classes it refers to, the areas using it."""

    name: str
    source: str
    deps: set[str]
    areas: set[str] = field(default_factory=set)
    module: str = ""


@dataclass
class ModelSet:
    """All classes, by name, with the module each lives in."""

    classes: dict[str, ModelClass]
    modules: dict[str, list[str]]  # module -> class names in definition order

    def areas_of(self, module: str) -> list[str]:
        """The areas whose operations use the classes of ``module``."""
        return sorted(self.classes[self.modules[module][0]].areas)

    def dotted(self, name: str | None) -> str | None:
        """``module.Class`` of a class name, as the index and ``resolve_model`` spell it."""
        if name is None:
            return None
        return f"{self.classes[name].module}.{name}"


def _ref_closure(spec: Spec, roots: set[str]) -> set[str]:
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        stack.extend(re.findall(r"#/components/schemas/([A-Za-z0-9_]+)", repr(spec.schemas[name])))
    return seen


def _run_codegen(spec: Spec, names: set[str]) -> str:
    from datamodel_code_generator import (  # type: ignore[attr-defined]
        DataModelType,
        InputFileType,
        PythonVersion,
        generate,
    )

    document: dict[str, Any] = {
        "openapi": "3.0.0",
        "info": {"title": "Allegro REST API", "version": spec.version},
        "paths": {},
        "components": {"schemas": {n: lenient(spec.schemas[n]) for n in sorted(names)}},
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "format of 'ISO 4217' not understood": kept as str
        out = generate(
            document,
            input_file_type=InputFileType.OpenAPI,
            output_model_type=DataModelType.PydanticV2BaseModel,
            target_python_version=PythonVersion.PY_310,
            base_class="allegro_async.api._base.ApiModel",
            snake_case_field=True,
            use_standard_collections=True,
            use_union_operator=True,
            use_annotated=True,
            strict_nullable=True,
            collapse_root_models=True,
            use_subclass_enum=True,
            capitalise_enum_members=True,
            use_double_quotes=True,
            use_schema_description=True,
            disable_timestamp=True,
            formatters=[],
        )
    assert isinstance(out, str)
    return out


#: Request-side limits: a response is parsed whatever they say (the argument layer checks
#: what is sent), so the models carry none of them.
CONSTRAINTS = frozenset({
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength",
    "maxLength", "pattern", "minItems", "maxItems", "uniqueItems", "minProperties",
    "maxProperties",
})
_SUBSCHEMAS = ("items", "additionalProperties", "not")
_SCHEMA_LISTS = ("allOf", "oneOf", "anyOf")


def lenient(schema: Any) -> Any:
    """A copy of ``schema`` without request-side limits (:data:`CONSTRAINTS`), at every depth:
    property names are never taken for keywords."""
    if not isinstance(schema, dict):
        return schema
    out = {k: v for k, v in schema.items() if k not in CONSTRAINTS}
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: lenient(v) for k, v in out["properties"].items()}
    for key in _SUBSCHEMAS:
        if isinstance(out.get(key), dict):
            out[key] = lenient(out[key])
    for key in _SCHEMA_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [lenient(v) for v in out[key]]
    return out


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


class _Rewrite(ast.NodeTransformer):
    """Open enums, ``None`` accepted by every optional field (one with a default, which
    ``strict_nullable`` leaves non-nullable where the spec does not say ``nullable``), and no
    ``examples=`` (the spec's examples are tested, not embedded)."""

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.ClassDef:
        bases = [ast.unparse(b) for b in node.bases]
        if bases in (["str", "Enum"], ["Enum"]):
            node.bases = [ast.Name("OpenEnum")]
        elif bases == ["IntEnum"]:
            node.bases = [ast.Name("OpenIntEnum")]
        else:
            for stmt in node.body:
                if isinstance(stmt, ast.AnnAssign) and stmt.value is not None \
                        and isinstance(stmt.target, ast.Name) and stmt.target.id != "root":
                    stmt.annotation = _or_none(stmt.annotation)
        self.generic_visit(node)
        return node

    def visit_Call(self, node: ast.Call) -> ast.Call:
        if ast.unparse(node.func) == "Field":
            node.keywords = [k for k in node.keywords if k.arg != "examples"]
        self.generic_visit(node)
        return node


def _names(node: ast.AST) -> set[str]:
    """The names ``node``'s code refers to (not words of its docstrings)."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _field_users(classes: dict[str, ast.ClassDef]) -> dict[str, list[tuple[str, str]]]:
    """class name -> the (class, field) pairs whose annotation names it (``Base`` where it is
    a base class)."""
    users: dict[str, list[tuple[str, str]]] = {}
    for cls in classes.values():
        for name in sorted(set().union(*(_names(b) for b in cls.bases))):
            if name in classes:  # the inline part of an allOf: its subclass's base
                users.setdefault(name, []).append((cls.name, "Base"))
        for stmt in cls.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                for name in sorted(_names(stmt.annotation)):
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
    renames: dict[str, str] = {}
    taken = {n for n in classes if n in named or n not in users}

    def new_name(cls: str, seen: frozenset[str]) -> str:
        if cls in renames:
            return renames[cls]
        if cls in named or cls not in users:
            return cls
        # a schema's own field first: a class shared with a nested one is named after it
        parent, field_name = min(users[cls], key=lambda u: (u[0] not in named, u))
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
    return _Unwrap(wrapped).visit(tree)


class _Renamer(ast.NodeTransformer):
    def __init__(self, renames: dict[str, str]) -> None:
        self.renames = renames

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self.renames.get(node.id, node.id)
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.ClassDef:
        node.name = self.renames.get(node.name, node.name)
        self.generic_visit(node)
        return node


def module_for(areas: set[str]) -> str:
    """The module of a class used by ``areas`` (stable while that set does not change)."""
    if len(areas) == 1:
        return next(iter(areas))
    if len(areas) >= COMMON_MIN_AREAS:
        return COMMON
    return "shared_" + hashlib.sha256(",".join(sorted(areas)).encode()).hexdigest()[:8]


def build(spec: Spec) -> ModelSet:
    """Generate, split and place every model an operation uses."""
    roots: dict[str, set[str]] = {}
    for op in spec.operations:
        for name in (op.request_schema, op.response_schema, op.items_schema):
            if name:
                roots.setdefault(name, set()).add(op.area)
    source = _run_codegen(spec, _ref_closure(spec, set(roots)))
    tree = _Rewrite().visit(ast.parse(source))
    tree = collapse_wrappers(tree, set(roots))
    tree = _Renamer(place_names(tree, set(spec.schemas))).visit(tree)
    classes: dict[str, ModelClass] = {}
    rebuilds: list[str] = []
    refs: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            classes[node.name] = ModelClass(node.name, ast.unparse(node), set())
            refs[node.name] = _names(node)
        elif isinstance(node, ast.Expr):
            rebuilds.append(ast.unparse(node))
    for model in classes.values():
        model.deps = {w for w in refs[model.name] if w in classes and w != model.name}
    for name, areas in roots.items():
        stack = [name]
        while stack:
            current = classes[stack.pop()]
            if areas <= current.areas:
                continue
            current.areas |= areas
            stack.extend(current.deps)
    modules: dict[str, list[str]] = {}
    for model in classes.values():  # datamodel-code-generator's order: dependencies first
        if not model.areas:
            continue
        model.module = module_for(model.areas)
        modules.setdefault(model.module, []).append(model.name)
    for line in rebuilds:
        owner = line.split(".", 1)[0]
        if owner in classes and classes[owner].module:
            classes[owner].source += "\n\n\n" + line
    return ModelSet({k: v for k, v in classes.items() if v.module}, modules)


def render_module(models: ModelSet, module: str, header: str) -> str:
    """The text of one models module."""
    names = models.modules[module]
    imported: dict[str, set[str]] = {}
    for n in names:
        for d in models.classes[n].deps:
            if models.classes[d].module != module:
                imported.setdefault(models.classes[d].module, set()).add(d)
    parts = [header, _IMPORTS]
    for source in sorted(imported):
        parts.append(
            f"from allegro_async.api.models.{source} import (\n"
            + "".join(f"    {n},\n" for n in sorted(imported[source])) + ")\n"
        )
    body = "\n\n\n".join(models.classes[n].source for n in names)
    return "\n".join(parts) + "\n\n" + body + "\n"
