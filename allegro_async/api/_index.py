"""Every operation of the spec, by operationId (hand-written loader).

The records themselves are generated data, ``_index.json`` (one row per operation, columns in
:class:`Operation`'s field order), read when :data:`allegro_async.api.OPERATIONS` is first
used: a fraction of the size of the same table as Python source, and nothing to compile.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from allegro_async.api._operation import Operation, Param

_TABLE = "_index.json"
#: Columns written as JSON arrays that the records hold as tuples.
_TUPLES = ("request_media_types", "response_media_types", "scopes")


def _param(row: list[Any]) -> Param:
    if row[6] is not None:  # enum
        row = [*row[:6], tuple(row[6]), *row[7:]]
    return Param(*row)


def load() -> dict[str, Operation]:
    """The index, read from its data file."""
    data = json.loads(resources.files("allegro_async.api").joinpath(_TABLE).read_bytes())
    fields: list[str] = data["fields"]
    out: dict[str, Operation] = {}
    for row in data["operations"]:
        values = dict(zip(fields, row, strict=True))
        for name in _TUPLES:
            values[name] = tuple(values[name])
        values["params"] = tuple(_param(p) for p in values["params"])
        out[values["operation_id"]] = Operation(**values)
    return out


OPERATIONS: dict[str, Operation] = load()
