"""Mistakes refused before any request (A6, S7, S8); secrets never shown (canary)."""

from __future__ import annotations

import logging
import re

import httpx
import pytest

from allegro_async.auth.app import AllegroApp
from allegro_async.auth.checks import check_request
from allegro_async.auth.flows import OAuthFlows
from allegro_async.auth.httpx_auth import RefreshingAuth
from allegro_async.auth.tokens import MemoryTokenStore, Token
from allegro_async.errors import AllegroError, AuthenticationError, InvalidArgumentError
from allegro_async.testing import Emulator
from tests.auth.conftest import emulated_flows


def _request(method: str, url: str) -> httpx.Request:
    return httpx.Request(method, url)


async def test_a6_app_token_on_user_resource_refused_before_sending(emulator: Emulator) -> None:
    flows = emulated_flows(emulator)
    token = await flows.client_credentials()
    store = MemoryTokenStore({"app": token})
    before = emulator.stats.requests
    async with emulator.client(auth=RefreshingAuth(store, "app", flows)) as client:
        with pytest.raises(InvalidArgumentError, match="seller's token"):
            await client.request("GET", "/me")
    assert emulator.stats.requests == before


async def test_a6_emulator_refuses_app_token_on_user_resource(emulator: Emulator) -> None:
    async with emulator.client(None) as client:
        with pytest.raises(AllegroError, match="User name from JWT cannot be empty"):
            await client.request("GET", "/me")


def test_s8_sandbox_token_refused_on_production_before_sending() -> None:
    token = Token("a.b.c", environment="sandbox")
    with pytest.raises(InvalidArgumentError, match="Cannot convert access token"):
        check_request(token, _request("GET", "https://api.allegro.pl/me"))
    check_request(token, _request("GET", "https://api.allegro.pl.allegrosandbox.pl/me"))


async def test_s8_emulators_reject_each_others_tokens() -> None:
    sandbox, production = Emulator(environment="sandbox"), Emulator(environment="production")
    async with production.client(access_token=sandbox.mint_token(0)) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.request("GET", "/me")
    assert info.value.oauth_error == "invalid_token"
    assert info.value.hint is not None and "sandbox token on production" in info.value.hint
    async with sandbox.client(access_token=production.mint_token(0)) as client:
        with pytest.raises(AuthenticationError, match="Cannot convert access token to JSON"):
            await client.request("GET", "/me")


async def test_s7_missing_scope_refused_before_sending(emulator: Emulator) -> None:
    narrow = emulator.mint_token(0, scopes=["allegro:api:orders:read"])
    store = MemoryTokenStore({"s": Token(narrow)})
    auth = RefreshingAuth(store, "s", emulated_flows(emulator))
    async with emulator.client(auth=auth) as client:
        with pytest.raises(InvalidArgumentError, match="allegro:api:orders:write"):
            await client.request("PUT", "/order/checkout-forms/x/fulfillment", json={})
        with pytest.raises(InvalidArgumentError, match="allegro:api:profile:read"):
            await client.request("GET", "/me")
    assert emulator.stats.requests == 0


