"""``http_client=``: the user's ``httpx.AsyncClient`` sends, and throttling and retries stay on
unless both are turned off explicitly."""

from __future__ import annotations

import httpx
import pytest

from allegro_async import AllegroClient, InvalidArgumentError, ServerError
from allegro_async._stack import build_transport
from allegro_async.retry import RetryPolicy
from allegro_async.throttle import Throttle, metrics_of

TOKEN = "token-for-http-client-tests"


class Flaky:
    """Answers 503 once, then 200; records what reached the network side."""

    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if len(self.seen) == 1:
            return httpx.Response(503, json={"errors": [{"code": "Unavailable"}]})
        return httpx.Response(200, json={"id": "1"})


async def _no_sleep(seconds: float) -> None:
    pass


async def test_given_http_client_keeps_throttling_and_retries() -> None:
    network = Flaky()
    hooked: list[str] = []

    async def hook(request: httpx.Request) -> None:
        hooked.append(request.url.path)

    async with httpx.AsyncClient(transport=httpx.MockTransport(network),
                                 event_hooks={"request": [hook]}) as http:
        async with AllegroClient(TOKEN, http_client=http, throttle=Throttle(),
                                 retry=RetryPolicy(sleep=_no_sleep)) as client:
            assert await client.request("GET", "/me") == {"id": "1"}
            metrics = metrics_of(client)
        assert not http.is_closed  # theirs: left open
    assert len(network.seen) == 2  # the 503 was retried
    assert hooked == ["/me", "/me"]  # through the user's client, hooks and all
    assert metrics.retries == 1
    assert metrics.waited_requests == 2  # both sends passed the throttle
    assert metrics.gate_state == "open"
    assert network.seen[-1].headers["Authorization"] == f"Bearer {TOKEN}"


async def test_given_http_client_is_used_as_is_when_both_layers_are_off() -> None:
    network = Flaky()
    async with httpx.AsyncClient(transport=httpx.MockTransport(network)) as http:
        async with AllegroClient(TOKEN, http_client=http, throttle=False, retry=False) as client:
            assert client.http_client is http
            with pytest.raises(ServerError):
                await client.request("GET", "/me")
            with pytest.raises(TypeError):
                metrics_of(client)
        assert not http.is_closed
    assert len(network.seen) == 1  # not retried


async def test_only_one_layer_off_keeps_the_other() -> None:
    network = Flaky()
    http = httpx.AsyncClient(transport=httpx.MockTransport(network))
    async with http, AllegroClient(TOKEN, http_client=http, throttle=False,
                                   retry=RetryPolicy(sleep=_no_sleep)) as client:
        assert await client.request("GET", "/me") == {"id": "1"}
        assert metrics_of(client).gate_state == "off"
    assert len(network.seen) == 2


async def test_user_client_redirect_and_auth_settings_do_not_change_the_call() -> None:
    seen: list[httpx.Request] = []

    def network(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(303, headers={"Location": "https://api.allegro.pl/sale/offers/1"})

    http = httpx.AsyncClient(transport=httpx.MockTransport(network), follow_redirects=True,
                             auth=httpx.BasicAuth("someone", "else"))
    async with http, AllegroClient(TOKEN, http_client=http, throttle=False,
                                   retry=RetryPolicy(sleep=_no_sleep)) as client:
        raw = await client.request_raw("GET", "/sale/product-offers/1/operations/2")
    assert raw.status_code == 303  # A10 reads the 303 itself
    assert [r.headers["Authorization"] for r in seen] == [f"Bearer {TOKEN}"]


def test_http_client_that_already_has_the_layers_is_refused() -> None:
    stack = build_transport(httpx.MockTransport(lambda r: httpx.Response(200)),
                            throttle=False, retry=RetryPolicy())
    http = httpx.AsyncClient(transport=stack)
    with pytest.raises(InvalidArgumentError) as info:
        AllegroClient(TOKEN, http_client=http)
    assert info.value.field == "http_client"
    assert "twice" in str(info.value) and "throttle=False, retry=False" in str(info.value)
    assert AllegroClient(TOKEN, http_client=http, throttle=False,
                         retry=False).http_client is http
