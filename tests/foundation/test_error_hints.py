"""Hints for the known causes: S5, S6, S7, S8, S17, S19, A6 (and a 401 without a token)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from allegro_async import (
    AllegroClient,
    AuthenticationError,
    BadRequestError,
    DraftsLimitError,
    PermissionDeniedError,
    UnprocessableEntityError,
)
from allegro_async.errors import APIError, error_for_response
from tests.foundation.conftest import BARE, make_jwt

TOKEN_URL = "https://allegro.pl/auth/oauth/token"


async def raised(
    mock_client: Callable[..., AllegroClient], status: int, body: Any, **client_kwargs: Any
) -> APIError:
    """Call through a client whose transport answers ``status``/``body``; return the error."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body)

    async with mock_client(handler, **client_kwargs) as client:
        with pytest.raises(APIError) as info:
            await client.request("GET", "/sale/offers/1")
    return info.value


async def test_s5_missing_code_hints_the_form_field(
    mock_client: Callable[..., AllegroClient],
) -> None:
    exc = await raised(mock_client, 400, {
        "error": "invalid_request", "error_description": "An authorization code must be supplied."
    })
    assert isinstance(exc, BadRequestError)
    assert exc.hint is not None and "'code'" in exc.hint
    assert "\nHint: the token request lacks" in str(exc)


async def test_s6_full_authentication_hints_basic_auth(
    mock_client: Callable[..., AllegroClient],
) -> None:
    exc = await raised(mock_client, 401, {
        "error": "unauthorized",
        "error_description": "Full authentication is required to access this resource",
    })
    assert isinstance(exc, AuthenticationError)
    assert exc.hint is not None and "Basic" in exc.hint


@pytest.mark.parametrize("status", [401, 403])
async def test_s7_names_the_user_name_and_scopes_of_the_token_sent(
    status: int, mock_client: Callable[..., AllegroClient]
) -> None:
    token = make_jwt(user_name="10000002", client_id="app-1",
                     scope=["allegro:api:orders:read"], exp=2_000_000_000)
    exc = await raised(mock_client, status, {"errors": [
        {"code": "AccessDenied", "message": "Access is denied", "userMessage": "No access"}
    ]}, access_token=token)
    assert isinstance(exc, (AuthenticationError, PermissionDeniedError))
    assert exc.hint is not None and "must belong to the seller" in exc.hint
    assert "user_name='10000002'" in exc.hint
    assert "allegro:api:orders:read" in exc.hint
    assert token not in str(exc) and token not in exc.hint


async def test_s7_for_a_token_that_is_not_a_jwt(mock_client: Callable[..., AllegroClient]) -> None:
    exc = await raised(mock_client, 403, {"errors": [{"code": "AccessDenied"}]},
                       access_token="opaque-token-value")
    assert exc.hint is not None and "not a readable JWT" in exc.hint


async def test_s8_foreign_environment_token(mock_client: Callable[..., AllegroClient]) -> None:
    exc = await raised(mock_client, 401, {
        "error": "invalid_token", "error_description": "Cannot convert access token to JSON"
    })
    assert isinstance(exc, AuthenticationError)
    assert exc.code == "invalid_token"
    assert exc.hint is not None and "sandbox" in exc.hint


async def test_s17_schedule_in_the_past(mock_client: Callable[..., AllegroClient]) -> None:
    exc = await raised(mock_client, 422, {"errors": [{
        "code": "IllegalArgumentException",
        "message": "You cannot schedule activating an offer in the past",
        "path": "publication.scheduledFor",
    }]})
    assert type(exc) is UnprocessableEntityError
    assert exc.hint is not None and "scheduledFor" in exc.hint


@pytest.mark.parametrize(
    ("message", "limit"),
    [
        ("You cannot create new drafts - your account has exceeded the maximum number 20000 "
         "of drafts.", 20000),
        ("You cannot create new drafts - your account has exceeded the maximum number 40 000 "
         "of drafts.", 40000),
    ],
)
async def test_s19_drafts_limit_is_its_own_class_with_the_limit(
    message: str, limit: int, mock_client: Callable[..., AllegroClient]
) -> None:
    body = {"errors": [{"code": "TooManyDrafts", "message": message}]}
    exc = await raised(mock_client, 422, body)
    assert isinstance(exc, DraftsLimitError) and isinstance(exc, UnprocessableEntityError)
    assert exc.limit == limit
    assert exc.hint is not None and "maximum number of drafts" in exc.hint
    assert "publication_status='INACTIVE'" in exc.hint


def test_s19_limit_from_metadata_when_the_message_has_none() -> None:
    exc = DraftsLimitError(status_code=422, method="POST", path="/sale/product-offers", errors=[])
    assert exc.limit is None
    from allegro_async.errors import ErrorDetail

    exc = DraftsLimitError(
        status_code=422, method="POST", path="/x",
        errors=[ErrorDetail(message="drafts", metadata={"maxInactiveOffers": "20000"})],
    )
    assert exc.limit == 20000


async def test_a6_app_token_on_a_user_resource(mock_client: Callable[..., AllegroClient]) -> None:
    app_token = make_jwt(client_id="app-1", scope=["allegro:api:sale:offers:read"])
    exc = await raised(mock_client, 403, {"errors": [
        {"code": "AccessDenied", "message": "User name from JWT cannot be empty"}
    ]}, access_token=app_token)
    assert exc.hint is not None and "app token" in exc.hint
    assert "client_credentials" in exc.hint


async def test_s7_for_an_app_token_says_it_has_no_user() -> None:
    request = httpx.Request("GET", "https://api.allegro.pl/order/checkout-forms",
                            headers={"Authorization": f"Bearer {make_jwt(client_id='a')}"})
    exc = error_for_response(httpx.Response(403, json={}, request=request))
    assert exc.hint is not None and "app token" in exc.hint


async def test_401_without_a_token_says_none_was_sent() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert "Authorization" not in request.headers
        return httpx.Response(401, json={"error": "unauthorized"})

    async with AllegroClient(transport=httpx.MockTransport(handler), **BARE) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.request("GET", "/me")
    assert info.value.hint is not None and "No bearer token" in info.value.hint


async def test_unknown_cause_has_no_hint(mock_client: Callable[..., AllegroClient]) -> None:
    exc = await raised(mock_client, 404, {"errors": [{"code": "NotFoundException"}]})
    assert exc.hint is None and "Hint" not in str(exc)
