"""The authenticated user (``GET /me``), after the spec's ``MeResponse``."""

from __future__ import annotations

from allegro_async.models.base import AllegroModel

__all__ = ["BaseMarketplace", "Company", "Me"]


class BaseMarketplace(AllegroModel):
    """The marketplace the account was registered on, e.g. ``allegro-pl``."""

    id: str | None = None


class Company(AllegroModel):
    """Company data of a business account (both fields may be ``null``)."""

    name: str | None = None
    tax_id: str | None = None


class Me(AllegroModel):
    """Who the access token belongs to (``MeResponse``). ``id`` is the seller's user id, the
    ``user_name`` claim of the token (A6) and the ``user.id`` that seller-scoped filters take."""

    id: str
    login: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    base_marketplace: BaseMarketplace | None = None
    company: Company | None = None
    features: list[str] = []
