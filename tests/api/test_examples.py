"""Every success example in the spec parses into the operation's generated model."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from allegro_async.api import OPERATIONS, resolve_model
from tests.api.conftest import spec_operations

JSON_MEDIA = ("application/vnd.allegro", "application/json")
#: Examples of the spec that its own schema refuses: (operationId, error location) -> why.
SPEC_DEFECTS = {
    ("getOfferEvents", "offerEvents.0.OfferVisibilityChangedEvent.offer.publication.marketplaces"
     ".additional.0.status"): "the example holds the field's schema, not a value",
}


def _examples(spec: dict[str, Any]) -> list[tuple[str, str, Any]]:
    found = []
    for _, _, raw in spec_operations(spec):
        for code, response in raw["responses"].items():
            if not str(code).startswith("2"):
                continue
            for media_type, media in (response.get("content") or {}).items():
                if not media_type.startswith(JSON_MEDIA):
                    continue
                values = [media["example"]] if "example" in media else []
                values += [e["value"] for e in (media.get("examples") or {}).values()
                           if "value" in e]
                found += [(raw["operationId"], f"{code} {media_type}", v) for v in values]
    return found


def test_every_success_example_parses_into_its_model(spec: dict[str, Any]) -> None:
    examples = _examples(spec)
    assert len(examples) > 100
    failures = []
    for operation_id, where, value in examples:
        dotted = OPERATIONS[operation_id].response_model
        assert dotted is not None, f"{operation_id} {where} has an example but no model"
        try:
            resolve_model(dotted).model_validate(value)
        except ValidationError as exc:
            places = {".".join(map(str, e["loc"])) for e in exc.errors()}
            if all((operation_id, place) in SPEC_DEFECTS for place in places):
                continue
            failures.append(f"{operation_id} {where}: {str(exc)[:300]}")
    assert not failures, "\n".join(failures)


def test_the_index_carries_each_operations_success_example(spec: dict[str, Any]) -> None:
    by_id = {}
    for operation_id, _, value in _examples(spec):
        by_id.setdefault(operation_id, value)
    for operation_id, value in by_id.items():
        example = OPERATIONS[operation_id].example
        assert example is not None and json.loads(example) == value, operation_id
