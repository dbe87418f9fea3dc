"""Every generated method is called once against the emulator, through the whole client stack
(argument layer, throttle, retries, auth), with the suite's conformance recorder on: each call
must send a request the spec allows and get a result of the method's type."""

from __future__ import annotations

import contextlib
import inspect
import json
from typing import Any

import pytest

from allegro_async.api import OPERATIONS
from allegro_async.errors import APIError
from allegro_async.testing import Emulator
from allegro_async.testing.emulator import spec_index, spec_responses
from allegro_async.testing.emulator.limits import LimitsConfig
from tests.emulator.test_spec_ops import SPEC_AMBIGUOUS_BODIES, all_scopes, value_for


def _arguments(method: Any, operation: Any) -> dict[str, Any]:
    """Keyword arguments for a valid call: required parameters, and the body the emulator's
    builder makes for the request model (a file for binary uploads)."""
    signature = inspect.signature(method)
    kwargs: dict[str, Any] = {}
    for param in operation.params:
        if param.python_name not in signature.parameters:
            continue  # negotiated headers (Accept, Content-Type) the method sets itself
        if param.location == "path" or (param.required and param.type != "object"):
            value: Any = value_for(param)
            if param.type == "array":
                value = [value]
            elif param.type == "integer":
                value = int(value)
            elif param.type == "boolean":
                value = True
            kwargs[param.python_name] = value
    if "body" in signature.parameters and operation.request_media_types:
        kind = operation.request_media_types[0].replace(" ", "")
        if spec_responses.is_json(kind) and operation.request_model is not None:
            model = spec_index.model(operation.request_model)
            kwargs["body"] = json.loads(json.dumps(
                spec_responses.built(model, spec_responses.stable_seed(operation.path))))
        elif not spec_responses.is_json(kind):
            kwargs["body"] = spec_responses.binary_body(kind)
            if "content_type" in signature.parameters:
                kwargs["content_type"] = kind
    return kwargs


async def test_every_generated_method_answers_through_the_client() -> None:
    emulator = Emulator(limits=LimitsConfig(enabled=False))
    token = emulator.mint_token(0, scopes=all_scopes())
    problems: list[str] = []
    called = refused = 0
    async with emulator.client(access_token=token) as client:
        for operation_id, operation in sorted(OPERATIONS.items()):
            if f"{operation.method} {operation.path}" in SPEC_AMBIGUOUS_BODIES:
                continue
            area, name = operation.name.split(".")
            method = getattr(getattr(client.api, area), name)
            # an operation Allegro deprecated warns when called, and only such a one
            warns = pytest.deprecated_call() if operation.deprecated else \
                contextlib.nullcontext()
            try:
                with warns:
                    await method(**_arguments(method, operation))
                called += 1
            except APIError:
                # Allegro's answer for a resource this emulator does not hold (an id no
                # create made: 404) or a business rule (422), in Allegro's shape: the call
                # went out and came back typed
                refused += 1
            except Exception as exc:  # collected: one line per operation that failed
                problems.append(f"{operation_id} {operation.name}: {type(exc).__name__}: "
                                f"{str(exc)[:200]}")
    assert not problems, f"{len(problems)} of {len(OPERATIONS)}:\n" + "\n".join(problems)
    assert called + refused >= len(OPERATIONS) - len(SPEC_AMBIGUOUS_BODIES)
    assert called > 200  # most answer with their typed result
