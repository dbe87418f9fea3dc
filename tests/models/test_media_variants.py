"""An operation whose public and beta media types carry different schemas parses the answer
with the model of the answer's Content-Type."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from allegro_async import AllegroClient
from allegro_async.api import models as generated
from allegro_async.config import BETA_MEDIA_TYPE, PUBLIC_MEDIA_TYPE

API = "https://api.allegro.pl"
RATING: dict[str, Any] = {"id": "r1", "createdAt": "2025-05-17T08:36:57.292Z",
                          "recommended": True, "buyer": {"id": "b1", "login": "buyer"}}


@pytest.fixture
def client() -> AllegroClient:
    return AllegroClient(access_token="token", retry=False, throttle=False)


@respx.mock
async def test_a_beta_answer_parses_into_the_beta_model(client: AllegroClient) -> None:
    beta = RATING | {"order": {"id": "o1", "offers": []}, "comment": {"text": "fine"}}
    route = respx.get(f"{API}/sale/user-ratings/r1").mock(return_value=httpx.Response(
        200, json=beta, headers={"content-type": BETA_MEDIA_TYPE + "; charset=UTF-8"}))
    rating = await client.api.information_about_user.get_user_rating(
        rating_id="r1", accept=BETA_MEDIA_TYPE)
    assert route.calls.last.request.headers["accept"] == BETA_MEDIA_TYPE
    assert isinstance(rating, generated.UserRatingVBeta1)
    assert rating.comment is not None and rating.order.id == "o1"


@respx.mock
async def test_a_public_answer_parses_into_the_public_model(client: AllegroClient) -> None:
    respx.get(f"{API}/sale/user-ratings/r1").mock(return_value=httpx.Response(
        200, json=RATING | {"comment": "fine"}, headers={"content-type": PUBLIC_MEDIA_TYPE}))
    rating = await client.api.information_about_user.get_user_rating(rating_id="r1")
    assert isinstance(rating, generated.UserRating) and rating.comment == "fine"


@respx.mock
async def test_a_list_of_beta_ratings_and_an_unnamed_media_type(client: AllegroClient) -> None:
    beta = RATING | {"order": {"id": "o1", "offers": []}, "comment": {"text": "fine"}}
    route = respx.get(f"{API}/sale/user-ratings").mock(return_value=httpx.Response(
        200, json={"ratings": [beta]}, headers={"content-type": BETA_MEDIA_TYPE}))
    page = await client.api.information_about_user.get_user_ratings(accept=BETA_MEDIA_TYPE)
    assert isinstance(page, generated.UserRatingListResponseVBeta1)
    route.mock(return_value=httpx.Response(  # no media type Allegro names: the public model
        200, json={"ratings": [RATING]}, headers={"content-type": "application/json"}))
    page = await client.api.information_about_user.get_user_ratings()
    assert isinstance(page, generated.UserRatingListResponse)


@respx.mock
async def test_the_raw_response_parses_by_its_media_type_too(client: AllegroClient) -> None:
    beta = RATING | {"order": {"id": "o1", "offers": []}, "comment": {"text": "fine"}}
    respx.get(f"{API}/sale/user-ratings/r1").mock(return_value=httpx.Response(
        200, json=beta, headers={"content-type": BETA_MEDIA_TYPE}))
    raw = await client.api.information_about_user.with_raw_response.get_user_rating(
        rating_id="r1", accept=BETA_MEDIA_TYPE)
    assert isinstance(raw.parse(), generated.UserRatingVBeta1)
