"""The authenticated user (``GET /me``): the generated ``MeResponse`` under this library's
names (one model per schema). ``client.user.me()`` checks that ``id`` is there."""

from __future__ import annotations

from allegro_async.api.models import Company, MeResponse
from allegro_async.api.models import MeResponseBaseMarketplace as BaseMarketplace

__all__ = ["BaseMarketplace", "Company", "Me"]

#: Who the access token belongs to: ``id`` is the seller's user id, the ``user_name`` claim
#: of the token (A6) and the ``user.id`` that seller-scoped filters take.
Me = MeResponse
