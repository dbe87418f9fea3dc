"""The base every model derives from."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from allegro_async._enum import OpenEnum
from allegro_async.api._helpers import parse_timestamp as _parse_timestamp

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


# one definition, beside the helpers of the generated models that use it
parse_timestamp = _parse_timestamp
