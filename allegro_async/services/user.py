"""The authenticated user (``GET /me``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from typing_extensions import Unpack

from allegro_async._options import CallOptions
from allegro_async.errors import ResponseValidationError
from allegro_async.models.user import Me

if TYPE_CHECKING:
    from allegro_async.client import AllegroClient


class UserService:
    """The authenticated user (``/me``)::

        me = await client.user.me()
        print(me.id, me.login)
    """

    def __init__(self, client: AllegroClient) -> None:
        self._client = client

    async def me(self, **options: Unpack[CallOptions]) -> Me:
        """Who the access token belongs to: id (the seller's user id), login, name, email,
        marketplace and company. ``options``: the per-call options (``timeout=`` seconds as
        the call's deadline, ``extra_headers=``, ...; see docs/client.md)."""
        client = self._client._with_call_options(options)
        raw = await client.api.information_about_user.with_raw_response.me()
        me = raw.parse(Me)  # the generated model; raw for the trace id of an error below
        if me.id is None:  # what this promises (seller-scoped filters take it), the spec does not
            raise ResponseValidationError(
                "GET /me answered no id (the seller's user id): Allegro left out a field "
                "client.user.me() needs; retry, or report the trace id to Allegro",
                body=raw.json(), trace_id=raw.trace_id)
        return me
