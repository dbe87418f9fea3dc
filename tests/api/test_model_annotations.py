"""The generated models' annotations are expressions Python evaluates once, not text pydantic
compiles and evaluates again for every field when it builds each class (the larger part of
importing an area): only an annotation that names a class its module defines later is text."""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pytest

MODELS = Path(__file__).resolve().parents[2] / "allegro_async" / "api" / "models"
MODULES = sorted(p for p in MODELS.glob("*.py") if p.name != "__init__.py")


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


def test_a_model_naming_a_later_class_validates_it() -> None:
    from allegro_async.api.models.categories_and_parameters import CategorySuggestionCategoryNode

    node = CategorySuggestionCategoryNode.model_validate(
        {"id": "1", "name": "a", "parent": {"id": "2", "name": "b"}})
    assert isinstance(node.parent, CategorySuggestionCategoryNode)
    assert node.parent.id == "2"
