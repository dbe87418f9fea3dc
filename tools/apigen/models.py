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
import hashlib
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

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
        "components": {"schemas": {n: spec.schemas[n] for n in sorted(names)}},
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
            field_constraints=True,
            use_subclass_enum=True,
            capitalise_enum_members=True,
            use_double_quotes=True,
            use_schema_description=True,
            disable_timestamp=True,
            formatters=[],
        )
    assert isinstance(out, str)
    return out


class _Rewrite(ast.NodeTransformer):
    """Open enums, and no ``examples=`` (the spec's examples are tested, not embedded)."""

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.ClassDef:
        bases = [ast.unparse(b) for b in node.bases]
        if bases in (["str", "Enum"], ["Enum"]):
            node.bases = [ast.Name("OpenEnum")]
        elif bases == ["IntEnum"]:
            node.bases = [ast.Name("OpenIntEnum")]
        self.generic_visit(node)
        return node

    def visit_Call(self, node: ast.Call) -> ast.Call:
        if ast.unparse(node.func) == "Field":
            node.keywords = [k for k in node.keywords if k.arg != "examples"]
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
    classes: dict[str, ModelClass] = {}
    rebuilds: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            classes[node.name] = ModelClass(node.name, ast.unparse(node), set())
        elif isinstance(node, ast.Expr):
            rebuilds.append(ast.unparse(node))
    for model in classes.values():
        words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", model.source))
        model.deps = {w for w in words if w in classes and w != model.name}
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
