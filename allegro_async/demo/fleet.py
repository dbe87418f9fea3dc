"""Demo step: many machines. Two workers (two ``AllegroApp``s, each with its own engine on one
SQLite file standing for the shared database) share sellers' token pairs, a refresh abandoned by
a dead process, and the order-event journals, with leases (A5, A8; docs/many-machines.md,
docs/consumers-fleet.md)."""

from __future__ import annotations

import logging
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from contextlib import AsyncExitStack
from pathlib import Path

import anyio
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from allegro_async.auth.app import AllegroApp
from allegro_async.auth.flows import OAuthFlows
from allegro_async.auth.tokens import Token
from allegro_async.consumers import EventHandler
from allegro_async.demo.context import DemoContext
from allegro_async.errors import APIError
from allegro_async.fleet import FleetConsumers, SqlLeases
from allegro_async.services.events import EventDelivery
from allegro_async.stores.crypto import TokenCipher
from allegro_async.stores.sql_cursors import SqlCursorStore
from allegro_async.stores.sql_tokens import SqlTokenStore
from allegro_async.testing import Emulator, EmulatorConfig
from allegro_async.testing.emulator.orders import OrdersConfig

#: Short leases so that a death is over in seconds (production: ttl=15, lock_ttl=30); the
#: slack leaves a loaded machine time for a round's own database calls.
LEASE_TTL = 3.0
RENEW_EVERY = 0.5
SLACK = 1.0
LOCK_TTL = 1.0
GUARD = 15.0  # seconds: only ends a demo that would otherwise hang


class MortalLeases(SqlLeases):
    """SqlLeases of a host that can die: once ``dead``, it releases nothing (as a killed
    process), so its leases and heartbeat simply expire."""

    dead = False

    async def release(self, tokens: Mapping[str, int], holder: str) -> None:
        """Free the leases, unless the host is dead."""
        if not self.dead:
            await super().release(tokens, holder)

    async def leave(self, worker: str) -> None:
        """Leave the register, unless the host is dead."""
        if not self.dead:
            await super().leave(worker)


class LogNotes(logging.Handler):
    """The library's warnings during the step, printed as notes (what your logs would show)."""

    def __init__(self, ctx: DemoContext) -> None:
        super().__init__(logging.WARNING)
        self._ctx = ctx

    def emit(self, record: logging.LogRecord) -> None:
        """Print one log line."""
        self._ctx.note(f"log: {record.getMessage()}")


class Worker:
    """One host: its own engine on the shared database, its token store and its app."""

    def __init__(self, name: str, emulator: Emulator, url: str, cipher: TokenCipher) -> None:
        self.name = name
        self.engine: AsyncEngine = create_async_engine(url, connect_args={"timeout": 30})
        self.cipher = cipher
        self.store = SqlTokenStore(self.engine, lock_ttl=LOCK_TTL, cipher=cipher)
        self.app = AllegroApp(emulator.client_id, emulator.client_secret, store=self.store,
                              environment=emulator.environment(),
                              transport=emulator.transport(),
                              clock=lambda: emulator.clock.now().timestamp())

    async def me(self, seller: str, times: int = 1) -> list[str]:
        """``GET /me`` for ``seller`` ``times`` times at once; the ids answered."""
        ids: list[str] = []

        async def one() -> None:
            ids.append((await self.app.seller(seller).request("GET", "/me"))["id"])

        async with anyio.create_task_group() as tg:
            for _ in range(times):
                tg.start_soon(one)
        return ids


def _refreshes(emulator: Emulator) -> int:
    return emulator.oauth.counters.token_requests["refresh_token"]


async def _journal(emulator: Emulator) -> tuple[set[str], int]:
    """The event ids in every seller's journal, read from the start by a client of the
    emulator's own (no worker's), and how many repeated events it dropped (S10)."""
    ids: set[str] = set()
    repeated = 0
    for seller in range(len(emulator.sellers)):
        async with emulator.client(seller) as client, client.orders.events(
                start="beginning", follow=False) as stream:
            ids.update([delivery.id async for delivery in stream])
            repeated += stream.duplicates
    return ids, repeated


async def run(ctx: DemoContext) -> None:
    """Two workers, one database: one refresh per expiry, a dead refresh taken over, the
    consumers' sellers moved off a dead worker within the lease TTL."""
    ctx.heading("Many machines: two workers share one database (A5, A8)")
    emulator = Emulator(EmulatorConfig(seed=ctx.emulator.config.seed, sellers=6,
                                       orders=OrdersConfig(orders_per_seller=2)))
    logs, logger = LogNotes(ctx), logging.getLogger("allegro_async")
    logger.addHandler(logs)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'shared.db'}"
        cipher = TokenCipher([TokenCipher.generate_key()])  # pairs encrypted at rest
        a, b = Worker("A", emulator, url, cipher), Worker("B", emulator, url, cipher)
        try:
            async with AsyncExitStack() as stack:
                await _share_tokens(ctx, emulator, a, b, stack, url)
                await _consume(ctx, emulator, a, b)
        finally:
            logger.removeHandler(logs)
            for worker in (a, b):
                await worker.engine.dispose()


