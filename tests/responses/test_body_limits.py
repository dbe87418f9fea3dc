"""What a response body can cost is bounded: error bodies are read up to 64 KiB, success
bodies up to ``max_response_bytes``; counted in bytes the server side produced, not RSS."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from allegro_async import AllegroClient
from allegro_async._error_body import MAX_ERROR_BODY_BYTES
from allegro_async._response import BoundedBodyTransport
from allegro_async.errors import (
    InvalidArgumentError,
    ResponseTooLargeError,
    ResponseValidationError,
    ServerError,
)
from allegro_async.retry import RetryPolicy

CHUNK = 64 * 1024
HUNDRED_MB = 100 * 1024 * 1024


class Source(httpx.AsyncByteStream):
    """A body produced chunk by chunk on demand, counting what was taken from it."""

    def __init__(self, total: int, head: bytes = b"") -> None:
        self.total = total
        self.head = head
        self.produced = 0
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.produced < self.total:
            if self.produced == 0 and self.head:
                chunk = self.head
            else:
                chunk = b" " * min(CHUNK, self.total - self.produced)
            self.produced += len(chunk)
            yield chunk

    async def aclose(self) -> None:
        self.closed = True


class Serving(httpx.AsyncBaseTransport):
    """Answers every request with ``status`` and a fresh :class:`Source` body."""

    def __init__(self, status: int, total: int, head: bytes = b"",
                 length: int | None = None) -> None:
        self.status, self.total, self.head, self.length = status, total, head, length
        self.sources: list[Source] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        source = Source(self.total, self.head)
        self.sources.append(source)
        headers = {"content-type": "application/vnd.allegro.public.v1+json", "trace-id": "t-9"}
        if self.length is not None:
            headers["content-length"] = str(self.length)
        return httpx.Response(self.status, headers=headers, stream=source)


def _client(transport: httpx.AsyncBaseTransport, **options: object) -> AllegroClient:
    return AllegroClient(access_token="token-abcdef", throttle=False, retry=False,
                         transport=transport, **options)  # type: ignore[arg-type]


async def test_a_100_mb_error_body_is_read_only_up_to_64_kib() -> None:
    head = json.dumps({"errors": [{"code": "InternalServerError", "message": "boom"}]})
    serving = Serving(500, HUNDRED_MB, head=head.encode())
    async with _client(serving) as client:
        with pytest.raises(ServerError) as caught:
            await client.request("GET", "/sale/offers")
    source, = serving.sources
    assert source.produced <= MAX_ERROR_BODY_BYTES + CHUNK  # not the 100 MB
    assert source.closed
    assert caught.value.status_code == 500 and caught.value.trace_id == "t-9"
    assert len(caught.value.body_text) <= 4096 and len(str(caught.value)) < 1000


async def test_an_allegro_error_body_within_the_cap_keeps_its_errors() -> None:
    body = json.dumps({"errors": [{"code": "VALIDATION_ERROR", "message": "bad name"}]})
    serving = Serving(422, len(body), head=body.encode())
    async with _client(serving) as client:
        with pytest.raises(Exception) as caught:
            await client.request("POST", "/sale/product-offers", json={})
    assert getattr(caught.value, "code", None) == "VALIDATION_ERROR"


async def test_a_success_body_past_the_limit_raises_and_stops_reading() -> None:
    serving = Serving(200, HUNDRED_MB)
    async with _client(serving, max_response_bytes=1024 * 1024) as client:
        with pytest.raises(ResponseTooLargeError) as caught:
            await client.request("GET", "/order/events")
    source, = serving.sources
    assert source.produced <= 1024 * 1024 + CHUNK
    assert source.closed
    assert caught.value.limit == 1024 * 1024 and caught.value.trace_id == "t-9"
    assert isinstance(caught.value, ResponseValidationError)  # a 2xx the client cannot use
    assert "max_response_bytes" in str(caught.value)


async def test_a_declared_length_past_the_limit_raises_before_reading() -> None:
    serving = Serving(200, HUNDRED_MB, length=HUNDRED_MB)
    async with _client(serving, max_response_bytes=1024 * 1024) as client:
        with pytest.raises(ResponseTooLargeError):
            await client.request("GET", "/order/events")
    assert serving.sources[0].produced == 0 and serving.sources[0].closed


async def test_a_body_within_the_limit_is_read_whole() -> None:
    payload = json.dumps({"events": [], "pad": "x" * (900 * 1024)}).encode()
    serving = Serving(200, len(payload), head=payload)
    async with _client(serving, max_response_bytes=1024 * 1024) as client:
        data = await client.request("GET", "/order/events")
    assert data["events"] == [] and len(data["pad"]) == 900 * 1024


async def test_the_default_limit_is_generous() -> None:
    serving = Serving(200, 8 * 1024 * 1024, head=b'"')
    async with _client(serving) as client:
        with pytest.raises(ResponseValidationError) as caught:  # not JSON, but read whole
            await client.request("GET", "/order/events")
    assert not isinstance(caught.value, ResponseTooLargeError)
    assert serving.sources[0].produced == 8 * 1024 * 1024


@pytest.mark.parametrize("limit", [0, -1, 1.5, True])
def test_a_bad_limit_is_refused(limit: object) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        BoundedBodyTransport(httpx.MockTransport(lambda r: httpx.Response(200)),
                             max_response_bytes=limit)  # type: ignore[arg-type]
    assert caught.value.field == "max_response_bytes"


async def test_through_the_full_stack_the_stopped_body_is_closed() -> None:
    # the throttle's slots come back when the body is closed: a stopped read must close it
    serving = Serving(200, HUNDRED_MB)
    async with AllegroClient(access_token="token-abcdef", transport=serving,
                             max_response_bytes=CHUNK * 4) as client:
        for _ in range(3):
            with pytest.raises(ResponseTooLargeError):
                await client.request("GET", "/order/events")
    assert [s.closed for s in serving.sources] == [True, True, True]
    assert all(s.produced <= CHUNK * 5 for s in serving.sources)


async def test_a_head_answer_declaring_a_large_length_is_not_refused() -> None:
    serving = Serving(200, 0, length=HUNDRED_MB)
    async with _client(serving, max_response_bytes=1024 * 1024) as client:
        raw = await client.request_raw("HEAD", "/sale/offers")
    assert raw.status_code == 200


async def test_a_retried_5xx_body_is_read_only_up_to_the_cap() -> None:
    # The retry layer sits below the bounded-body layer: each retried 503 was read whole.
    serving = Serving(503, HUNDRED_MB)
    async with AllegroClient(access_token="token-abcdef", throttle=False,
                             retry=RetryPolicy(max_retries=2, sleep=_no_wait),
                             transport=serving) as client:
        with pytest.raises(ServerError):
            await client.request("GET", "/sale/offers")
    assert len(serving.sources) == 3
    assert all(s.produced <= MAX_ERROR_BODY_BYTES + CHUNK and s.closed for s in serving.sources)


async def _no_wait(seconds: float) -> None:
    return None


class Compressed(httpx.AsyncBaseTransport):
    """Answers with ``body`` sent under ``encoding``, in small network chunks."""

    def __init__(self, status: int, body: bytes, encoding: str = "gzip") -> None:
        self.status, self.body, self.encoding = status, body, encoding
        self.sent = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self

        class Chunks(httpx.AsyncByteStream):
            async def __aiter__(self) -> AsyncIterator[bytes]:
                for at in range(0, len(transport.body), 4096):
                    transport.sent += len(transport.body[at:at + 4096])
                    yield transport.body[at:at + 4096]

        return httpx.Response(self.status, stream=Chunks(), headers={
            "content-type": "application/vnd.allegro.public.v1+json",
            "content-encoding": self.encoding,
            "content-length": str(len(self.body))})


def _gzip(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data, compresslevel=9)


async def test_a_gzip_bomb_stops_at_the_limit_of_decoded_bytes() -> None:
    # 1 GiB of zeros in about 1 MB of gzip: inflated whole it would take a gigabyte
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb = b"".join(packer.compress(b"\0" * (64 << 20)) for _ in range(16)) + packer.flush()
    assert len(bomb) < 2 << 20
    transport = Compressed(200, bomb)
    async with AllegroClient("t", transport=transport, throttle=False, retry=False,
                             max_response_bytes=1 << 20) as client:
        with pytest.raises(ResponseTooLargeError) as caught:
            await client.request("GET", "/me")
    assert caught.value.limit == 1 << 20
    assert transport.sent < len(bomb)  # reading stopped early, the rest never came


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw deflate", "two gzip members"])
async def test_compressed_bodies_are_inflated_once_and_parsed(encoding: str) -> None:
    import zlib

    data = json.dumps({"id": "seller-1", "login": "x" * 300_000}).encode()
    body = {"gzip": lambda: _gzip(data),
            "deflate": lambda: zlib.compress(data),
            "raw deflate": lambda: zlib.compress(data, wbits=-zlib.MAX_WBITS),
            "two gzip members": lambda: _gzip(data[:1000]) + _gzip(data[1000:])}[encoding]()
    wire = "gzip" if "gzip" in encoding else "deflate"
    async with AllegroClient("t", transport=Compressed(200, body, wire), throttle=False,
                             retry=False) as client:
        me = await client.request("GET", "/me")
    assert me == {"id": "seller-1", "login": "x" * 300_000}


async def test_a_compressed_error_body_is_inflated_and_cut_at_its_limit() -> None:
    error = {"errors": [{"code": "Oops", "message": "down", "details": None, "path": None,
                         "userMessage": "Try later"}]}
    data = json.dumps(error).encode() + b" " * (10 * MAX_ERROR_BODY_BYTES)
    async with AllegroClient("t", transport=Compressed(503, _gzip(data)), throttle=False,
                             retry=False) as client:
        with pytest.raises(ServerError) as caught:
            await client.request("GET", "/me")
    assert caught.value.status_code == 503


async def test_a_corrupt_gzip_body_is_a_typed_error() -> None:
    from allegro_async.errors import AllegroError

    broken = _gzip(b'{"id": "1"}')[:-12] + b"\xff" * 12
    async with AllegroClient("t", transport=Compressed(200, broken), throttle=False,
                             retry=False) as client:
        with pytest.raises(AllegroError) as caught:
            await client.request("GET", "/me")
    assert "gzip" in str(caught.value)
