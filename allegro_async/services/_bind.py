"""Per-call options for the hand-written services: each public method takes
``**options: Unpack[CallOptions]`` and works on a copy of itself bound to a view of the client
that gives every request it makes those options (each page of a walk, each PUT and poll of a
command)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from allegro_async._options import CallOptions

if TYPE_CHECKING:
    from collections.abc import Mapping


class _Service(Protocol):
    _client: Any  # every service keeps the client it sends through


S = TypeVar("S", bound=_Service)

#: The names of the per-call options.
CALL_OPTIONS = frozenset(CallOptions.__annotations__)


def bind(service: S, options: CallOptions) -> S:
    """``service`` itself when ``options`` is empty, else a shallow copy of it whose client
    is a view applying ``options`` to every request (checked now, before any is sent)."""
    if not options:
        return service
    bound = copy.copy(service)
    bound._client = service._client._with_call_options(options)
    return bound


def split(options: Mapping[str, Any]) -> tuple[CallOptions, dict[str, Any]]:
    """``options`` as (the per-call options, the rest), for a method whose own keyword
    options share ``**kwargs`` with the per-call ones."""
    call: dict[str, Any] = {k: v for k, v in options.items() if k in CALL_OPTIONS}
    rest = {k: v for k, v in options.items() if k not in CALL_OPTIONS}
    return cast("CallOptions", call), rest
