"""The emulator served over real HTTP: embedded (async and thread) and as the CLI process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import httpx

from allegro_async.auth.flows import DeviceAuthorization, OAuthFlows
from allegro_async.auth.jwt import decode_claims
from allegro_async.config import PUBLIC_MEDIA_TYPE
from allegro_async.testing import Emulator
from allegro_async.testing.server import _bind, _server, _start, _url, serve, serve_in_thread


async def test_serve_yields_a_listening_url_and_stops() -> None:
    emulator = Emulator()
    async with serve(emulator) as url:
        assert url.startswith("http://127.0.0.1:")
        async with emulator.client(0, environment=emulator.environment(url),
                                   transport=None) as client:
            me = await client.request("GET", "/me")
        assert me["id"] == emulator.sellers[0].id
    assert emulator.stats.route("GET", "/me") == 1
    # after exit nothing listens any more
    async with httpx.AsyncClient() as raw:
        try:
            await raw.get(url + "/me")
        except httpx.ConnectError:
            pass
        else:
            raise AssertionError("server still answers after serve() exited")


def test_serve_in_thread_for_sync_code() -> None:
    emulator = Emulator()
    token = emulator.mint_token(1)
    with serve_in_thread(emulator) as url:
        response = httpx.get(url + "/me", headers={
            "Authorization": f"Bearer {token}", "Accept": PUBLIC_MEDIA_TYPE})
    assert response.status_code == 200
    assert response.json()["login"] == "seller-2"
    assert response.headers["trace-id"]


def test_cli_prints_url_and_tokens_and_exits_0_on_sigint() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "allegro_async", "emulator", "--port", "0", "--sellers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().rstrip("\n") for _ in range(5)]
        assert lines[0].startswith("url: http://127.0.0.1:")
        assert lines[1] == "client_id: emulator-client-id"
        assert lines[2].startswith("client_secret: ")
        assert lines[3].startswith("token seller-1 10000001: ")
        assert lines[4].startswith("token seller-2 10000002: ")
        url = lines[0].removeprefix("url: ")
        token = lines[4].split(": ", 1)[1]
        response = httpx.get(url + "/me", headers={
            "Authorization": f"Bearer {token}", "Accept": PUBLIC_MEDIA_TYPE})
        assert response.json()["id"] == "10000002"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_exits_0_on_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "allegro_async", "emulator"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("url: ")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def test_served_connections_send_without_nagle_delay() -> None:
    # Nagle's algorithm on the server side meets the client's delayed ACK: ~40 ms per
    # keep-alive response. Look at the server's end of a live connection.
    emulator = Emulator()
    sock = _bind("127.0.0.1", 0)
    server = _server(emulator)
    task = await _start(server, sock)
    try:
        token = emulator.mint_token(0)
        async with httpx.AsyncClient(base_url=_url(sock), headers={
                "Authorization": f"Bearer {token}", "Accept": PUBLIC_MEDIA_TYPE}) as http:
            assert (await http.get("/me")).status_code == 200
            accepted = [c.transport.get_extra_info("socket")
                        for c in server.server_state.connections]
            assert len(accepted) == 1  # the keep-alive connection, still open
            assert accepted[0].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        server.should_exit = True
        await task
        sock.close()


# -- over HTTP: token pairs, device approval, data sizes --------------------------------------
async def test_admin_endpoint_mints_token_pairs_whose_refresh_token_works() -> None:
    emulator = Emulator()
    async with serve(emulator) as url, httpx.AsyncClient(base_url=url) as http:
        minted = await http.post("/_emulator/tokens", json={"seller": "seller-2"})
        assert minted.status_code == 201
        [pair] = minted.json()["tokens"]
        assert (pair["seller_id"], pair["login"]) == ("10000002", "seller-2")
        refreshed = await http.post(
            "/auth/oauth/token", auth=(emulator.client_id, emulator.client_secret),
            data={"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]})
        assert refreshed.status_code == 200, refreshed.text
        me = await http.get("/me", headers={
            "Authorization": f"Bearer {refreshed.json()['access_token']}",
            "Accept": PUBLIC_MEDIA_TYPE})
        assert me.json()["id"] == "10000002"
        everyone = (await http.post("/_emulator/tokens", json={})).json()["tokens"]
        assert [t["seller_id"] for t in everyone] == [s.id for s in emulator.sellers]
        assert all(t["refresh_token"] for t in everyone)
        assert (await http.post("/_emulator/tokens", json={"seller": "nobody"})).status_code \
            == 404


async def test_device_login_is_approved_on_the_served_verification_page() -> None:
    emulator = Emulator()
    prompts: list[DeviceAuthorization] = []
    pages: list[httpx.Response] = []
    async with serve(emulator) as url, httpx.AsyncClient() as browser:

        async def approve_then_wait(seconds: float) -> None:
            # what the user does while the app polls: open the link, press Approve
            if not pages:
                page = await browser.get(prompts[0].verification_uri_complete,
                                         headers={"Accept": "text/html,*/*;q=0.8"})
                pages.append(page)
                pages.append(await browser.post(prompts[0].verification_uri, data={
                    "code": prompts[0].user_code, "seller": "seller-3", "action": "approve"}))
            emulator.clock.advance(seconds)

        flows = OAuthFlows(emulator.client_id, emulator.client_secret,
                           environment=emulator.environment(url), sleep=approve_then_wait)
        token = await flows.device_flow(on_prompt=prompts.append)
        await flows.aclose()
    assert pages[0].status_code == 200
    assert prompts[0].user_code in pages[0].text and "Approve" in pages[0].text
    assert pages[1].status_code == 200 and "approved" in pages[1].text
    claims = decode_claims(token.access_token)
    assert claims is not None and claims.user_name == "10000003"
    assert token.refresh_token


async def test_admin_endpoint_approves_or_denies_a_device_code() -> None:
    emulator = Emulator()
    basic = (emulator.client_id, emulator.client_secret)
    async with serve(emulator) as url, httpx.AsyncClient(base_url=url, auth=basic) as http:
        codes = [(await http.post("/auth/oauth/device",
                                  data={"client_id": emulator.client_id})).json()
                 for _ in range(2)]
        approved = await http.post("/_emulator/device", json={
            "user_code": codes[0]["user_code"], "seller": 1})
        denied = await http.post("/_emulator/device", json={
            "user_code": codes[1]["user_code"], "action": "deny"})
        unknown = await http.post("/_emulator/device", json={"user_code": "NOPE"})
        answers = [await http.post("/auth/oauth/token", data={
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": c["device_code"]}) for c in codes]
    assert approved.json() == {"user_code": codes[0]["user_code"], "status": "approved"}
    assert denied.json()["status"] == "denied"
    assert unknown.status_code == 404
    claims = decode_claims(answers[0].json()["access_token"])
    assert claims is not None and claims.user_name == "10000002"
    assert answers[1].json()["error"] == "access_denied"


def test_cli_sizes_the_data_and_prints_refresh_tokens() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "allegro_async", "emulator", "--sellers", "1", "--offers", "4",
         "--orders", "7", "--new-orders-per-hour", "120", "--refresh-tokens"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().rstrip("\n") for _ in range(5)]
        url = lines[0].removeprefix("url: ")
        assert lines[3].startswith("token seller-1 10000001: ")
        assert lines[4].startswith("refresh seller-1 10000001: ")
        headers = {"Authorization": f"Bearer {lines[3].split(': ', 1)[1]}",
                   "Accept": PUBLIC_MEDIA_TYPE}
        offers = httpx.get(url + "/sale/offers", headers=headers,
                           params={"publication.status": "ACTIVE"}).json()
        forms = httpx.get(url + "/order/checkout-forms", headers=headers).json()
        assert offers["totalCount"] == 4
        assert forms["totalCount"] == 7
        refreshed = httpx.post(url + "/auth/oauth/token", data={
            "grant_type": "refresh_token", "refresh_token": lines[4].split(": ", 1)[1]},
            auth=("emulator-client-id", lines[2].removeprefix("client_secret: ")))
        assert refreshed.status_code == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
