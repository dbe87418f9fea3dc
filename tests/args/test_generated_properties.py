"""A property over every parameter of every generated method: any value either is refused
with ``InvalidArgumentError`` before a request, or is sent in a form the emulator's own
parameter validation (an independent reading of the spec) accepts. No other exception."""

from __future__ import annotations

import datetime as _dt
import inspect
import json
from typing import Any

import anyio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allegro_async.api import OPERATIONS
from allegro_async.api._operation import Operation, Param
from allegro_async.errors import APIError, InvalidArgumentError, ResponseValidationError
from allegro_async.testing import Emulator
from allegro_async.testing.emulator.limits import LimitsConfig
from tests.api.test_every_method import _arguments
from tests.emulator.test_spec_ops import SPEC_AMBIGUOUS_BODIES, all_scopes

from ._matrix import entry, fields, json_ops, rules, set_at, valid_body

#: What the emulator answers when a parameter breaks the spec (400 or 422).
SPEC_REFUSALS = {"Invalid request parameter", "Request parameter out of range"}

TARGETS = [(op, p) for _, op in sorted(OPERATIONS.items()) for p in op.params
           if p.python_name and not (p.location == "header" and p.name.lower() in (
               "accept", "content-type"))]

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.decimals(allow_nan=True),
    st.text(max_size=12), st.uuids(), st.uuids().map(str),
    st.sampled_from(["2030-01-01T10:00:00Z", "2030-01-01T10:00:00", "2030-01-01", "pl-PL",
                     "READY_FOR_PROCESSING", "a/b", "..", "1,2", "-1", "1.5", "true", ""]),
    st.datetimes(timezones=st.none() | st.just(_dt.timezone.utc)), st.binary(max_size=4),
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3),
                   st.dictionaries(st.text(max_size=6), SCALARS, max_size=2))


def _details(exc: APIError) -> set[str]:
    return {str(e.details) for e in exc.errors}


async def _call(emulator: Emulator, token: str, op: Operation, p: Param, value: Any) -> None:
    async with emulator.client(access_token=token) as client:
        area, name = op.name.split(".")
        method = getattr(getattr(client.api, area), name)
        if p.python_name not in inspect.signature(method).parameters:
            return
        kwargs = _arguments(method, op)
        if op.body_required and "body" not in kwargs:
            kwargs["body"] = valid_body(op)
        kwargs[p.python_name] = value
        before = emulator.stats.requests
        try:
            await method(**kwargs)
        except InvalidArgumentError as exc:
            assert emulator.stats.requests == before, f"{exc.field} refused after sending"
            assert exc.fix
        except APIError as exc:
            wrong = _details(exc) & SPEC_REFUSALS
            assert not wrong, f"{op.operation_id} sent {p.name}={value!r}: {exc}"
        except ResponseValidationError:
            pass  # sent and answered: the answer's shape is another test's concern


def test_any_value_is_refused_locally_or_sent_as_the_spec_allows() -> None:
    emulator = Emulator(limits=LimitsConfig(enabled=False))
    token = emulator.mint_token(0, scopes=all_scopes())

    @settings(max_examples=300, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(target=st.sampled_from(TARGETS), value=VALUES)
    def run(target: tuple[Operation, Param], value: Any) -> None:
        anyio.run(_call, emulator, token, *target, value)

    run()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False)
    | st.text(max_size=8) | st.sampled_from(["2030-01-01T10:00:00Z", "x" * 300, "", "PLN"]),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=2),
    max_leaves=4,
)


def _body_targets() -> list[tuple[Operation, Any, str]]:
    out = []
    for op in json_ops():
        if f"{op.method} {op.path}" in SPEC_AMBIGUOUS_BODIES:
            continue  # bodies the emulator reads differently from the spec's text
        body = valid_body(op)
        if isinstance(body, dict) and entry(op) in rules():
            out += [(op, body, path) for path, *_ in fields(body, entry(op), "body")]
    return out


async def _call_with(emulator: Emulator, token: str, op: Operation, body: Any) -> None:
    async with emulator.client(access_token=token) as client:
        area, name = op.name.split(".")
        method = getattr(getattr(client.api, area), name)
        kwargs = {**_arguments(method, op), "body": body}
        before = emulator.stats.requests
        try:
            await method(**kwargs)
        except InvalidArgumentError as exc:
            assert emulator.stats.requests == before, f"{exc.field} refused after sending"
        except APIError as exc:
            wrong = _details(exc) & {"Invalid request body", "Malformed JSON"}
            assert not wrong, f"{op.operation_id} sent {json.dumps(body)[:300]}: {exc}"
        except ResponseValidationError:
            pass


def test_any_field_value_is_refused_locally_or_sent_as_the_spec_allows() -> None:
    # the emulator validates bodies with its own reading of the spec (the request models)
    emulator = Emulator(limits=LimitsConfig(enabled=False))
    token = emulator.mint_token(0, scopes=all_scopes())
    targets = _body_targets()
    assert len(targets) > 100

    @settings(max_examples=400, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(target=st.sampled_from(targets), value=JSON)
    def run(target: tuple[Operation, Any, str], value: Any) -> None:
        op, body, path = target
        changed = set_at(body, entry(op), path, lambda holder, key: holder.__setitem__(key, value))
        anyio.run(_call_with, emulator, token, op, changed)

    run()
