"""The private PostgreSQL test server: reachable with its DSN only, and gone once stopped."""

from __future__ import annotations

import asyncpg
import pytest

from allegro_async.testing.postgres_server import serve_postgres

pytestmark = pytest.mark.stores


async def test_server_answers_on_its_dsn_and_refuses_a_wrong_password() -> None:
    with serve_postgres() as server:
        assert "@127.0.0.1:" in server.dsn
        connection = await asyncpg.connect(server.dsn)
        assert await connection.fetchval("select 1 + 1") == 2
        await connection.close()
        wrong = server.dsn.replace(server.dsn.split(":")[2].split("@")[0], "wrong")
        with pytest.raises(asyncpg.InvalidPasswordError):
            await asyncpg.connect(wrong)
        assert "postgres:" not in repr(server)  # the password stays out of the repr
        server.stop()
        with pytest.raises(OSError):
            await asyncpg.connect(server.dsn)


async def test_session_fixture_gives_a_dsn(allegro_postgres_dsn: str) -> None:
    connection = await asyncpg.connect(allegro_postgres_dsn)
    assert await connection.fetchval("select current_user") == "postgres"
    await connection.close()
