"""Every operation's success answer, built from the spec's raw schema (never from the generated
models), parses through the generated method: required fields only, every field, every
nullable field null, empty lists and zero counts, and the spec's own examples; every property
lands in a declared field and every value reads back as sent; and an answer just outside the
request limits still parses (answers are read leniently)."""

from __future__ import annotations

import datetime
import decimal
import itertools
import uuid
from typing import Any

import pytest
from pydantic import BaseModel, RootModel

from allegro_async.api._runtime import strict_parsing
from tests.conftest import require_spec
from tests.spec_answers._build import MODES, AnswerBuilder
from tests.spec_answers.conftest import (
    answer_with,
    declared,
    discriminator_sites,
    examples_of,
    json_operations,
    locate,
    plain,
    raw_spec,
    response_of,
    seed_for,
    spec_schemas,
    step,
    union_sites,
    where,
    why,
)

OPERATIONS = json_operations()


def _answer(operation_id: str, mode: str) -> tuple[str, dict[str, Any], AnswerBuilder, Any]:
    require_spec()
    raw = raw_spec()
    assert raw is not None
    media, schema = response_of(operation_id)
    builder = AnswerBuilder(raw, seed_for(operation_id), mode)
    return media, schema, builder, builder.build(schema)


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_every_built_answer_is_one_the_spec_allows(operation_id: str) -> None:
    """The builder's own check: a failure elsewhere in this directory is the models'."""
    problems = []
    for mode in MODES:
        _, schema, _, body = _answer(operation_id, mode)
        problems += [f"{mode}: {e}" for e in spec_schemas().errors(body, schema)]
    raw = raw_spec()
    assert raw is not None
    for site, tags in discriminator_sites(operation_id).items():
        for tag, mode in itertools.product(tags, ("full", "minimal")):
            builder = AnswerBuilder(raw, seed_for(operation_id), mode, force={site: tag})
            body = builder.build(schema)
            problems += [f"{site} {tag} ({mode}): {e}"
                         for e in spec_schemas().errors(body, schema)]
    for site, count in union_sites(operation_id).items():
        for option in range(count):
            body = AnswerBuilder(raw, seed_for(operation_id), force={site: str(option)}).build(
                schema)
            problems += [f"{site} option {option}: {e}"
                         for e in spec_schemas().errors(body, schema)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("operation_id", OPERATIONS)
async def test_built_answers_parse_through_the_method(operation_id: str) -> None:
    """Each variant (required only, every field, nullables null, empty lists) parses, and a
    null stays null."""
    problems: list[str] = []
    for mode in MODES:
        media, _, builder, body = _answer(operation_id, mode)
        try:
            result = await answer_with(operation_id, body, media)
        except Exception as exc:
            problems.append(f"{mode}: refused: {why(operation_id, body, exc)}")
            continue
        kept = [where(p) for p in builder.record.nulls if locate(result, p) is not None]
        if kept:
            problems.append(f"{mode}: nulls parsed as values at {kept}")
    assert not problems, "\n".join(problems)


def _undeclared(body: Any, result: Any, path: tuple[str | int, ...]) -> list[str]:
    """Wire names of the answer that parsed into kept unknown fields instead of fields."""
    while isinstance(result, RootModel):
        result = result.root
    missing: list[str] = []
    if isinstance(body, dict) and isinstance(result, BaseModel):
        for key, value in body.items():
            if not declared(result, key):
                missing.append(where((*path, key)))
                continue
            missing += _undeclared(value, step(result, key), (*path, key))
    elif isinstance(body, list) and isinstance(result, (list, tuple)):
        for i, (item, parsed) in enumerate(zip(body, result, strict=False)):
            missing += _undeclared(item, parsed, (*path, i))
    elif isinstance(body, dict) and isinstance(result, dict):
        for key, value in body.items():
            if key in result:
                missing += _undeclared(value, result[key], (*path, key))
    return missing


@pytest.mark.parametrize("operation_id", OPERATIONS)
async def test_every_property_of_the_spec_is_a_field_of_the_model(operation_id: str) -> None:
    media, _, _, body = _answer(operation_id, "full")
    try:
        result = await answer_with(operation_id, body, media)
    except Exception as exc:
        pytest.fail(f"full answer refused: {why(operation_id, body, exc)}")
    missing = _undeclared(body, result, ())
    assert not missing, f"kept as unknown fields, not declared: {missing[:20]}"


def _leaves(body: Any, path: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], Any]]:
    """Every scalar of an answer with its JSON path."""
    if isinstance(body, dict):
        return [leaf for k, v in body.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(body, list):
        return [leaf for i, v in enumerate(body) for leaf in _leaves(v, (*path, i))]
    return [(path, body)]


def _same(sent: Any, parsed: Any) -> bool:
    """Whether a parsed value is the sent one (a datetime, date, decimal or uuid read from its
    JSON text counts as the same)."""
    parsed = plain(parsed)
    if isinstance(parsed, datetime.datetime):
        return isinstance(sent, str) and parsed == datetime.datetime.fromisoformat(
            sent.replace("Z", "+00:00"))
    if isinstance(parsed, datetime.date):
        return isinstance(sent, str) and parsed == datetime.date.fromisoformat(sent)
    if isinstance(parsed, decimal.Decimal):
        return parsed == decimal.Decimal(str(sent))
    if isinstance(parsed, uuid.UUID):
        return bool(str(parsed) == sent)
    return type(parsed) is type(sent) and bool(parsed == sent)


@pytest.mark.parametrize("operation_id", OPERATIONS)
async def test_every_value_of_the_answer_survives_parsing(operation_id: str) -> None:
    """Each scalar of the full answer reads back as sent (no coercion, no loss, no default)."""
    media, _, _, body = _answer(operation_id, "full")
    try:
        result = await answer_with(operation_id, body, media)
    except Exception as exc:
        pytest.fail(f"full answer refused: {why(operation_id, body, exc)}")
    changed = []
    for path, sent in _leaves(body):
        try:
            parsed = locate(result, path)
        except (LookupError, IndexError) as exc:
            changed.append(f"{where(path)}: lost ({exc})")
            continue
        if not _same(sent, parsed):
            changed.append(f"{where(path)}: sent {sent!r}, read {plain(parsed)!r}")
    assert not changed, "\n".join(changed[:20])


def _examples() -> list[tuple[str, str, Any]]:
    if raw_spec() is None:
        return [("(no spec)", "", None)]  # one test, skipped naming the missing spec
    return [(o, media, value) for o in OPERATIONS for media, value in examples_of(o)]


EXAMPLES = _examples()


@pytest.mark.parametrize(("operation_id", "media", "example"), EXAMPLES,
                         ids=[f"{o}-{i}" for i, (o, _, _) in enumerate(EXAMPLES)])
async def test_spec_example_parses_through_the_method(operation_id: str, media: str,
                                                      example: Any) -> None:
    require_spec()
    _, schema = response_of(operation_id)
    defects = spec_schemas().errors(example, schema)
    # an example the spec's own schema refuses (getOfferEvents' OFFER_VISIBILITY_CHANGED puts
    # a schema where a value belongs) is still an answer Allegro may give: it must parse the
    # way users parse it, leniently; a valid one must parse strictly
    try:
        with strict_parsing(not defects):
            await answer_with(operation_id, example, media)
    except Exception as exc:
        pytest.fail(f"the spec's example refused: {why(operation_id, example, exc)}")


def _beyond(operation_id: str) -> tuple[str, AnswerBuilder, Any]:
    raw = raw_spec()
    assert raw is not None
    media, schema = response_of(operation_id)
    builder = AnswerBuilder(raw, seed_for(operation_id), beyond_limits=True)
    return media, builder, builder.build(schema)


LIMITED = [o for o in OPERATIONS if _beyond(o)[1].record.beyond] if raw_spec() else OPERATIONS


@pytest.mark.parametrize("operation_id", LIMITED)
async def test_an_answer_beyond_the_request_limits_parses(operation_id: str) -> None:
    """Lengths, ranges, sizes and patterns bound what a user sends, not what Allegro answers:
    an answer just outside them (which the spec does not allow) still parses."""
    require_spec()
    media, builder, body = _beyond(operation_id)
    try:
        await answer_with(operation_id, body, media)
    except Exception as exc:
        limits = sorted({limit for _, limit in builder.record.beyond})
        pytest.fail(f"refused ({', '.join(limits)} outside): {why(operation_id, body, exc)}")
