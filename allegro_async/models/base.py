"""The base every model derives from."""

from __future__ import annotations

import datetime as _dt

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel

from allegro_async._enum import OpenEnum

__all__ = ["AllegroModel", "OpenEnum", "parse_timestamp"]


class AllegroModel(BaseModel):
    """Base of all models: snake_case attributes with the API's camelCase as alias, unknown
    fields kept (Allegro adds fields often), populate by either name."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        protected_namespaces=(),
        # stated, not defaulted: the models that subclass a generated one (which coerces
        # numbers to text) list this base second, and this keeps a number where the spec
        # says string a malformed body (ResponseValidationError), as it always was here
        coerce_numbers_to_str=False,
    )

    def to_api(self) -> dict[str, object]:
        """The JSON body Allegro expects: camelCase keys, no ``None`` values."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


_DATETIME = TypeAdapter(_dt.datetime)


def parse_timestamp(text: str) -> _dt.datetime | None:
    """An API timestamp as an aware datetime (UTC when no zone is given); ``None`` when it is
    not a timestamp. Any ISO 8601 spelling works on every supported Python (3.10's
    ``datetime.fromisoformat`` takes only 3 or 6 fraction digits)."""
    try:
        value = _DATETIME.validate_python(text)
    except ValidationError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=_dt.timezone.utc)
