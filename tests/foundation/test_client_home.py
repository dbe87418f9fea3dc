"""AllegroClient is named from allegro_async.client wherever it shows (reprs, pickles, the
reference docs), its request path included, though that path is written in another module."""

from __future__ import annotations

import pickle
import sys
import typing

import httpx
import pytest

import allegro_async
from allegro_async.client import DEFAULT_TIMEOUT, USER_AGENT, AllegroClient

REQUEST_PATH = ("build_request", "send", "request_raw", "request", "_send_and_read")


def test_the_client_and_its_constants_import_from_where_they_always_did() -> None:
    assert allegro_async.AllegroClient is AllegroClient
    assert AllegroClient.__module__ == "allegro_async.client"
    assert allegro_async.__version__ in USER_AGENT
    assert isinstance(DEFAULT_TIMEOUT, httpx.Timeout)


def test_the_request_path_is_named_as_the_clients_own() -> None:
    client = AllegroClient(access_token="token", retry=False, throttle=False)
    for name in REQUEST_PATH:
        method = getattr(AllegroClient, name)
        assert (method.__module__, method.__qualname__) == (
            "allegro_async.client", f"AllegroClient.{name}")
        assert pickle.loads(pickle.dumps(method)) is method
        assert repr(getattr(client, name)).startswith(f"<bound method AllegroClient.{name} ")


@pytest.mark.skipif(sys.version_info < (3, 11), reason="typing.get_overloads is 3.11+")
def test_the_overloads_of_request_are_found_under_the_clients_name() -> None:
    variants = typing.get_overloads(AllegroClient.request)
    assert variants
    assert {(v.__module__, v.__qualname__) for v in variants} == {
        ("allegro_async.client", "AllegroClient.request")}
