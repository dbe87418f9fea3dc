"""Hints are written for users: they say the cause and the fix without the project's internal
behaviour numbers, and an expired token gets the expired-token hint, not the ownership one."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

from allegro_async.auth._wire import token_error
from allegro_async.errors import APIError, error_for_response
from tests.foundation.conftest import make_jwt

INTERNAL_NUMBER = re.compile(r"\b[SA]\d{1,2}\b")
LIVE = make_jwt(user_name="10000002", client_id="app-1", scope=["allegro:api:orders:read"],
                exp=2_000_000_000)
APP = make_jwt(client_id="app-1", scope=["allegro:api:sale:offers:read"])


def answered(status: int, body: Any, token: str | None = LIVE,
             url: str = "https://api.allegro.pl/sale/offers/1") -> APIError:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = httpx.Request("GET", url, headers=headers)
    return error_for_response(httpx.Response(status, json=body, request=request))


KNOWN = {
    "missing code": (400, {"error": "invalid_request",
                           "error_description": "An authorization code must be supplied"}),
    "basic auth": (401, {"error": "unauthorized", "error_description":
                         "Full authentication is required to access this resource"}),
    "ownership": (403, {"errors": [{"code": "AccessDenied", "message": "Access is denied"}]}),
    "environment": (401, {"error": "invalid_token",
                          "error_description": "Cannot convert access token to JSON"}),
    "app token": (403, {"errors": [{"message": "User name from JWT cannot be empty"}]}),
    "schedule": (422, {"errors": [{"message":
                                   "You cannot schedule activating an offer in the past"}]}),
    "drafts": (422, {"errors": [{"message": "You cannot create new drafts - your account has "
                                            "exceeded the maximum number 20000 of drafts."}]}),
}


@pytest.mark.parametrize("case", sorted(KNOWN))
def test_hints_name_no_internal_behaviour_number(case: str) -> None:
    status, body = KNOWN[case]
    error = answered(status, body)
    assert error.hint
    assert not INTERNAL_NUMBER.search(error.hint), error.hint
    assert not INTERNAL_NUMBER.search(str(error)), str(error)


def test_the_refused_refresh_token_hint_names_no_internal_number() -> None:
    request = httpx.Request("POST", "https://allegro.pl/auth/oauth/token")
    error = token_error(httpx.Response(400, json={"error": "invalid_grant"}, request=request),
                        "/auth/oauth/token")
    assert error.hint and "rotate" in error.hint
    assert not INTERNAL_NUMBER.search(error.hint)


def test_an_expired_token_gets_the_expired_token_hint() -> None:
    error = answered(401, {"error": "invalid_token",
                           "error_description": "Access token expired: 4f2a91bc"})
    assert error.hint is not None
    assert "expired" in error.hint and "refresh" in error.hint.lower()
    assert "connect the seller again" in error.hint
    assert "must belong to the seller" not in error.hint  # not the ownership hint


def test_a_401_with_a_token_past_its_exp_gets_the_expired_token_hint() -> None:
    stale = make_jwt(user_name="10000002", client_id="app-1", exp=int(time.time()) - 60)
    error = answered(401, {"errors": [{"code": "Unauthorized", "message": "Unauthorized"}]},
                     token=stale)
    assert error.hint is not None and "has expired" in error.hint


def test_a_live_token_refused_still_gets_the_ownership_hint() -> None:
    error = answered(403, {"errors": [{"code": "AccessDenied"}]})
    assert error.hint is not None and "must belong to the seller" in error.hint
    assert "expired" not in error.hint


async def test_the_emulator_s_expired_token_answer_gets_the_expired_token_hint() -> None:
    from allegro_async.testing import Emulator

    emulator = Emulator()
    async with emulator.client(0, throttle=False, retry=False) as client:
        emulator.clock.advance(13 * 3600)  # access tokens live 12 hours
        with pytest.raises(APIError) as info:
            await client.request("GET", "/me")
    assert info.value.status_code == 401
    assert info.value.hint is not None and "has expired" in info.value.hint
