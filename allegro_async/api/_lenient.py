"""Building a model from a JSON body that does not quite match it (hand-written).

Allegro changes shapes without notice: a field that was a number turns into text, an object
gains a variant. One such field must not lose a whole page, so a body whose top level has the
right type is kept: what validates is validated, what does not is kept as sent, unvalidated
(pydantic's ``model_construct``, recursively where the value is an object or a list). Each
(model, location) that failed is logged once at WARNING on the ``allegro_async`` logger.
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Union, cast, get_args, get_origin

import pydantic
from pydantic import BaseModel, RootModel
from pydantic.fields import FieldInfo

from allegro_async.api._base import log_once

_adapters: dict[Any, pydantic.TypeAdapter[Any]] = {}


def top_level_mismatch(errors: Sequence[Mapping[str, Any]]) -> bool:
    """True when the body itself has the wrong type (a list or text where an object
    belongs): nothing can be kept."""
    return any(not e["loc"] for e in errors)


def location(loc: Sequence[int | str]) -> str:
    """A pydantic error location as a path, list positions folded: ``lineItems[].offer.id``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += "[]"
        else:
            out += ("." if out else "") + part
    return out or "(body)"


def warn_once(model: type[BaseModel], errors: Sequence[Mapping[str, Any]]) -> None:
    """Log each failing location of ``model`` the first time it is seen (the generated
    layer's one registry of warnings, :func:`~allegro_async.api._base.log_once`)."""
    for error in errors:
        where = location(error["loc"])
        log_once(("field", f"{model.__module__}.{model.__qualname__}", where),
                 "%s: the answer's %s does not match the model (%s); kept as sent, "
                 "unvalidated", model.__name__, where, error["msg"])


def build(model: type[BaseModel], data: Any, *, validated: bool = True) -> Any:
    """``model`` from ``data``: validated where it validates, kept as sent where not.
    ``validated=False``: the caller already saw ``data`` as a whole fail, so it is not
    validated again as a whole (its fields still are)."""
    if validated:
        try:
            return model.model_validate(data)
        except (pydantic.ValidationError, TypeError, ValueError):
            pass
    if issubclass(model, RootModel):
        root = model.model_fields["root"]
        return model.model_construct(_value(root, data))
    if not isinstance(data, Mapping):
        return data
    values: dict[str, Any] = {}
    present: set[str] = set()
    used: set[str] = set()
    for name, info in model.model_fields.items():
        key = next((k for k in (info.alias, name) if k is not None and k in data), None)
        if key is None:
            if info.is_required():
                values[name] = None  # a required field Allegro left out: null, not missing
            continue
        used.add(key)
        present.add(name)
        values[name] = _value(info, data[key])
    extra = {k: v for k, v in data.items() if k not in used and isinstance(k, str)}
    if model.model_config.get("extra") == "allow":
        values.update(extra)
        present.update(extra)
    return model.model_construct(_fields_set=present, **values)


def _adapter(annotation: Any) -> pydantic.TypeAdapter[Any]:
    try:
        adapter = _adapters.get(annotation)
    except TypeError:  # metadata that cannot be hashed: built each time (failure path only)
        return pydantic.TypeAdapter(annotation)
    if adapter is None:
        adapter = _adapters[annotation] = pydantic.TypeAdapter(annotation)
    return adapter


def _validate(annotation: Any, value: Any) -> tuple[bool, Any]:
    try:
        return True, _adapter(annotation).validate_python(value)
    except (pydantic.ValidationError, pydantic.PydanticUserError, TypeError, ValueError,
            AttributeError, KeyError, RecursionError):
        return False, value


def _value(info: FieldInfo, value: Any) -> Any:
    annotation: Any = info.annotation
    if info.metadata:  # the field's constraints (pattern, bounds) travel with its type
        parts = (annotation, *info.metadata)
        annotation = cast(Any, Annotated)[parts]
    ok, out = _validate(annotation, value)
    return out if ok else _loose(info.annotation, value)


def _loose(annotation: Any, value: Any) -> Any:
    """``value`` for ``annotation`` where it does not validate: objects become their model
    (recursively), lists item by item; anything else is kept as sent."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _loose(get_args(annotation)[0], value)
    if origin in (Union, types.UnionType):
        arms = [a for a in get_args(annotation) if a is not type(None)]
        for arm in arms:
            ok, out = _validate(arm, value)
            if ok:
                return out
        for arm in arms:
            shaped = _loose(arm, value)
            if shaped is not value:
                return shaped
        return value
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return build(annotation, value) if isinstance(value, Mapping) or issubclass(
            annotation, RootModel) else value
    if origin in (list, Sequence) and isinstance(value, list):
        (item,) = get_args(annotation) or (Any,)
        return [_item(item, v) for v in value]
    if origin in (dict, Mapping) and isinstance(value, Mapping):
        args = get_args(annotation)
        inner = args[1] if len(args) == 2 else Any
        return {k: _item(inner, v) for k, v in value.items()}
    return value


def _item(annotation: Any, value: Any) -> Any:
    ok, out = _validate(annotation, value)
    return out if ok else _loose(annotation, value)
