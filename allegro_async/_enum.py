"""The open enums (hand-written): enums that keep values they do not know.

They live below both the generated layer (``allegro_async.api``) and the hand-written models
(``allegro_async.models``), so neither imports the other to get them.
"""

from __future__ import annotations

from enum import Enum, IntEnum

__all__ = ["OpenEnum", "OpenIntEnum"]


class OpenEnum(str, Enum):
    """A string enum that accepts values it does not know (Allegro adds enum values without
    notice): an unknown value becomes a pseudo-member whose ``value`` is the string."""

    @classmethod
    def _missing_(cls, value: object) -> OpenEnum | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    def __str__(self) -> str:
        return str(self.value)


class OpenIntEnum(IntEnum):
    """An integer enum that accepts values it does not know, like :class:`OpenEnum`."""

    @classmethod
    def _missing_(cls, value: object) -> OpenIntEnum | None:
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        member = int.__new__(cls, value)
        member._name_ = f"VALUE_{value}"
        member._value_ = value
        return member
