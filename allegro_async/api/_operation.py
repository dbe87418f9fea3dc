"""What the index knows about one spec operation (hand-written; the generated index holds one
:class:`Operation` per spec ``operationId``).

The generated operations, the scope checks (``auth/checks.py``) and the emulator's spec-driven
handlers all read these records, so a rule the spec states is written down once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ParamLocation = Literal["path", "query", "header"]


@dataclass(frozen=True, slots=True)
class Param:
    """One path, query or header parameter of an operation, as the spec declares it."""

    name: str  # the wire name, e.g. "offer.id" or "Accept-Language"
    python_name: str  # the keyword in the generated method, e.g. "offer_id"
    location: ParamLocation
    required: bool
    type: str  # JSON-schema type: "string", "integer", "number", "boolean", "array"
    items_type: str | None = None  # for arrays: the items' type
    enum: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    format: str | None = None  # "date-time", "uuid", ...
    default: object = None


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of Allegro's spec: where it lives and what it takes and returns."""

    operation_id: str
    method: str  # upper case: "GET", "POST", ...
    path: str  # the spec's template, e.g. "/sale/product-offers/{offerId}"
    name: str  # dotted public name of the callable, e.g. "order_management.get_checkout_forms"
    area: str  # the module/attribute of the area, e.g. "order_management"
    summary: str
    response_model: str | None  # dotted model name under allegro_async.api.models, or None
    request_model: str | None = None
    #: The spec's ``requestBody.required``: 9 operations take a body only optionally (e.g.
    #: POST /payments/refunds, PUT /bidding/offers/{offerId}/bid).
    body_required: bool = False
    request_media_types: tuple[str, ...] = ()  # request Content-Types the spec accepts
    response_media_type: str | None = None  # what Accept must say (A11)
    #: Every media type the success answer is declared in (a file operation's types, or
    #: JSON beside a file type); an answer in another type is refused.
    response_media_types: tuple[str, ...] = ()
    success_status: int = 200
    scopes: tuple[str, ...] = ()  # OAuth scopes the user token needs (from `security`)
    app_token_allowed: bool = False  # `bearer-token-for-application` is listed in `security`
    params: tuple[Param, ...] = field(default=())
    host: Literal["api", "upload"] = "api"  # binary uploads go to upload.allegro.pl
    deprecated: bool = False
    example: str | None = None  # the spec's success example, as JSON text, where it has one
