"""A matrix over every generated method (``client.api``): each case is one kind of bad input
(a ``nan`` limit, an unknown enum value, a body without a required field, ...) given to every
parameter or body it applies to, with every other argument valid. A case holds when each call
raises ``InvalidArgumentError`` naming the parameter (or the field's path in the body) with a
fix, and sends no request.

The targets are found in the spec's index (``OPERATIONS``) and, for bodies, by walking a valid
body (the emulator's builder) beside the spec's rules, so a new operation is covered unnamed.
"""

from __future__ import annotations

import datetime as _dt
import enum
import inspect
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from allegro_async import AllegroClient
from allegro_async.api import OPERATIONS
from allegro_async.api._operation import Operation, Param
from allegro_async.errors import InvalidArgumentError
from allegro_async.testing.emulator import spec_index, spec_responses
from tests.api.test_every_method import _arguments


class _Other(enum.Enum):
    UNKNOWN = "NO_SUCH_VALUE_X"


@dataclass(frozen=True)
class ParamCase:
    """Bad input for every parameter ``applies`` selects."""

    name: str
    applies: Callable[[Operation, Param], bool]
    bad: Callable[[Param], Any]


def _kind(p: Param) -> str:
    return p.items_type if p.type == "array" and p.items_type else p.type


def _q(kind: str, *, enum_: bool = False, fmt: str | None = None) -> Callable[
        [Operation, Param], bool]:
    def applies(op: Operation, p: Param) -> bool:
        return (p.location == "query" and p.type == kind and bool(p.enum) == enum_
                and (fmt is None or (p.format or "").lower() == fmt))
    return applies


def _int(op: Operation, p: Param) -> bool:
    return p.location == "query" and p.type == "integer"


def _fmt(name: str) -> Callable[[Operation, Param], bool]:
    return lambda op, p: p.location in ("query", "header") and p.type == "string" and (
        p.format or "").lower() == name and not p.enum


def _plain_text(op: Operation, p: Param) -> bool:
    fmt = (p.format or "").lower()
    return (p.location == "query" and p.type == "string" and not p.enum
            and fmt not in ("uuid", "date-time"))


def _header(enum_: bool) -> Callable[[Operation, Param], bool]:
    return lambda op, p: p.location == "header" and bool(p.enum) == enum_ and (
        enum_ or not p.format)


def _path(uuid_: bool | None = None) -> Callable[[Operation, Param], bool]:
    return lambda op, p: p.location == "path" and (
        uuid_ is None or ((p.format or "").lower() == "uuid") == uuid_)


