"""Per-seller state for the CRUD-like areas: contacts, tags, size tables, additional services
groups and the after-sales policies (return policies, implied warranties, warranties).

Each area is a collection path (``GET`` lists, ``POST`` creates) and an item path (``GET``,
``PUT``/``PATCH``, ``DELETE`` where the spec has them). A record starts as a deterministic
instance of the area's response model (so fields Allegro fills in, such as ``seller``, are
there), overlaid with the fields of the request body the request model knows
(:mod:`.spec_validation` has already dropped the rest), under an id the emulator chooses.
Every answer is projected onto the operation's own response model: a list answers the list
item's fields, a create that answers only ``{"id"}`` gives only that.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from allegro_async.api._operation import Operation
from allegro_async.testing.emulator import spec_index, spec_responses
from allegro_async.testing.emulator.http import (
    ApiError,
    emulator_of,
    json_body,
    json_response,
    media_type_of,
    require_user,
)
from allegro_async.testing.emulator.spec_validation import Endpoint, known_only

#: The collection paths of the areas that keep state.
COLLECTIONS = (
    "/sale/offer-contacts",
    "/sale/offer-tags",
    "/sale/size-tables",
    "/sale/offer-additional-services/groups",
    "/after-sales-service-conditions/return-policies",
    "/after-sales-service-conditions/implied-warranties",
    "/after-sales-service-conditions/warranties",
)


@dataclass
class CrudState:
    """Records of the CRUD-like areas: ``records[(collection, seller id)][record id]``."""

    records: dict[tuple[str, str], dict[str, dict[str, Any]]] = field(default_factory=dict)

    def of(self, collection: str, seller: str) -> dict[str, dict[str, Any]]:
        """One seller's records of one area, in creation order."""
        return self.records.setdefault((collection, seller), {})


def _area(operation: Operation) -> tuple[str, bool] | None:
    """(collection, whether ``operation`` is on an item) for the stateful areas."""
    for collection in COLLECTIONS:
        if operation.path == collection:
            return collection, False
        rest = operation.path[len(collection):]
        if (operation.path.startswith(collection + "/{") and rest.count("/") == 1
                and rest.endswith("}")):
            return collection, True
    return None


def _operation(collection: str, method: str, item: bool) -> Operation | None:
    for operation in spec_index.operations().values():
        if operation.method == method and _area(operation) == (collection, item):
            return operation
    return None


def _record_model(collection: str) -> type[BaseModel] | None:
    """The full form of a record: the item GET's answer, else the list's item model."""
    found = _operation(collection, "GET", True)
    if found is not None and found.response_model is not None:
        return spec_index.model(found.response_model)
    listing = _operation(collection, "GET", False)
    if listing is None or listing.response_model is None:
        return None
    key = _list_key(spec_index.model(listing.response_model))
    return None if key is None else _item_model(spec_index.model(listing.response_model), key)


def _list_key(model: type[BaseModel]) -> str | None:
    for name, info in model.model_fields.items():
        if "list[" in str(info.annotation):
            return name
    return None


def _item_model(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    annotation = model.model_fields[name].annotation
    for arg in _args(annotation):
        for inner in _args(arg):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return None


def _args(annotation: Any) -> tuple[Any, ...]:
    return (annotation, *getattr(annotation, "__args__", ()))


def _project(data: dict[str, Any], model: type[BaseModel] | None) -> Any:
    """``data`` cut to the fields ``model`` knows (as it is when it does not validate)."""
    if model is None:
        return data
    try:
        value = model.model_validate(data)
    except ValidationError:
        return data
    return known_only(data, value)


def endpoint_for(operation: Operation) -> Endpoint | None:
    """The stateful endpoint for ``operation``, if its area keeps state."""
    found = _area(operation)
    if found is None:
        return None
    collection, item = found
    kind = {("GET", False): _list, ("POST", False): _create, ("GET", True): _get,
            ("PUT", True): _update, ("PATCH", True): _update,
            ("DELETE", True): _delete}.get((operation.method, item))
    if kind is None:
        return None

    async def endpoint(request: Request) -> Response:
        return await kind(request, operation, collection)

    endpoint.__name__ = f"crud_{operation.operation_id}"
    return endpoint


def _records(request: Request, collection: str) -> dict[str, dict[str, Any]]:
    who = require_user(request)
    return emulator_of(request).crud.of(collection, str(who.user_id))


def _item_id(request: Request) -> str:
    (value,) = request.path_params.values()
    return str(value)


def _found(records: dict[str, dict[str, Any]], record_id: str) -> dict[str, Any]:
    record = records.get(record_id)
    if record is None:
        raise ApiError(404, "NotFoundException", f"Resource {record_id} not found",
                       user_message="The resource does not exist or belongs to another seller.")
    return record


def _answer(request: Request, operation: Operation, record: dict[str, Any] | None) -> Response:
    if record is None or operation.response_model is None:
        return Response(b"", operation.success_status, media_type=media_type_of(request))
    model = spec_index.model(operation.response_model)
    return json_response(request, _project(record, model), operation.success_status)


def _new_record(request: Request, collection: str, record_id: str, body: Any) -> dict[str, Any]:
    emulator = emulator_of(request)
    model = _record_model(collection)
    base: dict[str, Any] = {}
    if model is not None:
        base = spec_responses.built(
            model, spec_responses.stable_seed(emulator.config.seed, collection, record_id))
    if isinstance(base.get("seller"), dict):
        base["seller"] = {**base["seller"], "id": str(require_user(request).user_id)}
    return {**base, **(body if isinstance(body, dict) else {}), "id": record_id}


async def _create(request: Request, operation: Operation, collection: str) -> Response:
    records = _records(request, collection)
    rng = emulator_of(request).random
    record_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    record = _new_record(request, collection, record_id, await json_body(request))
    records[record_id] = record
    return _answer(request, operation, record)


async def _get(request: Request, operation: Operation, collection: str) -> Response:
    record = _found(_records(request, collection), _item_id(request))
    return _answer(request, operation, record)


async def _update(request: Request, operation: Operation, collection: str) -> Response:
    records = _records(request, collection)
    record_id = _item_id(request)
    record = _found(records, record_id)
    body = await json_body(request)
    if operation.method == "PATCH":
        record = {**record, **(body if isinstance(body, dict) else {}), "id": record_id}
    else:  # a PUT replaces what the body says; fields Allegro fills in stay
        record = {**_new_record(request, collection, record_id, body),
                  **{k: v for k, v in record.items() if k in ("seller", "createdAt")}}
    records[record_id] = record
    return _answer(request, operation, record)


async def _delete(request: Request, operation: Operation, collection: str) -> Response:
    records = _records(request, collection)
    record_id = _item_id(request)
    record = _found(records, record_id)
    del records[record_id]
    return _answer(request, operation, record)  # some areas answer the deleted record


async def _list(request: Request, operation: Operation, collection: str) -> Response:
    items = list(_records(request, collection).values())
    query = request.query_params
    offset = int(query.get("offset") or 0)
    limit = query.get("limit")
    page = items[offset:] if limit is None else items[offset:offset + int(limit)]
    if operation.response_model is None:
        return json_response(request, page)
    model = spec_index.model(operation.response_model)
    key = _list_key(model)
    if key is None:
        return json_response(request, page)
    item_model = _item_model(model, key)
    alias = model.model_fields[key].alias or key
    data: dict[str, Any] = {alias: [_project(record, item_model) for record in page]}
    for name, info in model.model_fields.items():
        if name in ("count", "total_count") and info.annotation is not None:
            data[info.alias or name] = len(page) if name == "count" else len(items)
    return json_response(request, data, operation.success_status)
