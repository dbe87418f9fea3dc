"""The ``allegro-async`` command line: ``demo``, ``emulator``, ``login``."""

from __future__ import annotations

import sys


def _missing_cli() -> None:
    print(
        "The allegro-async command line needs the 'cli' extra: "
        'python -m pip install "allegro-async[cli,emulator]"',
        file=sys.stderr,
    )
    raise SystemExit(2)


def build_app() -> object:
    """Build the typer application (imports typer lazily)."""
    import typer

    app = typer.Typer(
        name="allegro-async",
        help="Allegro REST API client: demo, emulator, login.",
        no_args_is_help=True,
        add_completion=False,
    )

    @app.command()
    def demo(
        seed: int = typer.Option(1, help="Seed of the emulator's data."),
        quick: bool = typer.Option(False, help="Smaller volumes, for a fast look."),
    ) -> None:
        """Run a seller's day against the built-in emulator: no credentials, no network."""
        from allegro_async.demo import main as demo_main

        raise typer.Exit(demo_main(seed=seed, quick=quick))

    @app.command()
    def emulator(
        host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
        port: int = typer.Option(0, help="Port; 0 picks a free one."),
        seed: int = typer.Option(1, help="Seed of the emulator's data."),
        sellers: int = typer.Option(3, help="How many seller accounts."),
        environment: str = typer.Option("production", help="production or sandbox."),
        time_scale: float = typer.Option(1.0, help="Emulated seconds per real second."),
        offers: int | None = typer.Option(None, help="Active offers per seller."),
        orders: int | None = typer.Option(None, help="Orders per seller at start."),
        new_orders_per_hour: float | None = typer.Option(
            None, help="Event rate: new orders (with their events) per emulated hour."),
        refresh_tokens: bool = typer.Option(
            False, help="Print a refresh token for each seller too (token pairs)."),
    ) -> None:
        """Serve the Allegro emulator over HTTP until Ctrl-C."""
        from allegro_async.testing.server import run_cli

        run_cli(host=host, port=port, seed=seed, sellers=sellers,
                environment=environment, time_scale=time_scale, offers_per_seller=offers,
                orders_per_seller=orders, new_orders_per_hour=new_orders_per_hour,
                refresh_tokens=refresh_tokens)

    try:
        from allegro_async.auth.cli import register as register_login
    except ImportError:  # pragma: no cover - the auth command line is optional
        pass
    else:
        register_login(app)
    from allegro_async.cli_offers import register as register_offers

    register_offers(app)
    return app


def main() -> None:
    """Entry point of the ``allegro-async`` script."""
    try:
        app = build_app()
    except ImportError:
        _missing_cli()
    app()  # type: ignore[operator]


if __name__ == "__main__":  # pragma: no cover
    main()