NAIVE = _dt.datetime(2030, 1, 1, 12)
PARAM_CASES = [
    ParamCase("integer nan", _int, lambda p: math.nan),
    ParamCase("integer inf", _int, lambda p: math.inf),
    ParamCase("integer -inf", _int, lambda p: -math.inf),
    ParamCase("integer float", _int, lambda p: 1.5),
    ParamCase("integer text", _int, lambda p: "5"),
    ParamCase("integer bool", _int, lambda p: True),
    ParamCase("integer beyond int64", _int, lambda p: 2**64),
    ParamCase("int32 beyond its range", lambda o, p: _int(o, p) and p.format == "int32"
              and p.maximum is None, lambda p: 2**31),
    ParamCase("integer below minimum", lambda o, p: _int(o, p) and p.minimum is not None,
              lambda p: int(p.minimum or 0) - 1),
    ParamCase("integer above maximum", lambda o, p: _int(o, p) and p.maximum is not None,
              lambda p: int(p.maximum or 0) + 1),
    ParamCase("integer list", _int, lambda p: [1]),
    ParamCase("number nan", _q("number"), lambda p: math.nan),
    ParamCase("number inf", _q("number"), lambda p: math.inf),
    ParamCase("number text", _q("number"), lambda p: "abc"),
    ParamCase("number bool", _q("number"), lambda p: True),
    ParamCase("number below minimum", lambda o, p: _q("number")(o, p) and
              p.minimum is not None, lambda p: (p.minimum or 0) - 1),
    ParamCase("boolean text", _q("boolean"), lambda p: "yes"),
    ParamCase("boolean int", _q("boolean"), lambda p: 1),
    ParamCase("boolean float nan", _q("boolean"), lambda p: math.nan),
    ParamCase("text float", _plain_text, lambda p: 1.5),
    ParamCase("text nan", _plain_text, lambda p: math.nan),
    ParamCase("text bytes", _plain_text, lambda p: b"x"),
    ParamCase("text mapping", _plain_text, lambda p: {"a": "b"}),
    ParamCase("text object", _plain_text, lambda p: object()),
    ParamCase("text naive datetime", _plain_text, lambda p: NAIVE),
    ParamCase("uuid not a uuid", _fmt("uuid"), lambda p: "not-a-uuid"),
    ParamCase("uuid int", _fmt("uuid"), lambda p: 12345),
    ParamCase("date-time naive", _fmt("date-time"), lambda p: NAIVE),
    ParamCase("date-time words", _fmt("date-time"), lambda p: "yesterday"),
    ParamCase("date-time date only", _fmt("date-time"), lambda p: "2030-01-01"),
    ParamCase("date-time text without zone", _fmt("date-time"),
              lambda p: "2030-01-01T10:00:00"),
    ParamCase("date-time month 13", _fmt("date-time"), lambda p: "2030-13-01T10:00:00Z"),
    ParamCase("date-time int", _fmt("date-time"), lambda p: 1700000000),
    ParamCase("enum unknown value", _q("string", enum_=True), lambda p: "NO_SUCH_VALUE_X"),
    ParamCase("enum int", _q("string", enum_=True), lambda p: 5),
    ParamCase("enum member of another enum", _q("string", enum_=True),
              lambda p: _Other.UNKNOWN),
    ParamCase("array mapping", lambda o, p: p.location == "query" and p.type == "array",
              lambda p: {"a": "b"}),
    ParamCase("array bytes", lambda o, p: p.location == "query" and p.type == "array",
              lambda p: b"x"),
    ParamCase("array item float", lambda o, p: p.location == "query" and p.type == "array",
              lambda p: [1.5]),
    ParamCase("array item None", lambda o, p: p.location == "query" and p.type == "array",
              lambda p: [None]),
    ParamCase("array item unknown enum value", _q("array", enum_=True),
              lambda p: ["NO_SUCH_VALUE_X"]),
    ParamCase("required query None", lambda o, p: p.location == "query" and p.required,
              lambda p: None),
    ParamCase("required list empty", lambda o, p: p.location == "query" and p.required
              and p.type == "array", lambda p: []),
    ParamCase("header unknown enum value", _header(True), lambda p: "xx-XX"),
    ParamCase("header enum int", _header(True), lambda p: 5),
    ParamCase("header line break", _header(False), lambda p: "a\r\nX-Injected: 1"),
    ParamCase("header float", _header(False), lambda p: 1.5),
    ParamCase("header date naive datetime", lambda o, p: p.location == "header" and
              "day-name" in (p.format or ""), lambda p: NAIVE),
    ParamCase("path None", _path(), lambda p: None),
    ParamCase("path slash", _path(False), lambda p: "a/b"),
    ParamCase("path empty", _path(), lambda p: ""),
    ParamCase("path float", _path(), lambda p: 1.5),
    ParamCase("path bool", _path(), lambda p: True),
    ParamCase("path uuid not a uuid", _path(True), lambda p: "12345"),
    ParamCase("mapping given text", _q("object"), lambda p: "a=b"),
    ParamCase("mapping given a list", _q("object"), lambda p: ["a"]),
    ParamCase("mapping key not text", _q("object"), lambda p: {1: "x"}),
    ParamCase("mapping value object", _q("object"), lambda p: {"x": object()}),
    ParamCase("mapping value nan", _q("object"), lambda p: {"x": math.nan}),
]


class Capture:
    """A transport that counts requests and answers 404."""

    def __init__(self) -> None:
        self.sent = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        return httpx.Response(404, json={"errors": [{"code": "NOT_FOUND"}]})


