"""Moving from files to a shared store: copy a :class:`~allegro_async.auth.tokens.FileTokenStore`
(or any listable token store) and a :class:`~allegro_async.cursors.FileCursorStore` (or any
cursor store) into new stores. Stop the workers that use the old stores first: a refresh
during the copy would rotate a pair that the copy then misses (A5).

::

    copied = await copy_tokens(FileTokenStore("tokens.json"), SqlTokenStore(url))
    await copy_cursor(FileCursorStore("orders-123.cursor"), SqlCursorStore(url, "orders:123"))
"""

from __future__ import annotations

from allegro_async.auth.tokens import ListableTokenStore, TokenStore
from allegro_async.cursors import CursorState, CursorStore
from allegro_async.errors import InvalidArgumentError


async def copy_tokens(source: ListableTokenStore, target: TokenStore, *,
                      overwrite: bool = False) -> list[str]:
    """Copy every pair of ``source`` into ``target``; the keys copied, sorted. A key that
    ``target`` already has is kept as it is (it may be newer) unless ``overwrite``."""
    if not isinstance(source, ListableTokenStore):
        raise InvalidArgumentError("source", f"{type(source).__name__} cannot list its keys",
                                   "pass a FileTokenStore or another ListableTokenStore")
    copied = []
    for key in await source.keys():
        token = await source.load(key)
        if token is None or (not overwrite and await target.load(key) is not None):
            continue
        await target.save(key, token)
        copied.append(key)
    return copied


async def copy_cursor(source: CursorStore, target: CursorStore) -> CursorState:
    """Copy a stream's place (its cursor and recent de-duplication keys) into ``target``,
    which must be empty; the state copied."""
    state = await source.load()
    if (await target.load()).cursor is not None:
        raise InvalidArgumentError("target", "already holds a cursor for this stream",
                                   "copy into a new stream name, or keep the target as it is")
    if state.cursor is not None:
        await target.commit(state.cursor, state.keys)
    return state
