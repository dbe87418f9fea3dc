"""Public classes written in a module of their own keep naming the module users import them
from, so pickles made by one version load in another and reprs and docs stay the same."""

from __future__ import annotations

import importlib
import pickle

import pytest

#: module users import from -> the public classes it re-exports from a module of its own
HOMES = {
    "allegro_async.auth.tokens": ["Token", "FileTokenStore"],
    "allegro_async.auth.flows": ["AuthorizationError", "AuthorizationCodeError",
                                 "DeviceFlowError", "DeviceAccessDenied", "DeviceCodeExpired"],
    "allegro_async.consumers": ["Backoff", "ConsumerMetrics"],
}


@pytest.mark.parametrize("module", sorted(HOMES))
def test_each_class_names_its_public_module(module: str) -> None:
    found = importlib.import_module(module)
    for name in HOMES[module]:
        cls = getattr(found, name)
        assert cls.__module__ == module, name
        assert getattr(importlib.import_module(cls.__module__), cls.__qualname__) is cls


def test_a_token_pickles_by_its_public_module() -> None:
    from allegro_async.auth.tokens import Token

    token = Token(access_token="at-pickled-9f3c2e", refresh_token="rt-pickled-4b7d1a",
                  expires_at=1.0)
    data = pickle.dumps(token, protocol=4)
    assert b"allegro_async.auth.tokens" in data and b"auth._token" not in data
    assert pickle.loads(data) == token


def test_a_flow_error_pickles_by_its_public_module() -> None:
    from allegro_async.auth.flows import AuthorizationError, DeviceCodeExpired

    for error in (AuthorizationError("refused", error="access_denied", hint="log in again"),
                  DeviceCodeExpired("the device code expired")):
        data = pickle.dumps(error, protocol=4)
        assert b"allegro_async.auth.flows" in data and b"_flow_errors" not in data
        copy = pickle.loads(data)
        assert type(copy) is type(error) and str(copy) == str(error)
