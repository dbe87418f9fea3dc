"""The hot path's shortcuts keep behaviour: the response stream is wrapped in place, and
requests leave out only the owned httpx client's defaults they would repeat."""

from __future__ import annotations

import httpx

from allegro_async import AllegroClient
from allegro_async.config import PUBLIC_MEDIA_TYPE
from allegro_async.throttle import Throttle
from allegro_async.throttle.transport import ThrottledTransport

URL = "https://api.allegro.pl/me"


async def test_a_streamed_response_is_wrapped_in_place_and_holds_its_slots() -> None:
    inner = httpx.MockTransport(lambda request: httpx.Response(
        200, stream=httpx.ByteStream(b'{"id": "1"}')))
    throttle = Throttle(max_in_flight=2)
    transport = ThrottledTransport(inner, throttle)
    seen: list[httpx.Response] = []

    class Recording(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(await inner.handle_async_request(request))
            return seen[-1]

    transport.inner = Recording()
    response = await transport.handle_async_request(httpx.Request("GET", URL))
    assert response is seen[0]  # no second Response copying the headers
    assert throttle.in_flight.in_use == 1
    assert await response.aread() == b'{"id": "1"}'
    await response.aclose()
    assert throttle.in_flight.in_use == 0


async def test_every_header_reaches_the_wire_once_with_its_value() -> None:
    sent: list[httpx.Headers] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers)
        return httpx.Response(200, json={})

    async with AllegroClient("tok-123456", transport=httpx.MockTransport(answer)) as client:
        await client.request("GET", "/me")
        view = client.with_options(headers={"User-Agent": "mine/1"}, accept_language="pl-PL")
        await view.request("GET", "/me", media_type="beta")
    first, second = (dict(h.multi_items()) for h in sent)
    assert [v for k, v in sent[0].multi_items() if k == "user-agent"] == [
        client._headers["User-Agent"]]
    assert [v for k, v in sent[0].multi_items() if k == "accept"] == [PUBLIC_MEDIA_TYPE]
    assert first["authorization"] == "Bearer tok-123456"
    assert [v for k, v in sent[1].multi_items() if k == "user-agent"] == ["mine/1"]
    assert [v for k, v in sent[1].multi_items() if k == "accept"] == [
        "application/vnd.allegro.beta.v1+json"]
    assert second["accept-language"] == "pl-PL"
