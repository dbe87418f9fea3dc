"""``allegro-async login``: obtain a seller's token and save it to a file store.

The device flow is the default (it needs no redirect); ``--code`` runs the browser flow with a
loopback redirect catcher on 127.0.0.1 (register ``http://127.0.0.1:<port>/callback``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Mapping
from pathlib import Path
from typing import Any

from allegro_async._http import AsyncBaseTransport, httpx
from allegro_async._redact import Secret
from allegro_async.auth.flows import DeviceAuthorization, OAuthFlows
from allegro_async.auth.tokens import FileTokenStore
from allegro_async.config import Environment
from allegro_async.errors import AllegroError, InvalidArgumentError

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


def _run_login(environ: Mapping[str, str], *, client_id: str | None,
               client_secret: str | Secret[str] | None, environment: str | None,
               store: Path | None,
               use_code: bool, port: int, key: str | None) -> str:
    """Resolve the options over the ``ALLEGRO_*`` variables (the ones ``from_env`` reads) and
    log in. Raises :class:`~allegro_async.errors.InvalidArgumentError` naming a bad value."""
    import anyio

    from allegro_async.auth.app import environment_from_env, token_file_from_env

    given_id = client_id or environ.get("ALLEGRO_CLIENT_ID", "").strip() or None
    # the secret stays wrapped: this frame's locals are printed by error reporters
    secret = client_secret or Secret(environ.get("ALLEGRO_CLIENT_SECRET", "").strip()) or None
    for name, value in (("ALLEGRO_CLIENT_ID", given_id), ("ALLEGRO_CLIENT_SECRET", secret)):
        if not value:
            raise InvalidArgumentError(
                name, "is not set", f"export {name}, or pass --{name[8:].lower().replace('_', '-')}"
            )
    env = environment_from_env(
        {"ALLEGRO_ENVIRONMENT": environment} if environment else environ
    )
    path = store or Path(token_file_from_env(environ) or DEFAULT_STORE)
    return anyio.run(lambda: login(
        given_id or "", secret or "",
        environment=env, store_path=path, use_code=use_code, port=port, key=key,
    ))


def register(app: Any) -> None:
    """Add the ``login`` command to the typer app."""
    import typer

    @app.command("login")  # type: ignore[untyped-decorator]
    def login_command(
        client_id: str = typer.Option("", help="The app's Client ID [ALLEGRO_CLIENT_ID]."),
        client_secret: str = typer.Option(
            "", help="The Client Secret; the variable is preferred [ALLEGRO_CLIENT_SECRET]."
        ),
        environment: str = typer.Option(
            "", help="production, sandbox or a base URL [ALLEGRO_ENVIRONMENT, else production]."
        ),
        store: Path | None = typer.Option(
            None, help=f"The JSON token file, mode 0600 [ALLEGRO_TOKEN_FILE, else {DEFAULT_STORE}]."
        ),
        code: bool = typer.Option(False, "--code", help="Browser flow instead of device flow."),
        port: int = typer.Option(8765, help="Loopback port for --code (register it exactly)."),
        key: str = typer.Option("", help="Store key (default: the seller's user id)."),
    ) -> None:
        """Log a seller in (device flow by default) and save the token to a file store. Reads
        the same ALLEGRO_* variables as AllegroApp.from_env(); options override them."""
        secret = Secret(client_secret) if client_secret else None
        del client_secret  # typer prints a failed command's locals (with rich installed)
        try:
            _run_login(os.environ, client_id=client_id or None, client_secret=secret,
                       environment=environment or None, store=store, use_code=code, port=port,
                       key=key or None)
        except (AllegroError, OSError, httpx.HTTPError) as exc:
            # One line, not a traceback through anyio and typer: the message names the fix.
            print(f"allegro-async login: {type(exc).__name__}: {exc}", file=sys.stderr)
            raise typer.Exit(2) from None
