"""A malformed 2xx body that carries a secret: ResponseValidationError keeps the body for
debugging, with every registered secret scrubbed from it, its message, its repr and its pickle.
"""

from __future__ import annotations

import json
import pickle
import uuid
from typing import Any

import httpx
import pytest

from allegro_async import AllegroClient, _redact
from allegro_async.errors import ResponseValidationError
from tests.foundation.test_secret_canary import assert_no_secret, exception_chain


def _canary() -> str:
    return f"CANARY-body-{uuid.uuid4().hex}"


def _everything(exc: ResponseValidationError, *, internals: bool = True) -> dict[str, str]:
    shown = {"str": str(exc), "repr": repr(exc), "args": repr(exc.args),
             "body": json.dumps(exc.body), "pickle": pickle.dumps(exc).decode("latin-1")}
    restored = pickle.loads(pickle.dumps(exc))
    shown["unpickled body"] = json.dumps(restored.body)
    shown["unpickled str"] = str(restored)
    for n, item in enumerate(exception_chain(exc)):
        shown[f"chain[{n}]"] = f"{item!r} {item.__dict__ if internals else ''!r}"
    return shown


async def _malformed(body: bytes) -> ResponseValidationError:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, content=body))
    async with AllegroClient(access_token="token-abcdef", throttle=False, retry=False,
                             transport=transport) as client:
        with pytest.raises(ResponseValidationError) as caught:
            await client.orders.get("f1")
    return caught.value


async def test_a_canary_in_a_malformed_body_is_not_kept_anywhere() -> None:
    secret = _canary()
    _redact.register(secret)
    body = {"id": 5, "note": {"text": f"echo: Bearer x {secret}"}, secret: [secret],
            "nested": [{"token": f"token={secret}&a=1"}]}
    exc = await _malformed(json.dumps(body).encode())
    for where, text in _everything(exc).items():
        assert_no_secret([secret], where, text)
    # the rest of the body is still there to debug with
    assert exc.body["id"] == 5 and exc.body["***"] == ["***"]
    assert exc.body["note"]["text"].startswith("echo: ")


async def test_a_secret_registered_after_the_error_is_scrubbed_from_body_and_pickle() -> None:
    secret = _canary()
    exc = await _malformed(json.dumps({"id": 5, "echo": secret}).encode())
    _redact.register(secret)  # e.g. the token is refreshed and registered later
    # what the object holds was scrubbed with the secrets known then; what it shows and
    # what a pickle carries is scrubbed again
    for where, text in _everything(exc, internals=False).items():
        assert_no_secret([secret], where, text)


async def test_a_canary_in_a_body_that_is_not_json_is_not_kept() -> None:
    secret = _canary()
    _redact.register(secret)
    exc = await _malformed(f'{{"id": "{secret}" oops'.encode())
    for where, text in _everything(exc).items():
        assert_no_secret([secret], where, text)


def test_a_body_without_secrets_is_kept_as_is() -> None:
    body: Any = {"id": 5, "items": [1, 2.5, None, True, "text"]}
    exc = ResponseValidationError("bad", body=body)
    assert exc.body == body
    assert pickle.loads(pickle.dumps(exc)).body == body
