"""``allegro-async login``: obtain a seller's token and save it to a file store.

The device flow is the default (it needs no redirect); ``--code`` runs the browser flow with a
loopback redirect catcher on 127.0.0.1 (register ``http://127.0.0.1:<port>/callback``).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from allegro_async._http import AsyncBaseTransport
from allegro_async._redact import Secret
from allegro_async.auth.flows import DeviceAuthorization, OAuthFlows
from allegro_async.auth.tokens import FileTokenStore
from allegro_async.config import Environment

DEFAULT_STORE = Path.home() / ".config" / "allegro-async" / "tokens.json"


async def login(
    client_id: str,
    client_secret: str | Secret[str],
    *,
    environment: Environment | str = "production",
    store_path: str | os.PathLike[str] = DEFAULT_STORE,
    use_code: bool = False,
    port: int = 8765,
    key: str | None = None,
    say: Any = print,
    transport: AsyncBaseTransport | None = None,
    open_browser: Any = None,
) -> str:
    """Log a seller in and save the pair under ``key`` (default: the seller's user id).

    Returns the key. ``say`` prints the instructions (never a secret).
    """
    client_secret = Secret.wrap(client_secret)  # from here no local holds it bare
    async with OAuthFlows(client_id, client_secret, environment=environment,
                          transport=transport) as flows:
        if use_code:
            import webbrowser

            from allegro_async.auth.loopback import browser_login

            async def show(url: str) -> None:
                say(f"Opening the authorization page: {url}")
                opened = (open_browser or webbrowser.open)(url)
                if isinstance(opened, Awaitable):  # an async opener (tests, a GUI) is awaited
                    await opened

            token = await browser_login(flows, show, port=port)
        else:

            def prompt(device: DeviceAuthorization) -> None:
                say(f"Open {device.verification_uri_complete}")
                say(f"(or {device.verification_uri} and type the code {device.user_code})")
                say(f"Waiting for approval; the code is valid {device.expires_in // 60} minutes.")

            token = await flows.device_flow(on_prompt=prompt)
    name = key or token.user_name or "app"
    await FileTokenStore(store_path).save(name, token)
    say(f"Saved the token for {name} in {store_path} (mode 0600).")
    return name


def register(app: Any) -> None:
    """Add the ``login`` command to the typer app."""
    import typer

    @app.command("login")  # type: ignore[untyped-decorator]
    def login_command(
        client_id: str = typer.Option(..., envvar="ALLEGRO_CLIENT_ID", help="The app's Client ID."),
        client_secret: str = typer.Option(
            ..., envvar="ALLEGRO_CLIENT_SECRET", help="The Client Secret (env var preferred)."
        ),
        environment: str = typer.Option("production", help="production, sandbox or a base URL."),
        store: Path = typer.Option(DEFAULT_STORE, help="The JSON token file (mode 0600)."),
        code: bool = typer.Option(False, "--code", help="Browser flow instead of device flow."),
        port: int = typer.Option(8765, help="Loopback port for --code (register it exactly)."),
        key: str = typer.Option("", help="Store key (default: the seller's user id)."),
    ) -> None:
        """Log a seller in (device flow by default) and save the token to a file store."""
        import anyio

        secret = Secret(client_secret)
        del client_secret  # typer prints a failed command's locals (with rich installed)

        env: Environment | str = environment
        if environment.startswith(("http://", "https://")):
            env = Environment.custom(environment)
        anyio.run(lambda: login(client_id, secret, environment=env, store_path=store,
                                use_code=code, port=port, key=key or None))
