"""Helpers for the foundation tests: JWTs made on the spot, a client over a mock transport."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from allegro_async import AllegroClient


def b64url(data: bytes) -> str:
    """Base64url without padding, as JWT segments are written."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(**claims: Any) -> str:
    """An unsigned-looking JWT (RS256 header, fake signature) with the given claims (A6)."""
    header = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims).encode())
    return f"{header}.{payload}.{b64url(b'not-a-real-signature')}"


#: Only the client layer: no throttle, no retries (those layers have their own tests).
BARE: dict[str, Any] = {"throttle": False, "retry": False}

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def mock_client() -> Callable[..., AllegroClient]:
    """Build an AllegroClient whose transport answers with ``handler``."""

    def build(handler: Handler, **kwargs: Any) -> AllegroClient:
        for key, value in BARE.items():
            kwargs.setdefault(key, value)
        kwargs.setdefault("access_token", make_jwt(user_name="10000001", scope=["allegro:api"]))
        return AllegroClient(transport=httpx.MockTransport(handler), **kwargs)

    return build
