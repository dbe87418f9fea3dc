"""The committed table of operations answering errors as application/json matches the spec."""

from __future__ import annotations

import httpx

from allegro_async.testing import Emulator
from allegro_async.testing.conformance import load_spec
from allegro_async.testing.emulator import error_media, spec_index
from tests.conftest import require_spec


def test_table_matches_the_spec() -> None:
    assert error_media.derive(load_spec(require_spec())) == error_media.PLAIN_JSON_ERRORS


async def test_a_refusal_on_such_an_operation_is_plain_json() -> None:
    emulator = Emulator()
    scopes = sorted({s for op in spec_index.operations().values() for s in op.scopes})
    token = emulator.mint_token(0, scopes=scopes)
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emulator",
                                 headers={"Authorization": f"Bearer {token}",
                                          "x-emulator-expect-invalid": "1"}) as http:
        refused = await http.get("/sale/responsible-persons",
                                 headers={"Accept-Language": "xx-XX"})
        elsewhere = await http.get("/order/events", headers={"Accept-Language": "xx-XX"})
    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith("application/json")
    assert elsewhere.headers["content-type"].startswith("application/vnd.allegro.public.v1+json")
