"""The API reference pages (``docs/api-reference/``), one per area, from the index records."""

from __future__ import annotations

import re

from tools.apigen import render as views
from tools.apigen.models import ModelSet
from tools.apigen.spec import JSON_TYPES, OpSpec, Spec


def _public(annotation: str) -> str:
    """An annotation as users read it: ``_e.StatusValue`` -> ``Status`` (the enum or one of its
    values), ``_models.CheckoutForm`` -> ``CheckoutForm``."""
    annotation = re.sub(r"\b_e\.(\w+)Value\b", r"\1", annotation)
    return re.sub(r"\b_(?:models|common|shared_\w+)\.", "", annotation)


def _returns(op: OpSpec, models: ModelSet) -> str:
    if op.response_binary:
        files = [t for t in op.response_media_types if not JSON_TYPES.match(t)]
        text = "`bytes` (" + ", ".join(files) + ")"
        if op.response_schema:
            text = f"`{models.dotted(op.response_schema)}` for a JSON answer, {text} for a file"
        return text + (" or `None`" if op.empty_success else "")
    if op.response_schema:
        return f"`{models.dotted(op.response_schema)}`" + (" or `None`" if op.empty_success
                                                            else "")
    return "`None`"


def render(spec: Spec, models: ModelSet, header: str) -> dict[str, str]:
    """``docs/api-reference/<area>.md`` for each area and an ``index.md``."""
    by_area: dict[str, list[OpSpec]] = {}
    for op in spec.operations:
        by_area.setdefault(op.area, []).append(op)
    pages: dict[str, str] = {}
    enums = views.collect_enums(spec)
    index = [header, "# Operations by area", "",
             "Every operation of Allegro's REST API, generated from the spec. See "
             "[Calling any operation](../api.md) for how to call them.", "",
             "| Area | Operations |", "| --- | --- |"]
    for area, ops in sorted(by_area.items()):
        index.append(f"| [{spec.tags[area]}]({area}.md) (`client.api.{area}`) | {len(ops)} |")
        lines = [header, f"# {spec.tags[area]}", "",
                 f"`client.api.{area}`: {len(ops)} operation{'s' if len(ops) != 1 else ''}. "
                 f"Raw responses: `client.api.{area}.with_raw_response.<method>(...)`.", ""]
        for op in ops:
            view = views.op_view(op, models, enums)
            lines += [f"## `{op.name}`", "", f"{op.summary or op.operation_id}", ""]
            described = views.describe(op.description, markdown=True, width=10_000)
            lines += [*described, ""] if described else []
            lines += [
                      f"- **HTTP**: `{op.method} {op.path}`"
                      + (" (upload host)" if op.host == "upload" else ""),
                      f"- **operationId**: `{op.operation_id}`"]
            if op.scopes:
                lines.append("- **Scopes**: " + ", ".join(f"`{s}`" for s in op.scopes))
            lines.append("- **App token**: " + ("accepted" if op.app_token_allowed else
                                                "not accepted (a seller's token is needed)"))
            if view.signature:
                lines.append("- **Parameters**: " + ", ".join(
                    f"`{_public(a.split(' = ')[0])}`" for a in view.signature))
            for p in op.params:
                if p.enum and p.in_signature and p.name.lower() != "accept-language":
                    shown = ", ".join(f"`{v}`" for v in p.enum[:12])
                    more = f" (and {len(p.enum) - 12} more)" if len(p.enum) > 12 else ""
                    lines.append(f"    - `{p.python_name}`: {shown}{more}")
            if op.request_schema or op.request_binary:
                body = f"`{models.dotted(op.request_schema)}` or a dict" if op.request_schema \
                    else ""
                if op.request_binary:
                    body += (" or " if body else "") + "`bytes` (" + ", ".join(
                        op.request_binary) + ")"
                lines.append(f"- **Body**: {body}")
            lines.append(f"- **Result**: {_returns(op, models)}")
            if view.paging:
                lines.append(f"- **Pages**: `iter_{op.name}(...)` ({op.paging})")
            if op.deprecated:
                lines.append("- **Deprecated** by Allegro: calling it warns (`DeprecationWarning`)")
            lines.append("")
        pages[f"docs/api-reference/{area}.md"] = "\n".join(lines).rstrip() + "\n"
    pages["docs/api-reference/index.md"] = "\n".join(index) + "\n"
    return pages