def _method(client: AllegroClient, op: Operation) -> Any:
    area, name = op.name.split(".")
    return getattr(getattr(client.api, area), name)


def _names(p: Param) -> tuple[str, ...]:
    return (p.name, p.python_name)


async def _refused(client: AllegroClient, capture: Capture, op: Operation,
                   kwargs: dict[str, Any], fields: tuple[str, ...]) -> str | None:
    """``None`` when the call is refused as it must be, else what went wrong."""
    before = capture.sent
    try:
        await _method(client, op)(**kwargs)
    except InvalidArgumentError as exc:
        if capture.sent != before:
            return f"{op.operation_id}: refused after sending"
        if not exc.fix or not any(exc.field == f or exc.field.startswith((f + "[", f + "."))
                                  for f in fields):
            return f"{op.operation_id}: refused naming {exc.field!r}, not {fields}"
        return None
    except Exception as exc:  # the matrix reports every other outcome
        return f"{op.operation_id}: {type(exc).__name__}: {str(exc)[:120]}"
    return f"{op.operation_id}: accepted ({capture.sent - before} request(s) sent)"


def _param_targets(case: ParamCase) -> list[tuple[Operation, Param]]:
    return [(op, p) for _, op in sorted(OPERATIONS.items()) for p in op.params
            if p.python_name and case.applies(op, p)]


@pytest.mark.parametrize("case", PARAM_CASES, ids=lambda c: c.name)
async def test_bad_query_header_and_path_values_are_refused_before_sending(
        case: ParamCase) -> None:
    targets = _param_targets(case)
    assert targets, f"no generated method has a parameter for {case.name!r}"
    capture = Capture()
    problems = []
    async with AllegroClient(access_token="t", transport=httpx.MockTransport(capture)) as client:
        for op, p in targets:
            if p.python_name not in inspect.signature(_method(client, op)).parameters:
                continue  # a media-type header the method sets from its accept/content_type
            kwargs = _arguments(_method(client, op), op)
            kwargs.pop("body", None)
            if op.body_required:
                kwargs["body"] = _valid_body(op)
            kwargs[p.python_name] = case.bad(p)
            problem = await _refused(client, capture, op, kwargs, _names(p))
            if problem:
                problems.append(f"{p.name}: {problem}")
    assert not problems, f"{len(problems)} of {len(targets)}:\n" + "\n".join(problems[:10])


async def test_a_mapping_parameter_may_not_name_a_declared_parameter() -> None:
    capture = Capture()
    problems = []
    async with AllegroClient(access_token="t", transport=httpx.MockTransport(capture)) as client:
        for op, p in _param_targets(PARAM_CASES[-1]):
            for declared in (q for q in op.params if q.location == "query" and q is not p):
                kwargs = _arguments(_method(client, op), op)
                kwargs[p.python_name] = {declared.name: "1"}
                problem = await _refused(client, capture, op, kwargs, (p.python_name,))
                if problem:
                    problems.append(f"{declared.name}: {problem}")
    assert not problems, "\n".join(problems[:10])


# -- bodies -----------------------------------------------------------------------------------
def _valid_body(op: Operation) -> Any:
    kinds = [t.replace(" ", "") for t in op.request_media_types]
    if op.request_model is None or not kinds or not spec_responses.is_json(kinds[0]):
        return spec_responses.binary_body(kinds[0]) if kinds else None
    model = spec_index.model(op.request_model)
    return json.loads(json.dumps(spec_responses.built(model, spec_responses.stable_seed(
        op.path))))


def _json_ops() -> list[Operation]:
    return [op for _, op in sorted(OPERATIONS.items())
            if op.request_model is not None and any(
                spec_responses.is_json(t.replace(" ", "")) for t in op.request_media_types)]


def _binary_only_ops() -> list[Operation]:
    return [op for _, op in sorted(OPERATIONS.items()) if op.request_media_types and not any(
        spec_responses.is_json(t.replace(" ", "")) for t in op.request_media_types)]


