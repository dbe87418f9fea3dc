"""The authenticated user (``GET /me``): the generated ``MeResponse`` with the stricter rules
this library has always kept (``id`` required, ``features`` a list)."""

from __future__ import annotations

from allegro_async.api.models import Company as _Company
from allegro_async.api.models import MeResponse
from allegro_async.api.models import MeResponseBaseMarketplace as _BaseMarketplace
from allegro_async.models.base import AllegroModel

__all__ = ["BaseMarketplace", "Company", "Me"]


class BaseMarketplace(_BaseMarketplace, AllegroModel):
    """The marketplace the account was registered on, e.g. ``allegro-pl``."""


class Company(_Company, AllegroModel):
    """Company data of a business account (both fields may be ``null``)."""


class Me(MeResponse, AllegroModel):
    """Who the access token belongs to (``MeResponse``, every field of the spec). ``id`` is the
    seller's user id, the ``user_name`` claim of the token (A6) and the ``user.id`` that
    seller-scoped filters take."""

    id: str
    base_marketplace: BaseMarketplace | None = None
    company: Company | None = None
    features: list[str] = []  # never None: [] when absent
