"""``allegro-async offers``: bulk PATCHes from a file and price changes, with a progress bar.

Credentials: ``--token``, else ``ALLEGRO_ACCESS_TOKEN``, else the token ``allegro-async login``
saved (``--store``, ``--key``). ``--emulator`` runs against an in-process emulator instead, to
try a file out with no account and no network.
"""

from __future__ import annotations

import csv
import json
import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from allegro_async.errors import InvalidArgumentError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    from allegro_async.client import AllegroClient


def read_changes(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """The changes of a bulk file: JSON lines ``{"offer_id": ..., "changes": {...}}``, or a
    CSV whose ``offer_id`` column names the offer and whose other columns are top-level
    fields (``name``, ...)."""
    text = path.read_text(encoding="utf-8")
    items: list[tuple[str, dict[str, Any]]] = []
    if path.suffix.lower() == ".csv":
        for row in csv.DictReader(text.splitlines()):
            offer_id = (row.pop("offer_id", None) or "").strip()
            items.append((offer_id, {k: v for k, v in row.items() if k and v not in (None, "")}))
        return items
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            items.append((str(record["offer_id"]), dict(record["changes"])))
        except (ValueError, KeyError, TypeError):
            raise InvalidArgumentError(str(path), f"line {number} is not "
                                       '{"offer_id": ..., "changes": {...}}',
                                       "fix or remove that line") from None
    return items


def read_ids(path: Path) -> list[str]:
    """Offer ids, one a line (blank lines and ``#`` comments skipped)."""
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


async def _stored_token(store: Path, key: str) -> str | None:
    from allegro_async.auth.tokens import FileTokenStore

    try:
        token = await FileTokenStore(store).load(key)
    except (OSError, ValueError):  # no store yet, or not a token file: no stored token
        return None
    return token.access_token if token is not None else None


@asynccontextmanager
async def open_client(token: str | None, store: Path, key: str, emulator: bool,
                      environment: str) -> AsyncIterator[AllegroClient]:
    """The client the command runs with (see the module docstring for the order)."""
    if emulator:
        from allegro_async.testing import Emulator

        async with Emulator(time_scale=1000.0).client(0) as client:
            yield client
        return
    from allegro_async.client import AllegroClient

    token = token or os.environ.get("ALLEGRO_ACCESS_TOKEN") or await _stored_token(store, key)
    if not token:
        raise InvalidArgumentError("token", "no access token was found",
                                   "pass --token, set ALLEGRO_ACCESS_TOKEN, or run "
                                   "'allegro-async login' first (--key names the seller)")
    async with AllegroClient(token, environment=environment) as client:
        yield client


def register(app: Any) -> None:
    """Add the ``offers`` command group to the typer ``app``."""
    import anyio
    import typer
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from allegro_async.auth.cli import DEFAULT_STORE

    offers = typer.Typer(help="Change many offers: bulk PATCHes and price commands.",
                         no_args_is_help=True)
    app.add_typer(offers, name="offers")
    console = Console(stderr=True)

    def bar() -> Progress:
        return Progress("{task.description}", BarColumn(), MofNCompleteColumn(),
                        TimeRemainingColumn(), console=console)

    token_opt = typer.Option(None, "--token", help="Access token (or ALLEGRO_ACCESS_TOKEN).")
    store_opt = typer.Option(DEFAULT_STORE, "--store", help="Token file of 'login'.")
    key_opt = typer.Option("app", "--key", help="Key of the token in the store.")
    emu_opt = typer.Option(False, "--emulator", help="Run against an in-process emulator.")
    env_opt = typer.Option("production", "--environment", help="production or sandbox.")

    def finish(failed: Mapping[str, object], summary: str,
               unknown: Mapping[str, str] | None = None, resume_hint: str = "") -> int:
        """Print each failed offer, each offer of unknown outcome (with its command and how
        to resolve it) and the summary; the exit code (1 if any failed or is unknown)."""
        for offer_id, error in failed.items():
            typer.echo(f"FAILED {offer_id}: {error}")
        for offer_id, command_id in (unknown or {}).items():
            typer.echo(f"UNKNOWN {offer_id}: command {command_id} may have been applied")
        if unknown:
            typer.echo("Do not re-run a relative change on the UNKNOWN offers: "
                       + (resume_hint or "read their commands' reports first."))
        typer.echo(summary)
        return 1 if failed or unknown else 0

    @offers.command("bulk-update")
    def bulk_update(
        file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                    help="JSON lines {offer_id, changes} or CSV."),
        journal: Path | None = typer.Option(None, "--journal",
                                            help="Journal file: rerun with it to resume."),
        concurrency: int = typer.Option(8, help="PATCHes in flight."),
        token: str | None = token_opt, store: Path = store_opt, key: str = key_opt,
        emulator: bool = emu_opt, environment: str = env_opt,
    ) -> None:
        """PATCH each offer of FILE with its own change (A2 pacing, resumable)."""
        from allegro_async.services.bulk import BulkJournal, BulkProgress

        items = read_changes(file)

        async def run() -> int:
            async with open_client(token, store, key, emulator, environment) as client:
                with bar() as progress:
                    task = progress.add_task("PATCH", total=len(items))

                    def step(p: BulkProgress) -> None:
                        progress.update(task, completed=p.done + p.failed + p.skipped)

                    result = await client.offers.bulk_update(
                        items, concurrency=concurrency, progress=step,
                        journal=BulkJournal(journal) if journal else None)
            return finish(result.failed, f"done {len(result.succeeded)} "
                          f"(skipped {len(result.skipped)}), failed {len(result.failed)}")

        raise typer.Exit(anyio.run(run))

    @offers.command("change-price")
    def change_price(
        ids_file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                        help="Offer ids, one a line."),
        percent: str | None = typer.Option(None, "--percent",
                                           help="Change by this percent, e.g. 5 or -10."),
        to: str | None = typer.Option(None, "--to", help="Set this price, e.g. 19.99."),
        currency: str = typer.Option("PLN", help="Currency of --to."),
        journal: Path | None = typer.Option(None, "--journal", help=(
            "Commands journal file: 'offers resume' with it finishes an interrupted run.")),
        token: str | None = token_opt, store: Path = store_opt, key: str = key_opt,
        emulator: bool = emu_opt, environment: str = env_opt,
    ) -> None:
        """Change the price of every offer in IDS_FILE with price commands (1000 a request)."""
        from allegro_async.services.command_journal import CommandJournal

        if (percent is None) == (to is None):
            raise typer.BadParameter("give exactly one of --percent and --to")
        ids = read_ids(ids_file)

        async def run() -> int:
            async with open_client(token, store, key, emulator, environment) as client:
                with bar() as progress:
                    task = progress.add_task("price", total=len(ids))
                    engine = client.offers.commands(
                        progress=lambda done, total: progress.update(task, completed=done),
                        **({"journal": CommandJournal(journal)} if journal else {}))
                    if to is not None:
                        result = await client.offers.change_price(ids, to=to, currency=currency,
                                                                  engine=engine)
                    elif percent is not None and percent.strip().startswith("-"):
                        result = await client.offers.change_price(
                            ids, decrease_percent=percent.strip()[1:], engine=engine)
                    else:
                        result = await client.offers.change_price(
                            ids, increase_percent=str(percent).lstrip("+"), engine=engine)
            return finish(result.failed, f"changed {len(result.succeeded)}, failed "
                          f"{len(result.failed)}, unknown {len(result.unknown)}; commands: "
                          f"{' '.join(result.command_ids)}", result.unknown,
                          f"run 'allegro-async offers resume {journal}'." if journal else "")

        raise typer.Exit(anyio.run(run))

    @offers.command("resume")
    def resume(
        journal: Path = typer.Argument(..., exists=True, dir_okay=False,
                                       help="The --journal file of an interrupted run."),
        token: str | None = token_opt, store: Path = store_opt, key: str = key_opt,
        emulator: bool = emu_opt, environment: str = env_opt,
    ) -> None:
        """Finish the commands a journal still holds: re-send each under its own id (the same
        command, never a second change) and read its report."""
        from allegro_async.services.command_journal import CommandJournal

        async def run() -> int:
            async with open_client(token, store, key, emulator, environment) as client:
                result = await client.offers.commands(journal=CommandJournal(journal)).resume()
            return finish(result.failed, f"changed {len(result.succeeded)}, failed "
                          f"{len(result.failed)}, unknown {len(result.unknown)}", result.unknown,
                          f"run 'allegro-async offers resume {journal}' again later.")

        raise typer.Exit(anyio.run(run))