async def test_canary_secrets_never_shown(
    emulator: Emulator, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    canary_secret = "CANARY-secret-7f3a9c"
    shown: list[str] = []
    # A wrong secret: the S6 error must not echo it.
    bad = OAuthFlows(emulator.client_id, canary_secret, environment=emulator.environment(),
                     transport=emulator.transport())
    with pytest.raises(AllegroError) as info:
        await bad.client_credentials()
    shown += [str(info.value), repr(info.value), repr(bad)]
    # A full login and a refresh: every token and code seen along the way.
    emulator.config.oauth.device_auto_approve_after = 1
    flows = emulated_flows(emulator)
    device_seen: list[object] = []
    token = await flows.device_flow(on_prompt=device_seen.append)
    store = MemoryTokenStore()
    app = AllegroApp(emulator.client_id, emulator.client_secret, store=store,
                     environment=emulator.environment(), transport=emulator.transport())
    key = await app.add_seller(token)
    refreshed = await app.auth(key).refresh(stale=token)
    request = flows.authorization_url()
    code = flows.code_from_redirect(await flows.follow_authorization(request), request)
    with pytest.raises(AllegroError) as late:  # the code used twice: an error naming nothing
        await flows.exchange_code(code, request)
        await flows.exchange_code(code, request)
    shown += [repr(token), repr(refreshed), repr(store), repr(app), repr(app.auth(key)),
              repr(device_seen[0]), repr(request), str(late.value), repr(late.value)]
    async with app.seller(key) as client:
        await client.request("GET", "/me")
        shown.append(repr(client))
    secrets = [canary_secret, emulator.client_secret, token.access_token, token.refresh_token,
               refreshed.access_token, refreshed.refresh_token, code, request.code_verifier,
               device_seen[0].device_code]  # type: ignore[attr-defined]
    text = "\n".join(shown) + caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    out = capsys.readouterr()
    text += out.out + out.err
    for secret in secrets:
        assert secret and secret not in text


# -- the scope table comes from the spec (allegro_async/api/_scopes.py) -------------------------
def _jwt(claims: dict[str, object]) -> str:
    import base64
    import json

    def enc(part: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")

    return f"{enc({'alg': 'none'})}.{enc(claims)}.sig"


def _spec_operations() -> list[tuple[str, str, str, tuple[str, ...], bool]]:
    """(operationId, method, path, user scopes, app token allowed) read from the spec itself."""
    import yaml

    from tests.conftest import require_spec

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw = yaml.load(require_spec().read_bytes(), Loader=loader)
    out = []
    for path, item in raw["paths"].items():
        for method in ("get", "put", "post", "delete", "patch"):
            op = item.get(method)
            if op is None:
                continue
            requirements = op.get("security", raw.get("security", []))
            scopes = tuple(s for r in requirements for s in r.get("bearer-token-for-user", []))
            app = any("bearer-token-for-application" in r for r in requirements)
            out.append((op["operationId"], method.upper(), path, scopes, app))
    return out


def _filled(path: str) -> str:
    return "https://api.allegro.pl" + re.sub(r"\{[^}]+\}", "a1b2", path)


def test_s7_every_operation_needs_exactly_the_spec_scopes() -> None:
    from allegro_async.auth.checks import route_for

    operations = _spec_operations()
    assert len(operations) == 267
    for op_id, method, path, scopes, _app in operations:
        route = route_for(method, _filled(path)[len("https://api.allegro.pl"):])
        assert route is not None and route.template == path, op_id
        exact = Token(_jwt({"user_name": "1", "scope": list(scopes)}))
        check_request(exact, _request(method, _filled(path)))
        if scopes:
            lacking = Token(_jwt({"user_name": "1", "scope": ["allegro:api:unrelated"]}))
            with pytest.raises(InvalidArgumentError, match=re.escape(scopes[0])):
                check_request(lacking, _request(method, _filled(path)))


def test_a6_app_tokens_refused_only_where_the_spec_lists_no_app_token() -> None:
    app = Token(_jwt({"client_id": "app", "scope": ["allegro:api:orders:read"]}))
    refused = 0
    for _op_id, method, path, _scopes, allowed in _spec_operations():
        if allowed:
            check_request(app, _request(method, _filled(path)))
        else:
            with pytest.raises(InvalidArgumentError, match="seller's token"):
                check_request(app, _request(method, _filled(path)))
            refused += 1
    assert 0 < refused < 267


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/sale/offer-contacts"),
        ("POST", "/sale/offer-contacts"),
        ("GET", "/sale/offer-tags"),
        ("POST", "/sale/offer-tags"),
        ("GET", "/sale/offer-additional-services/groups"),
        ("PUT", "/sale/offer-additional-services/groups/g1"),
    ],
)
def test_s7_offer_settings_resources_need_sale_settings_not_offers(method: str, path: str) -> None:
    # the hand-written table asked for sale:offers:* here; the spec says sale:settings:*
    kind = "read" if method == "GET" else "write"
    settings = Token(_jwt({"user_name": "1", "scope": [f"allegro:api:sale:settings:{kind}"]}))
    check_request(settings, _request(method, "https://api.allegro.pl" + path))
    offers = Token(_jwt({"user_name": "1", "scope": [f"allegro:api:sale:offers:{kind}"]}))
    with pytest.raises(InvalidArgumentError, match="sale:settings"):
        check_request(offers, _request(method, "https://api.allegro.pl" + path))


def test_unknown_paths_go_to_allegro_unchecked() -> None:
    narrow = Token(_jwt({"client_id": "app"}))
    check_request(narrow, _request("GET", "https://api.allegro.pl/not-in-the-spec/x"))


def test_s8_uploads_check_the_environment_too() -> None:
    token = Token("a.b.c", environment="sandbox")
    with pytest.raises(InvalidArgumentError, match="Cannot convert access token"):
        check_request(token, _request("POST", "https://upload.allegro.pl/sale/images"))
    check_request(token, _request("POST", "https://upload.allegro.pl.allegrosandbox.pl/sale/images"))


def test_s7_uploads_need_the_scope_the_spec_names() -> None:
    reader = Token(_jwt({"user_name": "1", "scope": ["allegro:api:sale:offers:read"]}))
    with pytest.raises(InvalidArgumentError, match="sale:offers:write"):
        check_request(reader, _request("POST", "https://upload.allegro.pl/sale/images"))
