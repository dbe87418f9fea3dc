"""What the argument matrices share: a transport that counts requests, calling a generated
method and judging its outcome, and valid bodies walked beside the spec's request rules."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from allegro_async import AllegroClient
from allegro_async.api import OPERATIONS
from allegro_async.api._operation import Operation, Param
from allegro_async.errors import InvalidArgumentError
from allegro_async.testing.emulator import spec_index, spec_responses


class Capture:
    """A transport that counts requests and answers 404."""

    def __init__(self) -> None:
        self.sent = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        return httpx.Response(404, json={"errors": [{"code": "NOT_FOUND"}]})


def method_of(client: AllegroClient, op: Operation) -> Any:
    """The generated method of ``op`` on ``client.api``."""
    area, name = op.name.split(".")
    return getattr(getattr(client.api, area), name)


def names(p: Param) -> tuple[str, ...]:
    """The names an error may give the parameter: the wire name or the keyword."""
    return (p.name, p.python_name)


async def refused(client: AllegroClient, capture: Capture, op: Operation,
                  kwargs: dict[str, Any], named: tuple[str, ...]) -> str | None:
    """``None`` when the call is refused as it must be, else what went wrong."""
    before = capture.sent
    try:
        await method_of(client, op)(**kwargs)
    except InvalidArgumentError as exc:
        if capture.sent != before:
            return f"{op.operation_id}: refused after sending"
        if not exc.fix or not any(exc.field == f or exc.field.startswith((f + "[", f + "."))
                                  for f in named):
            return f"{op.operation_id}: refused naming {exc.field!r}, not {named}"
        return None
    except Exception as exc:  # the matrix reports every other outcome
        return f"{op.operation_id}: {type(exc).__name__}: {str(exc)[:120]}"
    return f"{op.operation_id}: accepted ({capture.sent - before} request(s) sent)"


def valid_body(op: Operation) -> Any:
    """A body the spec allows (the emulator's builder), or a file for an upload."""
    kinds = [t.replace(" ", "") for t in op.request_media_types]
    if op.request_model is None or not kinds or not spec_responses.is_json(kinds[0]):
        return spec_responses.binary_body(kinds[0]) if kinds else None
    model = spec_index.model(op.request_model)
    return json.loads(json.dumps(spec_responses.built(model, spec_responses.stable_seed(
        op.path))))


def json_ops() -> list[Operation]:
    """The operations taking a JSON body."""
    return [op for _, op in sorted(OPERATIONS.items())
            if op.request_model is not None and any(
                spec_responses.is_json(t.replace(" ", "")) for t in op.request_media_types)]


def binary_only_ops() -> list[Operation]:
    """The operations taking only a file."""
    return [op for _, op in sorted(OPERATIONS.items()) if op.request_media_types and not any(
        spec_responses.is_json(t.replace(" ", "")) for t in op.request_media_types)]


def rules() -> dict[str, Any]:
    """The generated request-body rules table."""
    from allegro_async.api._request_rules import RULES

    table: dict[str, Any] = RULES
    return table


def entry(op: Operation) -> str:
    """The name of the operation's body in the rules table."""
    return (op.request_model or "").rsplit(".", 1)[-1]


def fields(value: Any, node: Any, path: str) -> Iterator[tuple[str, Any, Any, Any]]:
    """(path, rule, value, container) of each field of a valid body that a rule names, outside
    undiscriminated alternatives (where no one field is to blame)."""
    table = rules()
    while isinstance(node, str):
        node = table[node]
    tag = node.get("d")
    if tag and isinstance(value, dict) and value.get(tag[0]) in tag[1]:
        yield from fields(value, tag[1][value[tag[0]]], path)
        return
    if "o" in node:
        return
    if isinstance(value, dict):
        for key, rule in (node.get("p") or {}).items():
            if key in value:
                sub = rule
                while isinstance(sub, str):
                    sub = table[sub]
                yield f"{path}.{key}", sub, value[key], (value, key, node)
                yield from fields(value[key], sub, f"{path}.{key}")
    elif isinstance(value, list) and value and "i" in node:
        sub = node["i"]
        while isinstance(sub, str):
            sub = table[sub]
        yield f"{path}[0]", sub, value[0], (value, 0, node)
        yield from fields(value[0], sub, f"{path}[0]")


def set_at(body: Any, name: str, path: str, change: Callable[[Any, Any], None]) -> Any:
    """A copy of ``body`` with ``change(container, key)`` applied at ``path``."""
    copy = json.loads(json.dumps(body))
    for (p, _, _, (container, key, _)) in fields(copy, name, "body"):
        if p == path:
            change(container, key)
            return copy
    raise AssertionError(path)
