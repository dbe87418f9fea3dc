"""Event consumers spread over many workers (processes, hosts) by leases in Redis or a SQL
database: each seller's journal consumed by one worker at a time, taken over when a worker dies,
rebalanced when workers come and go. See docs/consumers-fleet.md.

Names load on first use (``redis`` and ``sqlalchemy`` are optional extras)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from allegro_async.fleet.leases import LeaseBackend, LeaseLostError, RedisLeases
    from allegro_async.fleet.sql import SqlLeases
    from allegro_async.fleet.workers import FencedCursorStore, FleetConsumers, owner

__all__ = ["FencedCursorStore", "FleetConsumers", "LeaseBackend", "LeaseLostError",
           "RedisLeases", "SqlLeases", "owner"]

_WHERE = {"LeaseBackend": "leases", "LeaseLostError": "leases", "RedisLeases": "leases",
          "SqlLeases": "sql", "FencedCursorStore": "workers", "FleetConsumers": "workers",
          "owner": "workers"}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'allegro_async.fleet' has no attribute {name!r}")
    return getattr(importlib.import_module(f"allegro_async.fleet.{module}"), name)
