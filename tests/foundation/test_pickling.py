"""Exceptions survive pickling (multiprocessing, task queues) without their httpx response."""

from __future__ import annotations

import pickle

import httpx

from allegro_async.errors import (
    ConnectError,
    DraftsLimitError,
    ErrorDetail,
    InvalidArgumentError,
    RateLimitedError,
    error_for_response,
)


def test_api_error_round_trips_with_its_details() -> None:
    request = httpx.Request("GET", "https://api.allegro.pl/sale/product-offers")
    response = httpx.Response(
        422, request=request, headers={"trace-id": "abc"},
        json={"errors": [{"code": "VALIDATION_ERROR", "message": "You cannot create new drafts "
                          "- your account has exceeded the maximum number 20000 of drafts."}]},
    )
    error = error_for_response(response)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is DraftsLimitError
    assert copy.limit == 20000 and copy.trace_id == "abc" and copy.status_code == 422
    assert copy.errors == error.errors and copy.errors[0] == ErrorDetail(
        code="VALIDATION_ERROR", message=error.errors[0].message)
    assert copy.response is None and str(copy) == str(error)


def test_local_and_transport_errors_round_trip() -> None:
    invalid = pickle.loads(pickle.dumps(InvalidArgumentError("limit", "is 0", "give 1..100")))
    assert (invalid.field, invalid.fix) == ("limit", "give 1..100")
    connect = pickle.loads(pickle.dumps(ConnectError("refused", method="GET", path="/me")))
    assert (connect.method, connect.path) == ("GET", "/me")
    limited = RateLimitedError(status_code=429, method="GET", path="/me")
    limited.waited, limited.reason = 61.5, "app_block"
    copy = pickle.loads(pickle.dumps(limited))
    assert (copy.waited, copy.reason) == (61.5, "app_block")


def test_every_error_pickles_by_its_public_module() -> None:
    # the classes are written in several modules; pickles made by one version must load in
    # another, so each names allegro_async.errors, the path users import from
    import allegro_async.errors as errors

    for name in errors.__all__:
        found = getattr(errors, name)
        if isinstance(found, type) and issubclass(found, BaseException):
            assert found.__module__ == "allegro_async.errors", name
    error = error_for_response(httpx.Response(404, request=httpx.Request("GET", "https://x/y")))
    data = pickle.dumps(error, protocol=4)
    assert b"allegro_async.errors" in data and b"_api_errors" not in data
    assert b"_error_base" not in data
