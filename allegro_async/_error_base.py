"""The root of the exception hierarchy (:class:`AllegroError`) and how every error pickles.

Public through :mod:`allegro_async.errors`, which every class names as its module (so pickles
and reprs name ``allegro_async.errors``, wherever a class is written).
"""

from __future__ import annotations

from typing import Any

from allegro_async._redact import scrub


class AllegroError(Exception):
    """Base of every exception the library raises. ``str()`` and ``repr()`` never show a
    secret."""

    def __init__(self, *args: Any) -> None:
        # args are scrubbed too: pickling, logging and debuggers show them without __str__.
        super().__init__(*(scrub(a) if isinstance(a, str) else a for a in args))

    def __str__(self) -> str:
        return scrub(super().__str__())

    def __repr__(self) -> str:
        # Exception.__repr__ shows args unscrubbed; secrets registered after construction too.
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take keyword-only arguments, which the default pickling cannot replay;
        # rebuild from args and attributes instead (for multiprocessing, task queues). The
        # httpx response does not travel.
        # Scrubbed again: a secret registered since construction must not travel either.
        args = tuple(scrub(a) if isinstance(a, str) else a for a in self.args)
        state = {k: v for k, v in self.__dict__.items() if k != "response"}
        return (_restore, (type(self), args, state))


def _restore(cls: type[AllegroError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    from allegro_async._api_errors import APIError

    if isinstance(error, APIError):
        error.response = None
    return error
