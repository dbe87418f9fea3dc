"""Answers built from the spec's raw schemas, parsed by the generated methods as a user's call
parses them: the spec (read from ../shared/spec), each operation's response schema, a client
whose transport answers with a given body, and a walk from a JSON path to the parsed value.

``ALLEGRO_SPEC_SEED`` varies the answers (default: a fixed seed, so a run is repeatable).
"""

from __future__ import annotations

import functools
import json
import os
import zlib
from enum import Enum
from typing import Any

import httpx
from pydantic import BaseModel, RootModel

from allegro_async import AllegroClient
from allegro_async.api import OPERATIONS, resolve_model
from allegro_async.api._operation import Operation
from tests.conftest import SPEC
from tests.spec_answers._schema import SpecSchemas

SEED = int(os.environ.get("ALLEGRO_SPEC_SEED", "20260"))
JSON_TYPE = "application/json"


@functools.cache
def raw_spec() -> dict[str, Any] | None:
    """The spec as written (schema names unrenamed), or None when the file is absent."""
    if not SPEC.exists():
        return None
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data: dict[str, Any] = yaml.load(SPEC.read_bytes(), Loader=loader)
    return data


@functools.cache
def class_names() -> dict[str, str]:
    """Spec schema name -> generated class name (the generator renames a few)."""
    from tools.apigen.spec import load

    raw = raw_spec()
    assert raw is not None
    names = list(raw["components"]["schemas"])
    # the generator keeps the spec's order and appends the schemas it hoists from operations
    return dict(zip(names, list(load(str(SPEC)).schemas)[: len(names)], strict=True))


def seed_for(operation_id: str) -> int:
    """The seed of one operation's answers: the same whatever else runs."""
    return SEED ^ zlib.crc32(operation_id.encode())


def json_operations() -> list[str]:
    """The operations whose success answer is a JSON body with a model, by operationId."""
    return sorted(o for o, op in OPERATIONS.items() if op.response_model is not None)


