"""Stores shared by many machines: token pairs, event-stream cursors and pending onboarding
flows on Redis (``redis`` extra) or a SQL database through SQLAlchemy's asyncio engine
(``sql`` extra for SQLite, ``postgres`` extra for PostgreSQL). See docs/many-machines.md.

Nothing optional is imported here; import the module you need::

    from allegro_async.stores.redis_tokens import RedisTokenStore
    from allegro_async.stores.sql_tokens import SqlTokenStore
    from allegro_async.stores.redis_cursors import RedisCursorStore
    from allegro_async.stores.sql_cursors import SqlCursorStore
    from allegro_async.stores.crypto import TokenCipher
    from allegro_async.stores.migrate import copy_tokens, copy_cursor
"""

from allegro_async.stores.fencing import StaleLockError

__all__ = ["StaleLockError"]
