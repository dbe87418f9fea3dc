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

from tools.apigen import helpers, parts, rewrites, unions
from tools.apigen.spec import Spec
from tools.apigen.unions import UnionSpec

COMMON = "common"
#: A class used by this many areas or more goes to ``common`` (the error bodies, prices...).
COMMON_MIN_AREAS = 10
#: No ``from __future__ import annotations``: pydantic would then compile and evaluate every
#: annotation's text when it builds the class (half the cost of importing an area's models);
#: an annotation is text only where it names a class the module defines later (or its own).
_IMPORTS = (
    "from datetime import date as date_aliased\n"
    "from decimal import Decimal\n"
    "from typing import Annotated, Any, Literal\n"
    "\n"
    "from pydantic import (\n"
    "    AwareDatetime, Field, RootModel, Tag, ValidatorFunctionWrapHandler, model_validator,\n"
    ")\n\n"
    "from allegro_async.api._base import (\n"
    "    ApiModel, OpenEnum, OpenIntEnum, UnknownVariant, UuidText, WholeNumber,\n"
    "    pick_variant, shaped_union, tagged_union,\n)\n"
)


@dataclass
class ModelClass:
    """One generated class: its source, the classes it refers to, the areas using it."""

    name: str
    source: str
    deps: set[str]
    areas: set[str] = field(default_factory=set)
    module: str = ""  # where it is imported from
    part: str = ""  # where it is defined, when not ``module`` (see ``tools.apigen.parts``)
    rebuild: str = ""  # ``X.model_rebuild()``, run once the whole module is defined

    @property
    def home(self) -> str:
        """The module that defines the class."""
        return self.part or self.module


@dataclass
class ModelSet:
    """All classes, by name, with the module each lives in."""

    classes: dict[str, ModelClass]
    modules: dict[str, list[str]]  # module -> class names in definition order
    part_ops: dict[str, list[str]] = field(default_factory=dict)  # part -> operation ids

    def defining(self) -> dict[str, list[str]]:
        """Each module that defines classes (a module, or a part of one) -> its classes in
        definition order."""
        out: dict[str, list[str]] = {}
        for names in self.modules.values():
            for name in names:
                out.setdefault(self.classes[name].home, []).append(name)
        return out

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


def _run_codegen(spec: Spec, names: set[str], roots: set[str]) -> tuple[str, list[UnionSpec]]:
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
        "components": {"schemas": {n: copy.deepcopy(spec.schemas[n]) for n in sorted(names)}},
    }
    helpers.exact_types(document["components"]["schemas"])
    found = unions.prepare(document["components"]["schemas"], roots)
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
            field_constraints=True,  # as Field keywords, which the rewrite makes unenforced
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
    return out, found


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
    used_by: dict[str, set[str]] = {}
    for op in spec.operations:
        variants = [name for _, name in op.response_variants]
        for name in (op.request_schema, op.response_schema, op.items_schema, *variants):
            if name:
                roots.setdefault(name, set()).add(op.area)
                used_by.setdefault(name, set()).add(op.operation_id)
    source, found = _run_codegen(spec, _ref_closure(spec, set(roots)), set(roots))
    tree = rewrites.Lenient().visit(ast.parse(source))
    tree = helpers.attach(helpers.UuidAsText().visit(helpers.drop_arbitrary_types(tree)))
    tree = unions.rewrite(tree, found)
    tree = rewrites.collapse_wrappers(tree, set(roots))
    named = set(spec.schemas) | {u.schema for u in found}
    tree = rewrites.Renamer(rewrites.place_names(tree, named)).visit(tree)
    classes: dict[str, ModelClass] = {}
    rebuilds: list[str] = []
    refs: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            classes[node.name] = ModelClass(node.name, ast.unparse(node), set())
            refs[node.name] = rewrites.names(node)
        elif isinstance(node, ast.Expr):
            rebuilds.append(ast.unparse(node))
    for union in found:  # a base's validator names its subclasses in text: they go along
        if union.base_style and union.schema in refs:
            refs[union.schema] |= set(union.mapping.values())
    classes = _with_aliases(classes, found, refs)
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
            classes[owner].rebuild = line
    model_set = ModelSet({k: v for k, v in classes.items() if v.module}, modules)
    parts.split(model_set, {k: v for k, v in used_by.items() if k in model_set.classes})
    return model_set


