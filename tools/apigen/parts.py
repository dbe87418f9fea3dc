"""Parts of an area's models: the classes of an area module are defined in parts (modules of
``allegro_async.api.models._parts``), one per set of the area's operations that use them, and
the area module imports a part when one of its classes is first read. So an operation's first
call builds the classes its own request and answer need, not every class of its area (building
a pydantic class is most of the cost of importing models).

A class's dependencies are used by at least the operations using it, so a part imports only
parts of larger sets of operations (and the shared modules): nothing cycles. An area whose
classes all serve the same operations stays one module.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tools.apigen.models import ModelSet

#: The package of the parts, below ``allegro_async.api.models``.
PACKAGE = "_parts"


def split(models: ModelSet, used_by: dict[str, set[str]]) -> None:
    """Give each class of an area module its part; ``used_by``: root class -> the ids of
    the operations it is the request or answer of."""
    ops: dict[str, set[str]] = {name: set() for name in models.classes}
    for root, ids in used_by.items():
        stack = [root]
        while stack:
            name = stack.pop()
            if name not in ops or ids <= ops[name]:
                continue
            ops[name] |= ids
            stack.extend(models.classes[name].deps)
    for module, names in models.modules.items():
        if len(models.classes[names[0]].areas) != 1:
            continue  # common and shared modules: loaded whole
        keys = {name: ",".join(sorted(ops[name])) for name in names}
        if len(set(keys.values())) < 2:
            continue
        for name in names:
            digest = hashlib.sha256(keys[name].encode()).hexdigest()[:8]
            part = f"{PACKAGE}.{module}_{digest}"
            models.classes[name].part = part
            models.part_ops[part] = sorted(ops[name])


def area_of(part: str) -> str:
    """The area module a part belongs to (``_parts.order_management_1a2b3c4d`` ->
    ``order_management``): the inverse of the name :func:`split` gives it."""
    return part.split(".", 1)[1].rsplit("_", 1)[0]


def render_package(header: str) -> str:
    """The ``_parts`` package's ``__init__``."""
    return (header + '"""Parts of the area modules of ``allegro_async.api.models``: import the '
            'classes from their area module."""\n')


def render_area(models: ModelSet, module: str, header: str) -> str:
    """An area module whose classes live in parts: each part imported on first use."""
    by_part: dict[str, list[str]] = {}
    for name in models.modules[module]:
        by_part.setdefault(models.classes[name].home, []).append(name)
    lines = [header, "from __future__ import annotations", "", "import importlib",
             "from typing import TYPE_CHECKING, Any", "", "if TYPE_CHECKING:"]
    for part, names in sorted(by_part.items()):
        lines.append(f"    from allegro_async.api.models.{part} import (")
        lines += [f"        {name}," for name in names]
        lines.append("    )")
    lines += ["", "__all__ = ["]
    lines += [f"    {name!r}," for name in sorted(models.modules[module])]
    lines += ["]", "", "#: part -> the classes it defines, space-separated",
              "_BY_PART: dict[str, str] = {"]
    for part, names in sorted(by_part.items()):
        lines.append(f"    {part.rsplit('.', 1)[-1]!r}: (")
        chunk = ""
        for name in names:
            if chunk and len(chunk) + len(name) > 80:
                lines.append(f"        {chunk!r}")
                chunk = ""
            chunk += name + " "
        lines += [f"        {chunk!r}", "    ),"]
    lines += [
        "}",
        "#: class -> the part that defines it",
        "_PARTS = {name: part for part, names in _BY_PART.items() for name in names.split()}",
        "", "",
        "if not TYPE_CHECKING:  # type checkers see the imports above, and only those",
        "",
        "    def __getattr__(name: str) -> Any:",
        "        part = _PARTS.get(name)",
        "        if part is None:",
        "            raise AttributeError(f\"module {__name__!r} has no attribute {name!r}\")",
        f"        value = getattr(importlib.import_module(f\"allegro_async.api.models.{PACKAGE}."
        "{part}\"), name)",
        "        globals()[name] = value",
        "        return value",
        "", "",
        "def __dir__() -> list[str]:",
        "    return sorted({*globals(), *_PARTS})",
        "",
    ]
    return "\n".join(lines)
