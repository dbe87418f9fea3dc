"""Each OAuth flow end to end against the emulator (A3-A6, S4-S6)."""

from __future__ import annotations

import httpx
import pytest

from allegro_async.auth.flows import (
    AuthorizationError,
    DeviceAccessDenied,
    DeviceAuthorization,
    DeviceCodeExpired,
    OAuthFlows,
)
from allegro_async.auth.jwt import decode_claims
from allegro_async.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    InvalidArgumentError,
)
from allegro_async.testing import Emulator
from tests.auth.conftest import REDIRECT, emulated_flows


async def test_authorization_code_with_pkce_gives_seller_token(
    emulator: Emulator, flows: OAuthFlows
) -> None:
    emulator.oauth.approve_as(1)
    request = flows.authorization_url()
    assert "code_challenge_method=S256" in request.url and f"state={request.state}" in request.url
    redirect = await flows.follow_authorization(request)
    token = await flows.finish_authorization(redirect, request)
    assert token.user_name == emulator.sellers[1].id
    assert token.refresh_token and token.environment == "custom"
    assert emulator.oauth.counters.token_requests["authorization_code"] == 1


async def test_s4_redirect_uri_must_match_exactly(emulator: Emulator,
                                                  flows: OAuthFlows) -> None:
    # the emulator accepts any loopback URI unless told to hold to its registered list
    emulator.config.loopback_redirects = False
    request = flows.authorization_url(redirect_uri=REDIRECT + "/")
    with pytest.raises(AuthorizationError) as info:
        await flows.follow_authorization(request)
    shown = str(info.value)
    assert "differs from the registered one" in shown and "Error number" in shown


async def test_s4_code_expires_after_ten_seconds(emulator: Emulator, flows: OAuthFlows) -> None:
    request = flows.authorization_url()
    code = flows.code_from_redirect(await flows.follow_authorization(request), request)
    emulator.clock.advance(11)
    with pytest.raises(BadRequestError) as info:
        await flows.exchange_code(code, request)
    assert info.value.oauth_error == "invalid_grant"


async def test_pkce_wrong_verifier_is_refused(flows: OAuthFlows) -> None:
    request = flows.authorization_url()
    code = flows.code_from_redirect(await flows.follow_authorization(request), request)
    with pytest.raises(BadRequestError) as info:
        await flows.exchange_code(code, request, code_verifier="x" * 64)
    assert info.value.mentions("code verifier")


async def test_state_mismatch_is_refused(flows: OAuthFlows) -> None:
    request = flows.authorization_url()
    with pytest.raises(AuthorizationError, match="state"):
        flows.code_from_redirect(f"{REDIRECT}?code=abcdefgh&state=forged", request)


async def test_s5_missing_code_has_hint(emulator: Emulator) -> None:
    async with httpx.AsyncClient(transport=emulator.transport()) as http:
        response = await http.post(
            "http://allegro.emulator/auth/oauth/token",
            data={"grant_type": "authorization_code", "redirect_uri": REDIRECT},
            auth=(emulator.client_id, emulator.client_secret),
        )
    assert response.status_code == 400
    assert response.json()["error_description"] == "An authorization code must be supplied."
    before = emulator.stats.requests
    flows = emulated_flows(emulator)
    for empty in ("", "  "):
        with pytest.raises(InvalidArgumentError) as info:
            await flows.exchange_code(empty)
        assert info.value.field == "code"
        assert "An authorization code must be supplied" in info.value.fix
    assert emulator.stats.requests == before  # refused locally: nothing was sent


async def test_s4_exchange_without_redirect_uri_is_refused_locally(emulator: Emulator) -> None:
    flows = emulated_flows(emulator, redirect_uri=None)
    with pytest.raises(InvalidArgumentError) as info:
        await flows.exchange_code("some-code-123")
    assert info.value.field == "redirect_uri" and "exactly as registered" in info.value.fix
    assert "some-code-123" not in str(info.value)
    assert emulator.stats.requests == 0


