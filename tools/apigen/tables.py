"""Rendering the tables: the operation index, the scope table, ``client.api``'s root and the
models package's lazy name map."""

from __future__ import annotations

import json
from typing import Any

from tools.apigen.models import ModelSet
from tools.apigen.render import class_name
from tools.apigen.spec import Spec


def _lit(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + "".join(f"{_lit(v)}, " for v in value) + ")"
    return repr(value)


#: The index's columns, in :class:`~allegro_async.api._operation.Operation`'s field order
#: (``params`` rows in :class:`~allegro_async.api._operation.Param`'s).
INDEX_FIELDS = ("operation_id", "method", "path", "name", "area", "summary", "response_model",
                "request_model", "body_required", "request_media_types",
                "response_media_type", "response_media_types", "success_status", "scopes",
                "app_token_allowed", "params", "host", "deprecated", "example")
PARAM_FIELDS = ("name", "python_name", "location", "required", "type", "items_type", "enum",
                "minimum", "maximum", "format", "default")


def render_index(spec: Spec, models: ModelSet, note: str) -> str:
    """The operation index as compact JSON (``allegro_async/api/_index.json``): one row per
    operation, one line each, read by ``allegro_async/api/_index.py`` when ``OPERATIONS`` is
    first used. Data, not code: a fraction of the size, and nothing to compile or unmarshal."""
    rows = []
    for op in sorted(spec.operations, key=lambda o: o.operation_id):
        params = [[p.name, p.python_name or p.name.lower().replace("-", "_"), p.location,
                   p.required, p.type, p.items_type, list(p.enum) if p.enum else None,
                   p.minimum, p.maximum, p.format, p.default] for p in op.params]
        answers = [t.replace(" ", "") for t in op.response_media_types]
        values = {
            "operation_id": op.operation_id, "method": op.method, "path": op.path,
            "name": op.area + "." + op.name, "area": op.area, "summary": op.summary,
            "response_model": models.dotted(op.response_schema),
            "request_model": models.dotted(op.request_schema),
            "body_required": op.request_required,
            "request_media_types": list(op.request_media_types),
            "response_media_type": (op.response_media_types or (None,))[0],
            "response_media_types": answers, "success_status": op.success_status,
            "scopes": list(op.scopes), "app_token_allowed": op.app_token_allowed,
            "params": params, "host": op.host, "deprecated": op.deprecated,
            "example": op.example,
        }
        rows.append(json.dumps([values[f] for f in INDEX_FIELDS], ensure_ascii=False,
                               separators=(",", ":")))
    head = json.dumps({"note": note, "fields": INDEX_FIELDS, "param_fields": PARAM_FIELDS},
                      separators=(",", ":"))
    return head[:-1] + ',"operations":[\n' + ",\n".join(rows) + "\n]}\n"


def render_scopes(spec: Spec, header: str) -> str:
    """The small table ``auth/checks.py`` matches requests against (no models, no index)."""
    lines = [header, '"""The scopes each operation needs, from each operation\'s ``security``: '
             '(method, path template, user-token scopes, app token allowed)."""', "",
             "from __future__ import annotations", "",
             "ROUTES: tuple[tuple[str, str, tuple[str, ...], bool], ...] = ("]
    for op in sorted(spec.operations, key=lambda o: (o.path, o.method)):
        row = f"{op.method!r}, {op.path!r}, {_lit(op.scopes)}, {op.app_token_allowed!r}"
        lines.append(f"    ({row}),")
    lines.append(")")
    return "\n".join(lines) + "\n"


def render_root(spec: Spec, header: str) -> str:
    areas = sorted({op.area for op in spec.operations})
    lines = [header, '"""``client.api``: one attribute per area of the spec, each loaded on first '
             'use."""', "", "from __future__ import annotations", "",
             "from functools import cached_property", "from typing import TYPE_CHECKING", "",
             "if TYPE_CHECKING:", "    from allegro_async.client import AllegroClient"]
    lines += [f"    from allegro_async.api.{a} import {class_name(a)}" for a in areas]
    lines += ["", "", "class Api:",
              '    """Every operation of Allegro\'s REST API: '
              '``client.api.<area>.<method>(...)``."""',
              "", "    def __init__(self, client: AllegroClient) -> None:",
              "        self._client = client", ""]
    for a in areas:
        count = sum(1 for o in spec.operations if o.area == a)
        lines += ["    @cached_property", f"    def {a}(self) -> {class_name(a)}:",
                  f'        """{spec.tags[a]} ({count} operation{"s" if count != 1 else ""})."""',
                  f"        from allegro_async.api.{a} import {class_name(a)}", "",
                  f"        return {class_name(a)}(self._client)", ""]
    return "\n".join(lines).rstrip() + "\n"


def render_models_init(models: ModelSet, header: str) -> str:
    """The models package: which area module holds each class, as one line of names per
    module (split into ``MODULES`` at import: a dict literal of every class, and the imports
    type checkers read, made the package cost 15 ms to import on every call's first use)."""
    names = sorted(models.classes)
    by_module: dict[str, list[str]] = {}
    for n in names:
        by_module.setdefault(models.classes[n].module, []).append(n)
    lines = [header, '"""The generated models, each loaded from its area module on first use: '
             '``from allegro_async.api.models import CheckoutForm``."""', "",
             "from __future__ import annotations", "", "import importlib",
             "from typing import Any", "",
             "#: area module -> the classes it holds, space-separated",
             "_BY_MODULE: dict[str, str] = {"]
    for module, members in sorted(by_module.items()):
        lines.append(f"    {module!r}: (")
        chunk = ""
        for n in members:
            if chunk and len(chunk) + len(n) > 80:
                lines.append(f"        {chunk!r}")
                chunk = ""
            chunk += n + " "
        lines += [f"        {chunk!r}", "    ),"]
    lines += ["}", "", "#: class name -> the module (area) it lives in",
              "MODULES: dict[str, str] = {",
              "    name: module for module, names in _BY_MODULE.items() for name in names.split()",
              "}", "", "",
              "def __getattr__(name: str) -> Any:",
              "    module = MODULES.get(name)",
              "    if module is None:",
              "        raise AttributeError(f\"allegro_async.api.models has no model {name!r}\")",
              "    return getattr(importlib.import_module(f\"{__name__}.{module}\"), name)",
              ""]
    return "\n".join(lines)


def render_models_stub(models: ModelSet, header: str) -> str:
    """What type checkers see of the models package: every class, from its area module."""
    names = sorted(models.classes)
    by_module: dict[str, list[str]] = {}
    for n in names:
        by_module.setdefault(models.classes[n].module, []).append(n)
    lines = [header, '"""The generated models (for type checkers; see ``__init__.py``)."""', ""]
    for module, members in sorted(by_module.items()):
        lines.append(f"from allegro_async.api.models.{module} import (")
        lines += [f"    {n} as {n}," for n in members]
        lines.append(")")
    lines += ["", "MODULES: dict[str, str]", ""]
    return "\n".join(lines)
