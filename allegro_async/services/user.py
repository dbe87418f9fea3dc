"""The authenticated user (/me)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from allegro_async.client import AllegroClient


class UserService:
    """The authenticated user (/me)."""

    def __init__(self, client: AllegroClient) -> None:
        self._client = client
