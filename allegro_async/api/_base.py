"""The bases of the generated models (hand-written; the generated modules import them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from allegro_async._enum import OpenEnum, OpenIntEnum

__all__ = ["ApiModel", "OpenEnum", "OpenIntEnum"]


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
