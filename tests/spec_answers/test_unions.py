"""Tags and enums in answers built from the spec's raw schemas: each tag a discriminator maps
parses into the class the mapping names, with that class's own fields; a tag or an enum value
the spec does not list is kept, not refused."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

import allegro_async.api.models as models
from tests.conftest import require_spec
from tests.spec_answers._build import UNKNOWN_TAG, AnswerBuilder, TagSite, schema_name
from tests.spec_answers.conftest import (
    answer_with,
    class_names,
    declared,
    discriminator_sites,
    json_operations,
    locate,
    plain,
    raw_spec,
    response_of,
    seed_for,
    spec_schemas,
    step,
    union_sites,
    unwrap,
    where,
    why,
)


def _build(operation_id: str, mode: str = "full", **options: Any) -> AnswerBuilder:
    raw = raw_spec()
    assert raw is not None
    return AnswerBuilder(raw, seed_for(operation_id), mode, **options)


def _discriminated_operations() -> list[str]:
    if raw_spec() is None:
        return json_operations()  # each then skips, naming the missing spec
    return [o for o in json_operations() if discriminator_sites(o)]


def _unioned_operations() -> list[str]:
    if raw_spec() is None:
        return json_operations()
    return [o for o in json_operations() if union_sites(o)]


def _has_enums(operation_id: str) -> bool:
    builder = _build(operation_id, unknown_enums=True)
    builder.build(response_of(operation_id)[1])
    return bool(builder.record.enums)


def _enumerated_operations() -> list[str]:
    if raw_spec() is None:
        return json_operations()
    return [o for o in json_operations() if _has_enums(o)]


DISCRIMINATED = _discriminated_operations()
ENUMERATED = _enumerated_operations()
UNIONED = _unioned_operations()


def _check_tag(result: Any, record: TagSite) -> list[str]:
    at = f"{record.site} {record.tag!r} at {where(record.path)}"
    try:
        parsed = unwrap(locate(result, record.path))
    except (LookupError, IndexError) as exc:
        return [f"{at}: not in the result ({exc})"]
    assert record.target is not None
    expected = class_names()[record.target]
    if type(parsed).__name__ != expected or not isinstance(parsed, getattr(models, expected)):
        return [f"{at}: parsed as {type(parsed).__name__}, the mapping names {expected}"]
    empty = [k for k in record.own if not declared(parsed, k) or step(parsed, k) is None]
    return [f"{at}: {expected} lacks its own fields {empty}"] if empty else []


@pytest.mark.parametrize("operation_id", DISCRIMINATED)
async def test_each_mapped_tag_parses_into_its_class(operation_id: str) -> None:
    require_spec()
    media, schema = response_of(operation_id)
    problems: list[str] = []  # each tag with every field, and with the required ones only
    for site, tags in discriminator_sites(operation_id).items():
        for tag, mode in itertools.product(tags, ("full", "minimal")):
            builder = _build(operation_id, mode, force={site: tag})
            body = builder.build(schema)
            try:
                result = await answer_with(operation_id, body, media)
            except Exception as exc:
                problems.append(f"{site} {tag!r} ({mode}): refused: "
                                f"{why(operation_id, body, exc)}")
                continue
            for record in builder.record.tags:
                if record.site == site:
                    problems += [f"({mode}) {line}" for line in _check_tag(result, record)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("operation_id", DISCRIMINATED)
async def test_an_unknown_tag_is_kept(operation_id: str) -> None:
    require_spec()
    media, schema = response_of(operation_id)
    problems: list[str] = []
    for site in discriminator_sites(operation_id):
        builder = _build(operation_id, force={site: UNKNOWN_TAG})
        body = builder.build(schema)
        try:
            result = await answer_with(operation_id, body, media)
        except Exception as exc:
            problems.append(f"{site}: refused: {why(operation_id, body, exc)}")
            continue
        for record in builder.record.tags:
            if record.site != site:
                continue
            try:
                kept = plain(step(locate(result, record.path), record.prop))
            except (LookupError, IndexError) as exc:
                kept = f"<lost: {exc}>"
            if kept != UNKNOWN_TAG:
                problems.append(f"{site} at {where(record.path)}: tag parsed as {kept!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("operation_id", ENUMERATED)
async def test_unknown_enum_values_are_kept(operation_id: str) -> None:
    require_spec()
    media, schema = response_of(operation_id)
    builder = _build(operation_id, unknown_enums=True)
    body = builder.build(schema)
    try:
        result = await answer_with(operation_id, body, media)
    except Exception as exc:
        pytest.fail(f"refused: {why(operation_id, body, exc)}")
    lost = []
    for path, sent in builder.record.enums:
        try:
            kept = plain(locate(result, path))
        except (LookupError, IndexError) as exc:
            kept = f"<lost: {exc}>"
        if kept != sent:
            lost.append(f"{where(path)}: sent {sent!r}, parsed {kept!r}")
    assert not lost, "\n".join(lost)


def _at(body: Any, path: tuple[str | int, ...]) -> Any:
    for key in path:
        body = body[key]
    return body


@pytest.mark.parametrize("operation_id", UNIONED)
async def test_each_union_option_parses_into_its_class(operation_id: str) -> None:
    """A union without a discriminator: each option parses; a value only one option's schema
    accepts lands in that option's class."""
    require_spec()
    media, schema = response_of(operation_id)
    problems: list[str] = []
    for site, count in union_sites(operation_id).items():
        for option in range(count):
            builder = _build(operation_id, force={site: str(option)})
            body = builder.build(schema)
            try:
                result = await answer_with(operation_id, body, media)
            except Exception as exc:
                problems.append(f"{site} option {option}: refused: {why(operation_id, body, exc)}")
                continue
            for record in builder.record.unions:
                chosen = record.options[record.option]
                if record.site != site or "$ref" not in chosen:
                    continue
                value = _at(body, record.path)
                if any(not spec_schemas().errors(value, other)
                       for i, other in enumerate(record.options) if i != record.option):
                    continue  # another option fits too: either class is right
                expected = class_names()[schema_name(chosen["$ref"])]
                parsed = unwrap(locate(result, record.path))
                if type(parsed).__name__ != expected:
                    problems.append(f"{site} option {option} at {where(record.path)}: parsed "
                                    f"as {type(parsed).__name__}, only {expected} fits")
    assert not problems, "\n".join(problems)
