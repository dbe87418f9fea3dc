"""The one argument layer: every public method's arguments are checked and made canonical here,
before any request is sent, so the value that is checked is the value that is sent.

Services and the generated operations (``allegro_async.api``) call these functions; none of
them checks an id, an amount or a page size inline. Each raises
:class:`~allegro_async.errors.InvalidArgumentError` naming the field and the fix.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from allegro_async.errors import InvalidArgumentError

#: Characters an Allegro id may hold (offer and user ids are digits, most others UUIDs; some
#: ids are base64url-like). Anything else (``/``, ``?``, ``#``, ``%``, ``\\``, whitespace)
#: would change the request or is a mistake.
_ID = re.compile(r"[A-Za-z0-9_\-.:=+~]+")


def ident(value: object, field: str) -> str:
    """An id as the text that identifies the resource: ``str``, or an ``int`` converted
    explicitly. ``None``, ``bool``, floats, lists, blank text, whitespace, dot segments and
    characters no Allegro id contains are refused."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidArgumentError(
            field, f"expected an id (str or int), got {type(value).__name__}",
            f"pass {field} as text, e.g. '12345678'",
        )
    text = str(value)
    if isinstance(value, int) and value < 0:
        raise InvalidArgumentError(field, f"{value} is negative", f"pass a valid {field}")
    if not text or text in (".", "..") or not _ID.fullmatch(text):
        raise InvalidArgumentError(
            field, f"{text!r} is not an id (no whitespace, '/', '?', '#', '%' or '\\')",
            f"pass the {field} exactly as Allegro gave it",
        )
    return text


def path_segment(value: object, field: str) -> str:
    """An id checked by :func:`ident`, percent-encoded for one URL path segment."""
    return quote(ident(value, field), safe="")


# -- query and header values (used by the generated operations, allegro_async.api) -------------
def query_value(value: object, field: str, *, number: bool = False) -> object:
    """A query or header value as Allegro reads it: ``bool`` -> ``"true"``/``"false"``, an
    aware datetime -> UTC ISO text ending in ``Z`` (a naive one is refused), an ``Enum`` -> its
    value, ``int``/``str`` as they are, a ``float`` only where the spec says ``number``
    (``number=True``), a list or tuple item by item. ``None`` stays ``None`` (left out)."""
    import datetime as _dt
    from enum import Enum

    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if number:
            return value
        raise InvalidArgumentError(
            field, f"expected an integer or text, got the float {value!r}",
            f"pass {field} as an int (e.g. {int(value)})",
        )
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise InvalidArgumentError(
                field, f"datetime {value.isoformat()} has no time zone",
                "pass a timezone-aware datetime, e.g. datetime.now(timezone.utc)",
            )
        text = value.astimezone(_dt.timezone.utc).isoformat()
        return text.replace("+00:00", "Z")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [query_value(v, field, number=number) for v in value]
    raise InvalidArgumentError(
        field, f"{type(value).__name__} cannot be sent as a query value",
        f"pass {field} as text, a number, a bool, an enum or an aware datetime",
    )