def _rules() -> dict[str, Any]:
    from allegro_async.api._request_rules import RULES

    rules: dict[str, Any] = RULES
    return rules


def _entry(op: Operation) -> str:
    return (op.request_model or "").rsplit(".", 1)[-1]


def _fields(value: Any, node: Any, path: str) -> Iterator[tuple[str, Any, Any, Any]]:
    """(path, rule, value, container) of each field of a valid body that a rule names, outside
    undiscriminated alternatives (where no one field is to blame)."""
    rules = _rules()
    while isinstance(node, str):
        node = rules[node]
    tag = node.get("d")
    if tag and isinstance(value, dict) and value.get(tag[0]) in tag[1]:
        yield from _fields(value, tag[1][value[tag[0]]], path)
        return
    if "o" in node:
        return
    if isinstance(value, dict):
        for key, rule in (node.get("p") or {}).items():
            if key in value:
                sub = rule
                while isinstance(sub, str):
                    sub = rules[sub]
                yield f"{path}.{key}", sub, value[key], (value, key, node)
                yield from _fields(value[key], sub, f"{path}.{key}")
    elif isinstance(value, list) and value and "i" in node:
        sub = node["i"]
        while isinstance(sub, str):
            sub = rules[sub]
        yield f"{path}[0]", sub, value[0], (value, 0, node)
        yield from _fields(value[0], sub, f"{path}[0]")


def _set(body: Any, entry: str, path: str, change: Callable[[Any, Any], None]) -> Any:
    """A copy of ``body`` with ``change(container, key)`` applied at ``path``."""
    copy = json.loads(json.dumps(body))
    for (p, _, _, (container, key, _)) in _fields(copy, entry, "body"):
        if p == path:
            change(container, key)
            return copy
    raise AssertionError(path)


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
    for op in _json_ops():
        body = _valid_body(op)
        if not isinstance(body, dict) or _entry(op) not in _rules():
            continue
        for path, rule, value, where in _fields(body, _entry(op), "body"):
            if case.applies(rule, value, where):
                out.append((op, path, body))
    return out


async def _call_with_body(op: Operation, body: Any, fields: tuple[str, ...],
                          capture: Capture, client: AllegroClient) -> str | None:
    kwargs = _arguments(_method(client, op), op)
    kwargs["body"] = body
    return await _refused(client, capture, op, kwargs, fields)


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
            bad = _set(body, _entry(op), path, case.change)
            problem = await _call_with_body(op, bad, (path,), capture, client)
            if problem:
                problems.append(f"{path}: {problem}")
    assert not problems, f"{len(problems)} of {len(targets)}:\n" + "\n".join(problems[:10])


WHOLE_BODY_CASES: list[tuple[str, Callable[[Operation], bool], Any]] = [
    ("None where the spec requires a body", lambda op: op.body_required, None),
    ("text as a JSON body", lambda op: op in _json_ops(), '{"a": 1}'),
    ("bytes as a JSON-only body", lambda op: op in _json_ops() and not any(
        not spec_responses.is_json(t.replace(" ", "")) for t in op.request_media_types), b"{}"),
    ("a list as an object body", lambda op: op in _json_ops() and
     _rules().get(_entry(op), {}).get("t") == "object", [{"a": 1}]),
    ("a number as a body", lambda op: op in _json_ops(), 5),
    ("text as an upload", lambda op: op in _binary_only_ops(), "file contents"),
]


@pytest.mark.parametrize("case", WHOLE_BODY_CASES, ids=lambda c: c[0])
async def test_bodies_of_the_wrong_kind_are_refused(
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


def test_the_matrix_covers_every_kind_of_parameter() -> None:
    # each parameter of every generated method is the target of at least one case
    uncovered = {(p.location, p.type, _kind(p), bool(p.enum), p.format)
                 for op in OPERATIONS.values() for p in op.params
                 if p.python_name and not any(c.applies(op, p) for c in PARAM_CASES)}
    assert not uncovered, uncovered

