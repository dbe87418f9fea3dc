"""Stacked content codings (``gzip, gzip``, or two ``Content-Encoding`` headers) are undone
layer by layer, every layer's output counted against the body limit; more than two layers, or
a coding the client does not bound, is an error before the body is read."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import AsyncIterator

import httpx
import pytest

from allegro_async import AllegroClient
from allegro_async._error_body import MAX_ERROR_BODY_BYTES
from allegro_async.errors import ResponseTooLargeError, ServerError, TransportError

LIMIT = 256 * 1024


class Encoded(httpx.AsyncBaseTransport):
    """Answers with ``body`` under the given ``Content-Encoding`` header lines, in 4 KiB
    chunks, counting what was sent and keeping the requests."""

    def __init__(self, body: bytes, *codings: str, status: int = 200) -> None:
        self.body, self.codings, self.status = body, codings, status
        self.sent = 0
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        transport = self

        class Chunks(httpx.AsyncByteStream):
            async def __aiter__(self) -> AsyncIterator[bytes]:
                for at in range(0, len(transport.body), 4096):
                    transport.sent += len(transport.body[at:at + 4096])
                    yield transport.body[at:at + 4096]

        headers = [("content-type", "application/vnd.allegro.public.v1+json")]
        headers += [("content-encoding", coding) for coding in self.codings]
        return httpx.Response(self.status, stream=Chunks(), headers=headers)


def _client(transport: httpx.AsyncBaseTransport, **options: object) -> AllegroClient:
    return AllegroClient("t", transport=transport, throttle=False, retry=False,
                         **options)  # type: ignore[arg-type]


def _bomb(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return packer.compress(b"\0" * size) + packer.flush()


# One header listing two codings, and two headers of one coding each: the same layers.
STACKED = [("gzip, gzip",), ("gzip", "gzip")]


@pytest.mark.parametrize("codings", STACKED)
async def test_a_doubly_gzipped_bomb_stops_at_the_limit(codings: tuple[str, ...]) -> None:
    # 16 MiB of zeros, gzipped twice: a few hundred bytes on the wire
    body = gzip.compress(_bomb(16 << 20))
    assert len(body) < 64 * 1024
    transport = Encoded(body, *codings)
    async with _client(transport, max_response_bytes=LIMIT) as client:
        with pytest.raises(ResponseTooLargeError) as caught:
            await client.request("GET", "/me")
    assert caught.value.limit == LIMIT


async def test_every_layer_counts_not_only_the_last() -> None:
    # The inner layer: 200 000 empty gzip members, 4 MiB that inflate to nothing at all.
    # The outer layer shrinks that to a few KiB; only counting its output stops it.
    empties = gzip.compress(b"") * 200_000
    body = gzip.compress(empties)
    transport = Encoded(body, "gzip", "gzip")
    async with _client(transport, max_response_bytes=LIMIT) as client:
        with pytest.raises(ResponseTooLargeError):
            await client.request("GET", "/me")


@pytest.mark.parametrize("codings", [*STACKED, ("deflate", "gzip"), ("gzip", "identity")])
async def test_stacked_layers_within_the_limit_are_decoded(codings: tuple[str, ...]) -> None:
    data = json.dumps({"id": "seller-1", "login": "x" * 100_000}).encode()
    body = data
    for coding in ", ".join(codings).split(", "):
        if coding == "gzip":
            body = gzip.compress(body)
        elif coding == "deflate":
            body = zlib.compress(body)
    async with _client(Encoded(body, *codings), max_response_bytes=LIMIT) as client:
        me = await client.request("GET", "/me")
    assert me == {"id": "seller-1", "login": "x" * 100_000}


async def test_more_than_two_layers_are_refused_before_reading() -> None:
    body = gzip.compress(gzip.compress(gzip.compress(b'{"id": "1"}')))
    transport = Encoded(body, "gzip", "gzip, gzip")
    async with _client(transport) as client:
        with pytest.raises(TransportError) as caught:
            await client.request("GET", "/me")
    assert "3 layers" in str(caught.value) and transport.sent == 0


@pytest.mark.parametrize("coding", ["br", "zstd", "compress", "x-unknown"])
async def test_an_unknown_coding_is_an_error_not_bytes_handed_on(coding: str) -> None:
    transport = Encoded(b'{"id": "1"}', coding)
    async with _client(transport) as client:
        with pytest.raises(TransportError) as caught:
            await client.request("GET", "/me")
    assert coding in str(caught.value) and transport.sent == 0


async def test_only_bounded_codings_are_asked_for() -> None:
    transport = Encoded(b'{"id": "1"}')
    async with _client(transport) as client:
        await client.request("GET", "/me")
        await client.request("GET", "/me", headers={"Accept-Encoding": "br, gzip;q=0.5"})
        await client.request("GET", "/me", headers={"Accept-Encoding": "br, zstd"})
    assert [r.headers["accept-encoding"] for r in transport.requests] == [
        "gzip, deflate", "gzip;q=0.5", "identity"]


async def test_a_stacked_error_body_is_cut_at_its_limit_not_refused() -> None:
    error = {"errors": [{"code": "Oops", "message": "down", "userMessage": "Try later"}]}
    data = json.dumps(error).encode() + b" " * (10 * MAX_ERROR_BODY_BYTES)
    transport = Encoded(gzip.compress(gzip.compress(data)), "gzip, gzip", status=503)
    async with _client(transport) as client:
        with pytest.raises(ServerError) as caught:
            await client.request("GET", "/me")
    assert caught.value.status_code == 503 and caught.value.code == "Oops"
