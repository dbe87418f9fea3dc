"""What the generated operations look like to a reader: typed results without suppressions,
readable names, Allegro's deprecations as warnings, and the spec's descriptions and links."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from allegro_async import AllegroClient
from allegro_async.api import OPERATIONS
from tools.apigen import naming

API_DIR = Path(__file__).resolve().parents[2] / "allegro_async" / "api"
AREAS = sorted(p for p in API_DIR.glob("[a-z]*.py"))


@pytest.fixture
def client() -> AllegroClient:
    return AllegroClient(access_token="token", retry=False, throttle=False)


def test_generated_methods_return_checked_types_without_suppressions() -> None:
    suppressed = [f"{p.name}:{n}" for p in AREAS
                  for n, line in enumerate(p.read_text().splitlines(), 1) if "type: ignore" in line]
    assert AREAS and not suppressed, suppressed[:5]


def _stutters(name: str) -> bool:
    words = name.split("_")
    for size in range(1, len(words) // 2 + 1):
        for start in range(len(words) - 2 * size + 1):
            if words[start:start + size] == words[start + size:start + 2 * size]:
                return True
    return False


def test_no_method_name_repeats_itself_or_its_area() -> None:
    bad = []
    for operation in OPERATIONS.values():
        area, name = operation.name.split(".")
        if _stutters(name) or name == area or name.startswith(area + "_"):
            bad.append(operation.name)
    assert not bad, bad


def test_no_method_name_glues_a_verb_to_the_next_word() -> None:
    glued = [o.name for o in OPERATIONS.values()
             if re.match(r"(get|list|create|update|delete|set)(?!_|$)", o.name.split(".")[1])]
    assert not glued, glued


def test_the_renamed_operations_have_their_readable_names() -> None:
    for operation_id, name in naming.METHOD_NAMES.items():
        assert OPERATIONS[operation_id].name.split(".")[1] == name


async def test_a_deprecated_operation_warns_when_called(client: AllegroClient) -> None:
    deprecated = [o for o in OPERATIONS.values() if o.deprecated]
    assert deprecated
    for operation in deprecated:
        area, name = operation.name.split(".")
        method = getattr(getattr(client.api, area), name)
        assert operation.path in method.__deprecated__
    with pytest.warns(DeprecationWarning, match=r"GET /sale/bundles/\{bundleId\}"):
        call = client.api.offer_bundles.get_offer_bundle(bundle_id="b-1")
    call.close()  # only the warning matters here: the request is never sent


def test_docstrings_keep_the_spec_description_with_absolute_links(client: AllegroClient) -> None:
    doc = client.api.offer_bundles.__class__.get_offer_bundle.__doc__ or ""
    assert "retrieve offer bundle by its unique identifier" in doc
    assert "(https://developer.allegro.pl/tutorials/how-to-manage-rebates-and-promotions" in doc
    for path in AREAS:
        assert "../../tutorials" not in path.read_text(), path.name
        assert "<a href" not in path.read_text(), path.name


def test_reference_pages_keep_the_spec_description_as_markdown_links() -> None:
    page = (API_DIR.parents[1] / "docs" / "api-reference" / "offer_bundles.md").read_text()
    assert "[EN](https://developer.allegro.pl/tutorials/how-to-manage-rebates" in page
