"""The bodies' matrix over every generated method: each case is one kind of bad body or bad
field (a required field missing, a wrong type, an unknown enum value, ...) given to every body
or field it applies to, with every other argument valid. A case holds when each call raises
``InvalidArgumentError`` naming ``body`` or the field's path (``body.offers[0].id``) with a
fix, and sends no request. Fields are found by walking a valid body (the emulator's builder)
beside the spec's request rules, so a new operation is covered unnamed."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from allegro_async import AllegroClient
from allegro_async.api import OPERATIONS
from allegro_async.api._operation import Operation
from allegro_async.testing.emulator import spec_responses
from tests.api.test_every_method import _arguments

from ._matrix import (
    Capture,
    binary_only_ops,
    entry,
    fields,
    json_ops,
    method_of,
    refused,
    rules,
    set_at,
    valid_body,
)


def _replace(new: Callable[[dict[str, Any], Any], Any]) -> Callable[[Any, Any], None]:
    def change(container: Any, key: Any) -> None:
        container[key] = new({}, container[key])
    return change


@dataclass(frozen=True)
class BodyCase:
    """A change to one field of a valid body that every field ``applies`` selects gets."""

    name: str
    applies: Callable[[dict[str, Any], Any, tuple[Any, Any, Any]], bool]
    change: Callable[[Any, Any], None]


def _required(rule: dict[str, Any], value: Any, where: tuple[Any, Any, Any]) -> bool:
    _, key, parent = where
    return isinstance(key, str) and key in (parent.get("r") or ())


def _typed(kind: str) -> Callable[[dict[str, Any], Any, tuple[Any, Any, Any]], bool]:
    return lambda rule, value, where: rule.get("t") == kind and "e" not in rule


def _delete(container: Any, key: Any) -> None:
    del container[key]


BODY_CASES = [
    BodyCase("required field missing", _required, _delete),
    BodyCase("required field None", lambda r, v, w: _required(r, v, w) and not r.get("n"),
             _replace(lambda r, v: None)),
    BodyCase("integer given text", _typed("integer"), _replace(lambda r, v: "7")),
    BodyCase("integer given a float", _typed("integer"), _replace(lambda r, v: 1.5)),
    BodyCase("integer given a bool", _typed("integer"), _replace(lambda r, v: True)),
    BodyCase("number nan", lambda r, v, w: r.get("t") in ("integer", "number"),
             _replace(lambda r, v: math.nan)),
    BodyCase("boolean given text", _typed("boolean"), _replace(lambda r, v: "true")),
    BodyCase("text given a list", _typed("string"), _replace(lambda r, v: ["x"])),
    BodyCase("object given a list", lambda r, v, w: isinstance(v, dict) and bool(r.get("p")),
             _replace(lambda r, v: [v])),
    BodyCase("array given an object", lambda r, v, w: isinstance(v, list),
             _replace(lambda r, v: {"items": v})),
    BodyCase("enum unknown value", lambda r, v, w: "e" in r and isinstance(v, str),
             _replace(lambda r, v: "NO_SUCH_VALUE_X")),
    BodyCase("integer below minimum", lambda r, v, w: r.get("t") == "integer" and "lo" in r,
             _replace(lambda r, v: -(2**40))),
    BodyCase("integer above maximum", lambda r, v, w: r.get("t") == "integer" and "hi" in r,
             _replace(lambda r, v: 2**40)),
    BodyCase("text too long", lambda r, v, w: "lh" in r and isinstance(v, str),
             _replace(lambda r, v: "x" * 100_000)),
    BodyCase("text not matching the pattern", lambda r, v, w: "pt" in r and isinstance(v, str),
             _replace(lambda r, v: "~~~")),
    BodyCase("uuid not a uuid", lambda r, v, w: r.get("f") == "uuid" and isinstance(v, str),
             _replace(lambda r, v: "not-a-uuid")),
    BodyCase("array with too few items", lambda r, v, w: isinstance(v, list) and
             r.get("il", 0) > 0, _replace(lambda r, v: [])),
]


def _body_targets(case: BodyCase) -> list[tuple[Operation, str, Any]]:
    out = []
    for op in json_ops():
        body = valid_body(op)
        if not isinstance(body, dict) or entry(op) not in rules():
            continue
        for path, rule, value, where in fields(body, entry(op), "body"):
            if case.applies(rule, value, where):
                out.append((op, path, body))
    return out


async def _call_with_body(op: Operation, body: Any, fields: tuple[str, ...],
                          capture: Capture, client: AllegroClient) -> str | None:
    kwargs = _arguments(method_of(client, op), op)
    kwargs["body"] = body
    return await refused(client, capture, op, kwargs, fields)


@pytest.mark.parametrize("case", BODY_CASES, ids=lambda c: c.name)
async def test_bad_body_fields_are_refused_naming_their_path(case: BodyCase) -> None:
    try:
        targets = _body_targets(case)
    except ImportError:
        pytest.fail("no request-body rules table")
    assert targets, f"no generated method's body has a field for {case.name!r}"
    capture = Capture()
    problems = []
    async with AllegroClient(access_token="t", transport=httpx.MockTransport(capture)) as client:
        for op, path, body in targets:
            bad = set_at(body, entry(op), path, case.change)
            problem = await _call_with_body(op, bad, (path,), capture, client)
            if problem:
                problems.append(f"{path}: {problem}")
    assert not problems, f"{len(problems)} of {len(targets)}:\n" + "\n".join(problems[:10])


WHOLE_BODY_CASES: list[tuple[str, Callable[[Operation], bool], Any]] = [
    ("None where the spec requires a body", lambda op: op.body_required, None),
    ("text as a JSON body", lambda op: op in json_ops(), '{"a": 1}'),
    ("bytes as a JSON-only body", lambda op: op in json_ops() and not any(
        not spec_responses.is_json(t.replace(" ", "")) for t in op.request_media_types), b"{}"),
    ("a list as an object body", lambda op: op in json_ops() and
     rules().get(entry(op), {}).get("t") == "object", [{"a": 1}]),
    ("a number as a body", lambda op: op in json_ops(), 5),
    ("text as an upload", lambda op: op in binary_only_ops(), "file contents"),
]


@pytest.mark.parametrize("case", WHOLE_BODY_CASES, ids=lambda c: c[0])
async def test_bodies_of_the_wrong_kind_arerefused(
        case: tuple[str, Callable[[Operation], bool], Any]) -> None:
    name, applies, bad = case
    try:
        targets = [op for _, op in sorted(OPERATIONS.items()) if applies(op)]
    except ImportError:
        pytest.fail("no request-body rules table")
    assert targets, name
    capture = Capture()
    problems = []
    async with AllegroClient(access_token="t", transport=httpx.MockTransport(capture)) as client:
        for op in targets:
            problem = await _call_with_body(op, bad, ("body",), capture, client)
            if problem:
                problems.append(problem)
    assert not problems, f"{len(problems)} of {len(targets)}:\n" + "\n".join(problems[:10])


