"""A matrix over every generated method (``client.api``): each case is one kind of bad input
(a ``nan`` limit, an unknown enum value, a list for a mapping, ...) given to every query,
header or path parameter it applies to, with every other argument valid. A case holds when
each call raises ``InvalidArgumentError`` naming the parameter with a fix, and sends no
request.

The targets are found in the spec's index (``OPERATIONS``), so a new operation is covered
unnamed; the bodies' matrix is ``test_generated_bodies.py``.
"""

from __future__ import annotations

import datetime as _dt
import enum
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from allegro_async import AllegroClient
from allegro_async.api import OPERATIONS
from allegro_async.api._operation import Operation, Param
from tests.api.test_every_method import _arguments

from ._matrix import Capture, method_of, names, refused, valid_body


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
            if p.python_name not in inspect.signature(method_of(client, op)).parameters:
                continue  # a media-type header the method sets from its accept/content_type
            kwargs = _arguments(method_of(client, op), op)
            kwargs.pop("body", None)
            if op.body_required:
                kwargs["body"] = valid_body(op)
            kwargs[p.python_name] = case.bad(p)
            problem = await refused(client, capture, op, kwargs, names(p))
            if problem:
                problems.append(f"{p.name}: {problem}")
    assert not problems, f"{len(problems)} of {len(targets)}:\n" + "\n".join(problems[:10])


async def test_a_mapping_parameter_may_not_name_a_declared_parameter() -> None:
    capture = Capture()
    problems = []
    async with AllegroClient(access_token="t", transport=httpx.MockTransport(capture)) as client:
        for op, p in _param_targets(PARAM_CASES[-1]):
            for declared in (q for q in op.params if q.location == "query" and q is not p):
                kwargs = _arguments(method_of(client, op), op)
                kwargs[p.python_name] = {declared.name: "1"}
                problem = await refused(client, capture, op, kwargs, (p.python_name,))
                if problem:
                    problems.append(f"{declared.name}: {problem}")
    assert not problems, "\n".join(problems[:10])


def test_the_matrix_covers_every_kind_of_parameter() -> None:
    # each parameter of every generated method is the target of at least one case
    uncovered = {(p.location, p.type, _kind(p), bool(p.enum), p.format)
                 for op in OPERATIONS.values() for p in op.params
                 if p.python_name and not any(c.applies(op, p) for c in PARAM_CASES)}
    assert not uncovered, uncovered