async def _share_tokens(ctx: DemoContext, emulator: Emulator, a: Worker, b: Worker,
                        stack: AsyncExitStack, url: str) -> None:
    now = emulator.clock.now().timestamp()
    sellers = [s.id for s in emulator.sellers]
    for seller in sellers:  # each seller connected once; the pair is in the shared database
        await a.app.add_seller(Token.from_response(emulator.oauth.issue_pair(seller), now=now,
                                                   environment="custom"))
    first, second = sellers[0], sellers[1]
    await a.me(first)
    await b.me(first)
    await b.me(second)  # both hold seller-1's pair in memory, B also seller-2's
    await stack.enter_async_context(a.app)  # open: their recovery sweeps run
    await stack.enter_async_context(b.app)
    ctx.say(f"workers A and B: an AllegroApp each, with its own engine on one SQLite file "
            f"(in production a postgresql:// URL, same code); {len(sellers)} sellers' pairs "
            "in it, encrypted at rest")

    emulator.clock.advance(12 * 3600 - 120)  # inside the refresh margin on both workers
    before = _refreshes(emulator)
    answers: list[str] = []

    async def burst(worker: Worker) -> None:
        answers.extend(await worker.me(first, 20))

    async with anyio.create_task_group() as tg:
        tg.start_soon(burst, a)
        tg.start_soon(burst, b)
    refreshes = _refreshes(emulator) - before
    ctx.say(f"seller-1's token expires under both: 40 requests, {refreshes} refresh request "
            f"at Allegro, {answers.count(first)} answers; the other worker waited on the "
            "database lock and read the saved pair")
    ctx.record("fleet: refreshes for an expiry under two workers", refreshes)

    await _dead_refresh(ctx, emulator, a, b, second, url)


async def _dead_refresh(ctx: DemoContext, emulator: Emulator, a: Worker, b: Worker,
                        seller: str, url: str) -> None:
    """A third process (a job on host C) refreshes ``seller`` as RefreshingAuth does: lock,
    refresh intent, Allegro's answer... and is killed before its save."""
    stored = await a.store.load(seller)
    assert stored is not None
    answered = anyio.Event()
    async with SqlTokenStore(url, lock_ttl=LOCK_TTL, cipher=a.cipher) as dying, OAuthFlows(
            emulator.client_id, emulator.client_secret, environment=emulator.environment(),
            transport=emulator.transport()) as flows:

        async def die_before_saving(pair: Token) -> None:
            async with dying.lock(seller):
                await dying.begin_refresh(seller)
                await flows.refresh(str(pair.refresh_token))  # Allegro rotates the pair
                answered.set()
                await anyio.sleep_forever()  # killed here: the new pair is never saved

        with anyio.fail_after(GUARD):
            async with anyio.create_task_group() as tg:
                tg.start_soon(die_before_saving, stored)
                await answered.wait()
                died_at = emulator.clock.monotonic()
                tg.cancel_scope.cancel()  # its lock ends (a killed process's: after lock_ttl)
        ctx.say("a job on host C refreshed seller-2 and died before saving: the stored "
                "refresh token is rotated and works ~60 s more (A5); B's copy of the pair "
                "looks valid for hours")
        assert b.app.recovery is not None
        before = _refreshes(emulator)
        with anyio.fail_after(GUARD):
            # B's sweep reads the refresh intents of the sellers it holds: one pass now
            await b.app.recovery.run_once()
            await b.app.recovery.wait_idle()  # in case its background pass came first
        took = emulator.clock.monotonic() - died_at
        taken_over = b.app.recovery.taken_over
        ctx.say(f"B's recovery sweep took it over {took:.1f} s later ({taken_over} takeover, "
                f"{_refreshes(emulator) - before} refresh with the stored refresh token)")
        ctx.note("in production the sweep reads every lock_ttl / 2 (15 s) and waits out the "
                 "dead lock (30 s): done about 30 s after the death, inside the 60 s grace")
        emulator.clock.advance(13 * 3600)  # past the grace and the new access token's life
        try:
            await flows.refresh(str(stored.refresh_token))
            refused = False
        except APIError as exc:
            refused = exc.oauth_error == "invalid_grant"
    connected = (await b.me(seller) + await a.me(seller)) == [seller, seller]
    ctx.say("13 h later the dead job's refresh token "
            + ("is refused (invalid_grant)" if refused else "still works (unexpected)")
            + (", and both workers still serve seller-2: it never had to connect again"
               if connected else ", and seller-2 must connect again"))
    ctx.record("fleet: abandoned refresh taken over", taken_over == 1)
    ctx.record("fleet: takeover inside A5's grace (s)", round(took, 1))
    ctx.record("fleet: seller connected after the takeover", connected and refused)


