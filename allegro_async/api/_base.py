"""The bases of the generated models (hand-written; the generated modules import them)."""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Mapping
from enum import Enum
from typing import Annotated, Any, TypeAlias

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
)
from pydantic_core import core_schema

from allegro_async._enum import OpenEnum, OpenIntEnum

__all__ = ["ApiModel", "OpenEnum", "OpenIntEnum", "UnknownVariant", "UuidText", "WholeNumber",
           "adopt", "pick_variant", "shaped_union", "tagged_union"]

logger = logging.getLogger("allegro_async")


class ApiModel(BaseModel):
    """Base of every generated model: snake_case attributes with the API's camelCase as alias
    (either name populates), unknown fields kept (Allegro adds fields often).

    Validators are built on first use (``defer_build``), so importing an area with hundreds
    of models stays cheap; patterns use Python's ``re`` because the spec's are written for it;
    numbers are accepted where the spec says string (its own examples send ids as numbers).
    """

    model_config = ConfigDict(
        populate_by_name=True,
        extra="allow",
        defer_build=True,
        regex_engine="python-re",
        coerce_numbers_to_str=True,
        protected_namespaces=(),
    )

    def to_api(self) -> dict[str, object]:
        """The JSON body Allegro expects: camelCase keys, and the fields that were set (by the
        caller or by the parsed response), explicit ``None`` included; no defaults added."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


#: A field the spec gives ``format: uuid``: read as the text Allegro sent (ids are compared
#: and sent back as text; an id of another shape is kept, not refused), documented as a uuid.
UuidText = Annotated[str, WithJsonSchema({"type": "string", "format": "uuid"})]

class _WholeNumberSchema:
    # int | float as one choice, so a value that is neither fails once, at its field (a
    # plain union fails at each member: two errors, two warnings of the lenient parser)
    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.union_schema(
            [core_schema.int_schema(strict=True), core_schema.float_schema()],
            custom_error_type="number_type", custom_error_message="Input should be a number")


#: A ``number`` the spec gives an integral format (quantities, counts): a whole number is read
#: as ``int`` (``1``, not ``1.0``), a fractional one kept as ``float`` rather than refused.
WholeNumber: TypeAlias = Annotated[int | float, _WholeNumberSchema()]


class UnknownVariant(ApiModel):
    """A member of a union the spec does not describe (a tag Allegro added since): every
    field of the document is kept, as extra fields (``model_extra``, ``model_dump()``)."""


#: Keys :func:`log_once` has logged, for every kind of warning of the generated layer:
#: ``("tag", union, tag)`` for a tag the spec's mapping lacks, ``("field", module.Model,
#: location)`` for a part of an answer the lenient parser kept as sent.
_warned: set[tuple[str, ...]] = set()
_warned_lock = threading.Lock()
#: Distinct keys logged at most: a server inventing tags or fields cannot grow the set (or
#: the log) without bound.
_WARN_LIMIT = 1024


def log_once(key: tuple[str, ...], message: str, *args: object) -> None:
    """Log ``message % args`` at WARNING on the ``allegro_async`` logger the first time ``key``
    is seen; once :data:`_WARN_LIMIT` keys are held, nothing more is logged."""
    with _warned_lock:
        if key in _warned or len(_warned) >= _WARN_LIMIT:
            return
        _warned.add(key)
    logger.warning(message, *args)


def _warn_once(union: str, tag: str, fallback: str) -> None:
    tag = tag if len(tag) <= 64 else tag[:61] + "..."
    log_once(("tag", union, tag), "%s: tag %r is not in the spec's mapping; parsed as %s",
             union, tag, fallback)


def _declared_member(value: object, members: Mapping[str, object]) -> str | None:
    for cls in type(value).__mro__:  # a model already built (or a hand-written subclass)
        if cls.__name__ in members:
            return cls.__name__
    return None


def tagged_union(
    union: str, prop: str, attr: str, mapping: Mapping[str, str], fallback: str,
    *, warn: bool = True,
) -> Discriminator:
    """The discriminator of a generated union: the class the spec maps the tag (the ``prop``
    property; ``attr`` on a built model) to, or ``fallback`` for a tag the mapping lacks,
    logged once per (union, tag) on the ``allegro_async`` logger at WARNING (unless
    ``warn`` is false: a base class's own validator logs it, see :func:`pick_variant`)."""
    members = {**{c: c for c in mapping.values()}, fallback: fallback}

    def pick(value: Any) -> str | None:
        if isinstance(value, BaseModel):
            return _declared_member(value, members) or fallback
        if not isinstance(value, Mapping):
            return None  # not an object: pydantic reports the wrong type
        tag = value.get(prop, value.get(attr))
        if isinstance(tag, Enum):
            tag = tag.value
        name = mapping.get(tag) if isinstance(tag, str) else None
        if name is None:
            if warn:
                _warn_once(union, repr(tag) if not isinstance(tag, str) else tag, fallback)
            return fallback
        return name

    return Discriminator(pick)


def pick_variant(
    cls: type[BaseModel], data: Any, handler: ValidatorFunctionWrapHandler, base: str,
    prop: str, mapping: Mapping[str, str],
) -> Any:
    """The wrap validator of a base schema the spec maps tags of: ``Base.model_validate``
    (an operation answering the base schema, ``TypeAdapter(Base)``) gives the class the tag
    maps to, as a field holding the union does; a subclass, or a tag the mapping lacks
    (logged once), validates as itself."""
    if cls.__name__ != base or not cls.__module__.startswith(__package__ or "allegro_async") \
            or not isinstance(data, Mapping):
        return handler(data)
    tag = data.get(prop)
    name = mapping.get(tag) if isinstance(tag, str) else None
    if name is None:
        _warn_once(base, tag if isinstance(tag, str) else repr(tag), base)
    if name is None or name == base:
        return handler(data)
    # the models package resolves any class by name (a mapped class may live elsewhere)
    variant: type[BaseModel] = getattr(importlib.import_module("allegro_async.api.models"), name)
    return variant.model_validate(data)


def _shape(model: type[BaseModel]) -> tuple[frozenset[str], frozenset[str]]:
    required: set[str] = set()
    known: set[str] = set()
    for name, info in model.model_fields.items():
        keys = {name, info.alias or name}
        known |= keys
        if info.is_required():
            required.add(info.alias or name)
    return frozenset(required), frozenset(known)


def shaped_union(
    union: str, members: tuple[type[BaseModel], ...], fallback: str, *, any_object: bool = False
) -> Discriminator:
    """The discriminator of a union the spec gives no tag: the member whose required
    properties the document has, the one with most of them (then most known properties,
    then the spec's order) where several do. A document no member fits goes to
    ``fallback``: logged once, like an unknown tag, unless the spec allows any object
    (``any_object``)."""
    names = {m.__name__: m for m in members}
    shapes: dict[str, tuple[frozenset[str], frozenset[str]]] = {}

    def pick(value: Any) -> str | None:
        if isinstance(value, BaseModel):
            return _declared_member(value, names) or fallback
        if not isinstance(value, Mapping):
            return None
        if not shapes:
            shapes.update({name: _shape(model) for name, model in names.items()})
        keys = set(value)
        best: tuple[int, int, int] | None = None
        chosen = None
        for order, name in enumerate(names):
            required, known = shapes[name]
            if required <= keys:
                score = (len(required), len(keys & known), -order)
                if best is None or score > best:
                    best, chosen = score, name
        if chosen is None:
            if not any_object:
                _warn_once(union, "<no member fits>", fallback)
            return fallback
        return chosen

    return Discriminator(pick)


def adopt(part: Mapping[str, Any], area: str) -> None:
    """Give the classes of a part (``part``: its globals) to their public area module ``area``:
    each class is named after it (``__module__``: what reprs, pickles and documentation show,
    stable whatever part defines it), and every name of the part is set there, where pydantic
    resolves the part's forward references when it builds a class on first use. Run by each
    generated part once its classes are defined."""
    module = importlib.import_module(area)
    home, own = part["__name__"].rsplit(".", 1)[-1], part["__name__"]
    namespace = vars(module)
    for name, defined_in in module._PARTS.items():
        if defined_in == home:
            value = part[name]
            if isinstance(value, type) and value.__module__ == own:
                value.__module__ = area
            namespace.setdefault(name, value)