def _success_content(operation_id: str) -> tuple[str, dict[str, Any]]:
    raw = raw_spec()
    assert raw is not None
    op = OPERATIONS[operation_id]
    response = raw["paths"][op.path][op.method.lower()]["responses"][str(op.success_status)]
    if "$ref" in response:
        response = raw["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    content: dict[str, Any] = response["content"]
    media = op.response_media_type if op.response_media_type in content else next(iter(content))
    return media, content[media]


def response_of(operation_id: str) -> tuple[str, dict[str, Any]]:
    """The declared media type and the raw schema of an operation's success answer."""
    media, content = _success_content(operation_id)
    return media, content["schema"]


def examples_of(operation_id: str) -> list[tuple[str, Any]]:
    """The spec's own examples of an operation's success answer, with their media type."""
    media, content = _success_content(operation_id)
    values = [content["example"]] if "example" in content else []
    values += [e["value"] for e in (content.get("examples") or {}).values() if "value" in e]
    return [(media, value) for value in values]


@functools.cache
def discriminator_sites(operation_id: str) -> dict[str, tuple[str, ...]]:
    """Each discriminator an answer of the operation can hold -> its mapped tags (found by
    forcing every tag of each site met, until no new site shows up)."""
    from tests.spec_answers._build import AnswerBuilder

    raw = raw_spec()
    assert raw is not None
    _, schema = response_of(operation_id)
    found: dict[str, tuple[str, ...]] = {}
    pending: list[dict[str, str]] = [{}]
    while pending:
        builder = AnswerBuilder(raw, seed_for(operation_id), "full", force=pending.pop())
        builder.build(schema)
        for record in builder.record.tags:
            if record.site not in found:
                found[record.site] = record.mapped
                pending += [{record.site: tag} for tag in record.mapped]
    return found


@functools.cache
def union_sites(operation_id: str) -> dict[str, int]:
    """Each union without a discriminator an answer of the operation can hold -> how many
    options it has (every tag and option forced in turn, so nested unions show up too)."""
    from tests.spec_answers._build import AnswerBuilder

    raw = raw_spec()
    assert raw is not None
    _, schema = response_of(operation_id)
    pending = [{site: tag} for site, tags in discriminator_sites(operation_id).items()
               for tag in tags] + [{}]
    found: dict[str, int] = {}
    while pending:
        builder = AnswerBuilder(raw, seed_for(operation_id), "full", force=pending.pop())
        builder.build(schema)
        for record in builder.record.unions:
            if record.site not in found:
                found[record.site] = len(record.options)
                pending += [{record.site: str(i)} for i in range(len(record.options))]
    return found


@functools.cache
def spec_schemas() -> SpecSchemas:
    """The spec's schemas as JSON Schema, converted once."""
    raw = raw_spec()
    assert raw is not None
    return SpecSchemas(raw)


@functools.cache
def _arguments(operation_id: str) -> tuple[tuple[str, Any], ...]:
    """Keyword arguments of a valid call (what the request carries does not matter here)."""
    from tests.api.test_every_method import _arguments as valid_arguments

    op = OPERATIONS[operation_id]
    area, name = op.name.split(".")
    # never sends; a transport of its own spares it the TLS setup of a real one
    probe = AllegroClient(access_token="token", retry=False, throttle=False,
                          transport=httpx.MockTransport(lambda request: httpx.Response(500)))
    method = getattr(getattr(probe.api, area), name)
    return tuple(valid_arguments(method, op).items())


async def answer_with(operation_id: str, body: Any, media_type: str) -> Any:
    """The result of the generated method when Allegro answers ``body`` as ``media_type``."""
    op: Operation = OPERATIONS[operation_id]
    content_type = JSON_TYPE if "*" in media_type else media_type
    payload = json.dumps(body).encode()

    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(op.success_status, content=payload,
                              headers={"content-type": content_type})

    async with AllegroClient(access_token="token", retry=False, throttle=False,
                             transport=httpx.MockTransport(reply)) as client:
        area, name = op.name.split(".")
        method = getattr(getattr(client.api, area), name)
        return await method(**dict(_arguments(operation_id)))


def why(operation_id: str, body: Any, exc: BaseException) -> str:
    """One line on a refused answer: the error, and where the model refuses (first three)."""
    line = f"{type(exc).__name__}: {str(exc)[:300]}"
    try:
        resolve_model(str(OPERATIONS[operation_id].response_model)).model_validate(body)
    except Exception as detail:  # the model's own account of it, for the report
        errors = getattr(detail, "errors", None)
        if callable(errors):
            line += " | " + "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['type']}"
                for e in errors(include_url=False, include_input=False)[:3]
            )
    return line


def step(value: Any, key: str | int) -> Any:
    """One step along a JSON path in a parsed result (a field by its wire name, a kept unknown
    field, a list index or a map key)."""
    while isinstance(value, RootModel):
        value = value.root
    if isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            if (info.alias or name) == key:
                return value.__dict__.get(name)  # not getattr: no deprecation warnings
        extra = value.model_extra or {}
        if key in extra:
            return extra[key]
        raise LookupError(f"{type(value).__name__} has no {key!r}")
    if isinstance(value, (list, tuple, dict)):
        return value[key]  # type: ignore[index]
    raise LookupError(f"{type(value).__name__} at {key!r}")


def locate(value: Any, path: tuple[str | int, ...]) -> Any:
    """The parsed value at a JSON path of the answer."""
    for key in path:
        value = step(value, key)
    return value


def unwrap(value: Any) -> Any:
    """The value inside root models (a named union parses into one around its option)."""
    while isinstance(value, RootModel):
        value = value.root
    return value


def declared(value: Any, key: str) -> bool:
    """Whether ``key`` is a declared field of the model ``value`` (not a kept unknown one)."""
    return isinstance(value, BaseModel) and any(
        (info.alias or name) == key for name, info in type(value).model_fields.items()
    )


def plain(value: Any) -> Any:
    """An enum member's value (inside a root model too); anything else as it is."""
    value = unwrap(value)
    return value.value if isinstance(value, Enum) else value


def where(path: tuple[str | int, ...]) -> str:
    """A JSON path as text: ``checkoutForms/0/status``."""
    return "/".join(map(str, path)) or "<root>"