class Handled:
    """What the workers' handlers did: times each event id was handled, events per worker."""

    def __init__(self) -> None:
        self.times: Counter[str] = Counter()
        self.by_worker: Counter[str] = Counter()
        self._changed = anyio.Event()

    def handler(self, worker: str) -> EventHandler:
        """The handler of one worker."""

        async def handle(seller_id: str, delivery: EventDelivery) -> None:
            self.times[delivery.id] += 1  # a real handler checks delivery.id if twice hurts
            self.by_worker[worker] += 1
            self._changed.set()
            self._changed = anyio.Event()

        return handle

    async def all_of(self, emulator: Emulator) -> None:
        """Wait until every event now in the journals was handled."""
        journal, _ = await _journal(emulator)
        while not journal <= self.times.keys():
            await self._changed.wait()


def _fleet(worker: Worker, leases: SqlLeases, handled: Handled) -> FleetConsumers:
    """One worker's consumers: its share of the sellers in the store, by leases."""
    return FleetConsumers(
        worker.app, handled.handler(worker.name), leases=leases, worker_id=worker.name,
        ttl=LEASE_TTL, renew_every=RENEW_EVERY, margin=RENEW_EVERY, slack=SLACK,
        cursor_stores=lambda seller: SqlCursorStore(worker.engine, f"events:{seller}"),
        start="beginning", min_poll=0.05, max_poll=0.2)


def _new_orders(emulator: Emulator) -> None:
    for seller in range(len(emulator.sellers)):
        emulator.orders.new_order(seller)


async def _consume(ctx: DemoContext, emulator: Emulator, a: Worker, b: Worker) -> None:
    handled = Handled()
    leases_a, leases_b = MortalLeases(a.engine), SqlLeases(b.engine)
    await leases_a.create_tables()
    held_by_a: list[str] = []
    with anyio.fail_after(GUARD):
        async with _fleet(b, leases_b, handled) as fleet_b:
            balanced, death = anyio.Event(), anyio.Event()

            async def worker_a() -> None:
                with anyio.CancelScope() as scope:
                    async with _fleet(a, leases_a, handled) as fleet_a:
                        while not (fleet_a.held() and fleet_b.held()):
                            await fleet_a.next_round()  # B releases A's share, A takes it
                        held_by_a.extend(fleet_a.held())
                        balanced.set()
                        await death.wait()
                        leases_a.dead = True  # A's host dies: nothing is released
                        scope.cancel()

            await handled.all_of(emulator)
            ctx.say(f"event consumers: B starts alone, takes every seller's lease and handles "
                    f"their journals ({handled.by_worker['B']} events)")
            async with anyio.create_task_group() as tg:
                tg.start_soon(worker_a)
                await balanced.wait()
                before = handled.by_worker.copy()
                _new_orders(emulator)
                await handled.all_of(emulator)
                ctx.say(f"A joins and gets its share: A follows {len(held_by_a)} sellers, B "
                        f"{len(fleet_b.held())}; new orders' events handled by A "
                        f"{handled.by_worker['A'] - before['A']}, by B "
                        f"{handled.by_worker['B'] - before['B']}")
                death.set()
            died = time.monotonic()
            _new_orders(emulator)  # orders keep coming while A is dead
            while not set(held_by_a) <= set(fleet_b.held()):
                await fleet_b.next_round()
            failover = time.monotonic() - died
            await handled.all_of(emulator)
    journal, repeated = await _journal(emulator)
    lost = len(journal - handled.times.keys())
    twice = sum(count - 1 for count in handled.times.values())
    ctx.say(f"A dies; B holds its {len(held_by_a)} sellers {failover:.1f} s later (lease TTL "
            f"{LEASE_TTL:g} s): of the {len(journal)} events in the journals, {lost} lost, "
            f"{twice} handled twice ({repeated} repeated by Allegro, dropped, S10)")
    ctx.note(f"leases live {fleet_b.lease_for:g} s after each renewal, renewed every "
             f"{RENEW_EVERY:g} s; the cursors are in the database: B resumed where A committed")
    ctx.record("fleet: events lost", lost)
    ctx.record("fleet: events handled twice", twice)
    ctx.record("fleet: failover within the lease TTL", failover <= LEASE_TTL)
