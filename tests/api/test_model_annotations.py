"""The generated models' annotations are expressions Python evaluates once, not text pydantic
compiles and evaluates again for every field when it builds each class (the larger part of
importing an area): only an annotation that names a class its module defines later is text.
A field's alias, description and default are given as ``x: T = Field(...)``, not through a
``typing.Annotated`` built per field."""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pytest

MODELS = Path(__file__).resolve().parents[2] / "allegro_async" / "api" / "models"
#: the modules that define classes (an area split in parts only imports them, see below)
MODULES = sorted(p for p in MODELS.rglob("*.py") if p.name != "__init__.py"
                 and any(isinstance(n, ast.ClassDef) for n in ast.parse(p.read_text()).body))


def _bound(stmt: ast.stmt) -> set[str]:
    if isinstance(stmt, ast.ClassDef):
        return {stmt.name}
    if isinstance(stmt, ast.Assign):
        return {t.id for t in stmt.targets if isinstance(t, ast.Name)}
    if isinstance(stmt, ast.ImportFrom | ast.Import):
        return {(a.asname or a.name).split(".")[0] for a in stmt.names}
    return set()


def _annotations(node: ast.AST) -> list[ast.expr]:
    found: list[ast.expr] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.AnnAssign | ast.arg) and sub.annotation is not None:
            found.append(sub.annotation)
        elif isinstance(sub, ast.FunctionDef) and sub.returns is not None:
            found.append(sub.returns)
    return found


def _names(expr: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_annotations_are_text_only_for_classes_defined_later(path: Path) -> None:
    tree = ast.parse(path.read_text())
    assert not any(isinstance(s, ast.ImportFrom) and s.module == "__future__"
                   for s in tree.body), "postponed annotations make pydantic eval each field"
    defined = {n for stmt in tree.body for n in _bound(stmt)}
    bound: set[str] = set(dir(builtins))
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef):
            for annotation in _annotations(stmt):
                if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
                    names = _names(ast.parse(annotation.value, mode="eval").body)
                    later = (names & defined) - bound
                    assert later, f"{path.stem}.{stmt.name}: {annotation.value!r} need not be text"
                else:
                    assert _names(annotation) <= bound, f"{path.stem}.{stmt.name}"
        bound |= _bound(stmt)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_fields_give_their_facts_as_default_not_in_an_annotated(path: Path) -> None:
    for cls in ast.parse(path.read_text()).body:
        if not isinstance(cls, ast.ClassDef):
            continue
        for stmt in cls.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.annotation, ast.Subscript):
                assert ast.unparse(stmt.annotation.value) != "Annotated", \
                    f"{path.stem}.{cls.name}: {ast.unparse(stmt)}"


def test_a_field_keeps_its_alias_description_and_default() -> None:
    from allegro_async.api.models.order_management import CheckoutForm

    message = CheckoutForm.model_fields["message_to_seller"]
    assert (message.alias, message.description, message.default) == (
        "messageToSeller", "Message from buyer to seller", None)
    assert not message.is_required()
    assert CheckoutForm.model_fields["id"].is_required()


def test_a_model_naming_a_later_class_validates_it() -> None:
    from allegro_async.api.models.categories_and_parameters import CategorySuggestionCategoryNode

    node = CategorySuggestionCategoryNode.model_validate(
        {"id": "1", "name": "a", "parent": {"id": "2", "name": "b"}})
    assert isinstance(node.parent, CategorySuggestionCategoryNode)
    assert node.parent.id == "2"


def test_every_part_builds_when_imported_on_its_own() -> None:
    """A part imported directly (another part needs one of its classes, or a user imported the
    module path a repr once showed) still names its classes after the area module and resolves
    its text annotations there: every class of every part builds, in a fresh interpreter."""
    import subprocess
    import sys

    script = """
import importlib, pathlib, sys
import allegro_async.api.models as models
from pydantic import BaseModel
root = pathlib.Path(models.__file__).parent / "_parts"
built = 0
for path in sorted(p for p in root.glob("*_*.py") if not p.stem.startswith("_")):
    part = importlib.import_module("allegro_async.api.models._parts." + path.stem)
    area = importlib.import_module("allegro_async.api.models." + path.stem.rsplit("_", 1)[0])
    for name, value in vars(part).items():
        if not name.isidentifier():  # pydantic's own RootModel[...] parametrizations
            continue
        if isinstance(value, type) and value.__module__ == part.__name__:
            sys.exit(f"{path.stem}.{name} is named after its part")
        if isinstance(value, type) and issubclass(value, BaseModel) \\
                and value.__module__ == area.__name__:
            value.model_rebuild(force=True, raise_errors=True)
            built += 1
print(built)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout) > 1000