@pytest.mark.parametrize(("client_id", "secret", "field"), [
    ("", "secret-123", "client_id"), ("  ", "secret-123", "client_id"),
    ("id:x", "secret-123", "client_id"), (" id", "secret-123", "client_id"),
    ("id", "", "client_secret"), ("id", "   ", "client_secret"),
])
def test_bad_app_credentials_are_refused_locally(client_id: str, secret: str, field: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        OAuthFlows(client_id, secret)
    assert info.value.field == field and "secret-123" not in str(info.value)


async def test_bad_refresh_and_device_inputs_are_refused_locally(
    emulator: Emulator, flows: OAuthFlows
) -> None:
    with pytest.raises(InvalidArgumentError, match="refresh_token"):
        await flows.refresh("   ")
    device = DeviceAuthorization("", "ABCD", "http://x/", "http://x/?code=ABCD")
    with pytest.raises(InvalidArgumentError, match="device_code"):
        await flows.poll_device(device)
    device = DeviceAuthorization("dc-123456", "ABCD", "http://x/", "http://x/", expires_in=0)
    with pytest.raises(InvalidArgumentError, match="expires_in"):
        await flows.poll_device(device)
    assert emulator.stats.requests == 0


async def test_s6_wrong_client_secret_has_hint(emulator: Emulator) -> None:
    flows = OAuthFlows(emulator.client_id, "not-the-secret", environment=emulator.environment(),
                       transport=emulator.transport())
    with pytest.raises(AuthenticationError) as info:
        await flows.client_credentials()
    assert info.value.hint is not None and "Basic" in info.value.hint


async def test_s6_query_string_parameters_are_rejected(emulator: Emulator) -> None:
    async with httpx.AsyncClient(transport=emulator.transport()) as http:
        response = await http.post(
            "http://allegro.emulator/auth/oauth/token?grant_type=client_credentials",
            auth=(emulator.client_id, emulator.client_secret),
            headers={"x-emulator-expect-invalid": "1"},  # S6: grant_type in the query on purpose
        )
    assert response.status_code == 401
    assert "Full authentication is required" in response.json()["error_description"]


async def test_client_credentials_gives_app_token(emulator: Emulator, flows: OAuthFlows) -> None:
    token = await flows.client_credentials()
    claims = decode_claims(token.access_token)
    assert claims is not None and claims.is_app_token and token.refresh_token is None
    assert claims.client_id == emulator.client_id


async def test_refresh_rotates_and_old_token_dies_after_grace(
    emulator: Emulator, flows: OAuthFlows
) -> None:
    first = await flows.client_credentials()
    assert first.refresh_token is None
    pair = emulator.oauth.issue_pair(emulator.sellers[0].id)
    old = pair["refresh_token"]
    new = await flows.refresh(old)
    assert new.refresh_token and new.refresh_token != old
    again = await flows.refresh(old)  # within the ~60 s grace the old one still works (A5)
    assert again.access_token != new.access_token
    emulator.clock.advance(61)
    with pytest.raises(BadRequestError) as info:
        await flows.refresh(old)
    assert info.value.oauth_error == "invalid_grant" and info.value.hint is not None
    assert "refresh tokens rotate" in info.value.hint


async def test_device_flow_fields_and_prompt(emulator: Emulator) -> None:
    emulator.config.oauth.device_auto_approve_after = 2
    flows = emulated_flows(emulator)
    shown: list[DeviceAuthorization] = []
    token = await flows.device_flow(on_prompt=shown.append)
    device = shown[0]
    assert device.user_code in device.verification_uri_complete
    assert (device.expires_in, device.interval) == (3600, 5)
    assert token.user_name == emulator.sellers[0].id
    assert emulator.oauth.counters.token_errors[
        "urn:ietf:params:oauth:grant-type:device_code:authorization_pending"] == 2


async def test_device_flow_approved_from_python(emulator: Emulator, flows: OAuthFlows) -> None:
    device = await flows.start_device()
    emulator.oauth.approve_device(device.user_code, seller=2)
    token = await flows.poll_device(device)
    assert token.user_name == emulator.sellers[2].id
    with pytest.raises(DeviceCodeExpired):  # a used code: "Invalid device code"
        await flows.poll_device(device)


async def test_device_flow_denied(emulator: Emulator, flows: OAuthFlows) -> None:
    device = await flows.start_device()
    emulator.oauth.deny_device(device.user_code)
    with pytest.raises(DeviceAccessDenied):
        await flows.poll_device(device)


async def test_device_flow_slow_down_then_longer_interval(emulator: Emulator) -> None:
    polls: list[float] = []

    async def impatient(seconds: float) -> None:
        polls.append(seconds)
        emulator.clock.advance(1 if len(polls) == 2 else seconds)  # the 2nd poll comes too soon
        if len(polls) == 3:
            emulator.oauth.approve_device(device.user_code)

    flows = emulated_flows(emulator, sleep=impatient)
    device = await flows.start_device()
    await flows.poll_device(device)
    assert polls == [5, 5, 10]
    assert emulator.oauth.counters.token_errors[
        "urn:ietf:params:oauth:grant-type:device_code:slow_down"] == 1


async def test_device_code_expires(emulator: Emulator, flows: OAuthFlows) -> None:
    device = await flows.start_device()
    emulator.clock.advance(3599)
    with pytest.raises(DeviceCodeExpired):
        await flows.poll_device(device)


async def test_device_code_unknown_answers_invalid_device_code(emulator: Emulator) -> None:
    async with httpx.AsyncClient(transport=emulator.transport()) as http:
        response = await http.post(
            "http://allegro.emulator/auth/oauth/token",
            data={"grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                  "device_code": "nope"},
            auth=(emulator.client_id, emulator.client_secret),
        )
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request",
                               "error_description": "Invalid device code"}


async def test_token_request_goes_to_auth_base_not_api(emulator: Emulator) -> None:
    seen: list[str] = []
    inner = emulator.transport()

    class Spy(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(str(request.url))
            return await inner.handle_async_request(request)

    from allegro_async.config import Environment

    env = Environment.custom(api_url="http://api.emulator", auth_url="http://allegro.emulator")
    flows = OAuthFlows(emulator.client_id, emulator.client_secret, environment=env,
                       transport=Spy())
    await flows.client_credentials()
    assert seen == ["http://allegro.emulator/auth/oauth/token"]


def test_api_error_for_token_is_typed() -> None:
    assert issubclass(AuthenticationError, APIError)


async def test_a2_token_endpoint_limits_refreshes_per_user(emulator: Emulator) -> None:
    # A2 (#5117): token generation is limited per user; over it, a 429 in the A1 shape.
    emulator.config.oauth.token_user_per_minute = 6  # one per 10 s, 2 at once
    emulator.config.oauth.token_user_burst = 2
    flows = emulated_flows(emulator)
    a = emulator.oauth.issue_pair(emulator.sellers[0].id)["refresh_token"]
    b = emulator.oauth.issue_pair(emulator.sellers[1].id)["refresh_token"]
    first = await flows.refresh(a)
    second = await flows.refresh(str(first.refresh_token))
    with pytest.raises(APIError) as info:
        await flows.refresh(str(second.refresh_token))
    assert info.value.status_code == 429
    assert info.value.errors[0].code == "RateLimitExceedException"
    assert "retry-after" not in {k.lower() for k in info.value.response.headers}  # A1
    assert emulator.oauth.counters.token_errors["refresh_token:rate_limited"] == 1
    await flows.refresh(b)  # another seller has a bucket of its own
    emulator.clock.advance(10)  # and the refused refresh token still works later
    assert (await flows.refresh(str(second.refresh_token))).user_name == emulator.sellers[0].id
