"""The emulator served over real HTTP: embedded (async and thread) and as the CLI process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import httpx

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