def _with_aliases(classes: dict[str, ModelClass], found: list[UnionSpec],
                  refs: dict[str, set[str]]) -> dict[str, ModelClass]:
    """``classes`` with each union's alias placed right after the last class it names."""
    after: dict[str, list[UnionSpec]] = {}
    order = list(classes)
    for union in found:
        deps = unions.alias_deps(union)
        last = max(order.index(d) for d in deps)
        after.setdefault(order[last], []).append(union)
    out: dict[str, ModelClass] = {}
    for name, model in classes.items():
        out[name] = model
        for union in after.get(name, []):
            out[union.name] = ModelClass(union.name, unions.alias_source(union), set())
            refs[union.name] = unions.alias_deps(union)
    return out


def render_module(models: ModelSet, module: str, header: str) -> str:
    """The text of one module defining models (a module, or a part of one)."""
    names = models.defining()[module]
    imported: dict[str, set[str]] = {}
    for n in names:
        for d in models.classes[n].deps:
            if models.classes[d].home != module:
                imported.setdefault(models.classes[d].home, set()).add(d)
    pieces = [header, _IMPORTS + helpers.imports(names)]
    for source in sorted(imported):
        pieces.append(
            f"from allegro_async.api.models.{source} import (\n"
            + "".join(f"    {n},\n" for n in sorted(imported[source])) + ")\n"
        )
    body = "\n\n\n".join(
        _forward_quoted(_field_defaults(models.classes[n].source), set(names[i:]))
        for i, n in enumerate(names))
    rebuilds = [models.classes[n].rebuild for n in names if models.classes[n].rebuild]
    if rebuilds:
        body += "\n\n\n" + "\n".join(rebuilds)
    if "." in module:  # a part: its classes are named after, and resolved in, the area module
        area = parts.area_of(module)
        pieces[1] = pieces[1].replace("    pick_variant,", "    adopt, pick_variant,", 1)
        body += f"\n\n\nadopt(globals(), \"allegro_async.api.models.{area}\")"
    return "\n".join(pieces) + "\n\n" + body + "\n"


def _field_defaults(source: str) -> str:
    """``source`` with each field ``x: Annotated[T, Field(...)] = d`` written as
    ``x: T = Field(d, ...)``: the same field, without building a ``typing.Annotated`` per field
    (a sixth of the cost of building a class)."""
    tree = ast.parse(source)
    changed = False
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        for stmt in node.body:
            if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.annotation, ast.Subscript)
                    and ast.unparse(stmt.annotation.value) == "Annotated"
                    and isinstance(stmt.annotation.slice, ast.Tuple)):
                continue
            parts = stmt.annotation.slice.elts
            field = parts[-1] if len(parts) == 2 else None
            if not (isinstance(field, ast.Call) and ast.unparse(field.func) == "Field"
                    and not field.args and not any(k.arg in (None, "default", "default_factory")
                                                   for k in field.keywords)):
                continue
            field.args = [stmt.value] if stmt.value is not None else []
            stmt.annotation, stmt.value = parts[0], field
            changed = True
    return ast.unparse(tree) if changed else source


def _forward_quoted(source: str, pending: set[str]) -> str:
    """``source`` (one class, or an alias) with each annotation that names a class of
    ``pending`` (defined later in the module, or the class itself) written as text, which
    pydantic resolves once the module is loaded; every other annotation stays an expression,
    evaluated once by Python rather than compiled and evaluated again by pydantic."""
    tree = ast.parse(source)

    def quoted(annotation: ast.expr | None) -> ast.expr | None:
        if annotation is None or not (rewrites.names(annotation) & pending):
            return annotation
        return ast.copy_location(ast.Constant(ast.unparse(annotation)), annotation)

    changed = False
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign):
            new = quoted(node.annotation)
            changed |= new is not node.annotation
            node.annotation = new or node.annotation
        elif isinstance(node, ast.arg):
            new = quoted(node.annotation)
            changed |= new is not node.annotation
            node.annotation = new
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            new = quoted(node.returns)
            changed |= new is not node.returns
            node.returns = new
    return ast.unparse(tree) if changed else source
