"""Rendering the operation modules (one per area) and the parameter enums."""

from __future__ import annotations

import html
import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from tools.apigen import naming
from tools.apigen.models import ModelSet
from tools.apigen.spec import JSON_TYPES, OpSpec, ParamSpec, Spec

TEMPLATES = Path(__file__).parent / "templates"
#: Where the spec's relative links (``../../tutorials/...``) point.
DOCS_SITE = "https://developer.allegro.pl/"
PUBLIC = "application/vnd.allegro.public.v1+json"
_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    keep_trailing_newline=True,
    autoescape=False,  # noqa: S701 (Python source, not HTML)
    trim_blocks=False,
)


def template(name: str) -> jinja2.Template:
    """A template of ``tools/apigen/templates``."""
    return _ENV.get_template(name)


def class_name(area: str) -> str:
    """The class of an area: ``order_management`` -> ``OrderManagement``."""
    return naming.pascal(area)


# -- parameter enums -------------------------------------------------------------------------
@dataclass
class EnumSpec:
    """One enum of parameter values, shared by every parameter with the same values."""

    name: str
    values: tuple[str, ...]
    wire: str = ""

    @property
    def alias(self) -> str:
        """The annotation: the enum or one of its values as a literal."""
        return self.name + "Value"


def _member(value: str, taken: set[str]) -> str:
    name = re.sub(r"[^A-Za-z0-9]+", "_", value).strip("_").upper() or "EMPTY"
    if name[0].isdigit():
        name = "V_" + name
    while name in taken:
        name += "_"
    taken.add(name)
    return name


def collect_enums(spec: Spec) -> dict[tuple[str, ...], EnumSpec]:
    """Every parameter value set, named after its parameter; the set most parameters of that
    name use gets the plain name (``AcceptLanguage``), the others a number."""
    uses: dict[str, dict[tuple[str, ...], int]] = {}
    wire: dict[str, str] = {}
    for op in spec.operations:
        for p in op.params:
            if p.enum and p.in_signature:
                name = naming.pascal(p.python_name.rstrip("_"))
                counts = uses.setdefault(name, {})
                counts[p.enum] = counts.get(p.enum, 0) + 1
                wire.setdefault(name, p.name)
    out: dict[tuple[str, ...], EnumSpec] = {}
    for name in sorted(uses):
        ranked = sorted(uses[name], key=lambda values: (-uses[name][values], values))
        for i, values in enumerate(ranked):
            if values not in out:
                out[values] = EnumSpec(name if i == 0 else f"{name}{i + 1}", values, wire[name])
    return out


def render_enums(enums: dict[tuple[str, ...], EnumSpec], header: str) -> str:
    lines = [header, '"""Enums of parameter values (the spec\'s ``enum`` of each parameter)."""',
             "", "from __future__ import annotations", "", "from typing import Literal",
             "", "from allegro_async._enum import OpenEnum", ""]
    for spec in sorted(enums.values(), key=lambda e: e.name):
        taken: set[str] = set()
        lines += ["", f"class {spec.name}(OpenEnum):",
                  f'    """Values of the ``{spec.wire}`` parameter."""', ""]
        lines += [f"    {_member(v, taken)} = {json.dumps(v)}" for v in spec.values]
        literal = ", ".join(json.dumps(v) for v in spec.values)
        lines += ["", "", f"{spec.alias} = {spec.name} | Literal[{literal}]"]
    return "\n".join(lines) + "\n"


# -- one operation ---------------------------------------------------------------------------
@dataclass
class OpView:
    """What the area template needs of one operation."""

    name: str
    method: str
    path: str
    doc_summary: str
    scopes: str
    deprecated: bool
    signature: list[str]
    returns: str
    cast: str
    path_expr: str
    params: list[str]
    headers: list[str]
    send_extra: list[str]
    prelude: list[str] = field(default_factory=list)
    paging: str | None = None
    paging_signature: list[str] = field(default_factory=list)
    paging_kwargs: list[str] = field(default_factory=list)
    paging_note: str = ""
    page_type: str = ""
    item_type: str = "Any"
    items_field: str = ""
    limit_expr: str = "limit"
    args_doc: list[str] = field(default_factory=list)
    description: list[str] = field(default_factory=list)
    deprecation: str = ""
    #: (signature, result) per ``accept`` choice, where the choice decides the result type
    overloads: list[tuple[list[str], str]] = field(default_factory=list)


def _py_type(p: ParamSpec, enums: dict[tuple[str, ...], EnumSpec]) -> str:
    if p.enum:
        inner = "_e." + enums[p.enum].alias
        return f"Sequence[{inner}]" if p.type == "array" else inner
    if p.location == "path":
        return "int" if p.type == "integer" else "str | int"
    scalar = {
        "integer": "int", "number": "float", "boolean": "bool",
    }.get(p.type)
    if p.type == "array":
        item = {"integer": "int", "number": "float", "boolean": "bool"}.get(
            p.items_type or "", "str"
        )
        return f"Sequence[{item}]"
    if p.type == "object":
        return "Mapping[str, str | Sequence[str]]"
    if p.format == "date-time":
        return "datetime.datetime | str"
    return scalar or "str"


def _model_ref(models: ModelSet, name: str, area: str) -> str:
    module = models.classes[name].module
    return f"{'_models' if module == area else '_' + module}.{name}"


def _doc(text: str) -> str:
    text = text.replace("\\", "\\\\").replace('"""', "'''").strip() or "Call the operation."
    return text if text.endswith(".") else text + "."


def _absolute(url: str) -> str:
    if re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I) or url.startswith("#"):
        return url
    return DOCS_SITE + re.sub(r"^(?:\.{1,2}/)+|^/", "", url)


def describe(text: str, *, markdown: bool = False, width: int = 88) -> list[str]:
    """The spec's HTML description as plain lines: links kept (``text (url)``, or
    ``[text](url)`` in Markdown, relative ones made absolute), list items as ``-``, an empty
    line between paragraphs."""
    def link(match: re.Match[str]) -> str:
        label = re.sub(r"<[^>]+>", "", match.group(2)).strip()
        url = _absolute(html.unescape(match.group(1)))
        return f"[{label}]({url})" if markdown else f"{label} ({url})"

    text = re.sub(r'<a\s[^>]*?href="([^"]*)"[^>]*>(.*?)</a>', link, text, flags=re.S | re.I)
    text = re.sub(r"<li[^>]*>", "\n- ", text, flags=re.I)
    text = re.sub(r"<br\s*/?>|</?p>|</?ul>|</?ol>|</li>", "\n", text, flags=re.I)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = " ".join(paragraph.split())
        if not words:
            if lines and lines[-1]:
                lines.append("")
            continue
        indent = "  " if words.startswith("- ") else ""
        lines += textwrap.wrap(words, width, subsequent_indent=indent, break_long_words=False,
                               break_on_hyphens=False)
    while lines and not lines[-1]:
        lines.pop()
    if not markdown:
        lines = [line.replace("\\", "\\\\").replace('"""', "'''") for line in lines]
    return lines


def _short(text: str) -> str:
    """The first sentence of a description, without HTML, fit for one docstring line."""
    text = re.sub(r"<[^>]+>", "", text).replace("\\", "\\\\").replace('"""', "'''")
    text = " ".join(text.split())
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return first if len(first) <= 160 else first[:157].rstrip() + "..."


#: Formats the argument layer checks: the spec's spelling -> the name it knows.
_PARAM_FORMATS = {"uuid": "uuid", "date-time": "date-time", "int32": "int32", "int64": "int64",
                  "<day-name>, <day> <month> <year> <hour>:<minute>:<second> gmt": "http-date"}


def _facts(p: ParamSpec, enums: dict[tuple[str, ...], EnumSpec]) -> str:
    """The keyword arguments telling ``_a.query``/``_a.header`` what the spec declares."""
    out = [f", {p.type!r}"] if p.type != "string" else []
    if p.required:
        out.append(", required=True")
    if p.type == "array" and p.items_type and p.items_type != "string":
        out.append(f", items={p.items_type!r}")
    if p.enum:
        # by name: the enums module loads when a value is checked, not with the area
        out.append(f", enum={enums[p.enum].name!r}")
    if p.minimum is not None:
        out.append(f", minimum={p.minimum!r}")
    if p.maximum is not None:
        out.append(f", maximum={p.maximum!r}")
    fmt = _PARAM_FORMATS.get((p.format or "").lower())
    if fmt and not p.enum:
        out.append(f", fmt={fmt!r}")
    return "".join(out)


def _json_body(op: OpSpec) -> str:
    """The call that checks a JSON body against the spec's rules and makes it the JSON sent."""
    return f"_a.json_body(body, {op.request_schema!r}, required={op.request_required})"


def op_view(op: OpSpec, models: ModelSet, enums: dict[tuple[str, ...], EnumSpec]) -> OpView:
    required: list[str] = []
    optional: list[str] = []
    params: list[str] = []
    headers: list[str] = []
    prelude: list[str] = []
    path_expr = op.path
    body_types: list[str] = []
    if op.request_schema:
        body_types += [_model_ref(models, op.request_schema, op.area), "Mapping[str, Any]"]
    if op.request_binary:
        body_types.append("bytes")
    path_args = [f"{p.python_name}: {_py_type(p, enums)}" for p in op.params
                 if p.location == "path" and p.in_signature]
    if body_types:  # keyword-only: path ids first, then the body, then the rest
        annotation = " | ".join(body_types)
        if op.request_required:
            required.append(f"body: {annotation}")
        else:
            optional.append(f"body: {annotation} | None = None")
    for p in op.params:
        if not p.in_signature:
            continue
        annotation = _py_type(p, enums)
        decl = f"{p.python_name}: {annotation}" if p.required else \
            f"{p.python_name}: {annotation} | None = None"
        if p.location != "path":
            (required if p.required else optional).append(decl)
        wire = json.dumps(p.name)
        if p.location == "path":
            fmt = ", fmt='uuid'" if (p.format or "").lower() == "uuid" else ""
            path_expr = path_expr.replace(
                "{" + p.name + "}",
                "{_a.path_segment(" + p.python_name + ", " + repr(p.name) + fmt + ")}",
            )
        elif p.location == "query" and p.type == "object":
            declared = tuple(q.name for q in op.params if q.location == "query" and q is not p)
            prelude.append(f"extra = _a.free_query({p.python_name}, {p.python_name!r}, "
                           f"{declared!r})  # free-form filters")
        elif p.location == "query":
            params.append(f"{wire}: _a.query({p.python_name}, {wire}{_facts(p, enums)})")
        else:
            headers.append(f"{wire}: _a.header({p.python_name}, {wire}{_facts(p, enums)})")
    if any(line.startswith("extra =") for line in prelude):
        params.append("**extra")
    send_extra: list[str] = []
    accept = op.response_media_types[0] if op.response_media_types else (
        op.request_media_types[0] if op.request_media_types and not op.request_binary else PUBLIC)
    if len(op.response_media_types) > 1:
        literal = ", ".join(json.dumps(t) for t in op.response_media_types)
        optional.append(f"accept: Literal[{literal}] = {json.dumps(accept)}")
        send_extra.append(f"media_type=_a.choice(accept, 'accept', ({literal},))")
    else:
        send_extra.append(f"media_type={json.dumps(accept.replace(' ', ''))}")
    json_types = [t for t in op.request_media_types if t not in op.request_binary]
    if op.request_binary:
        literal = ", ".join(json.dumps(t) for t in op.request_binary)
        if len(op.request_binary) == 1 and not json_types:
            default = json.dumps(op.request_binary[0])
            optional.append(f"content_type: Literal[{literal}] = {default}")
        elif not json_types:
            required.append(f"content_type: Literal[{literal}]")
        else:
            optional.append(f"content_type: Literal[{literal}] | None = None")
        if json_types:
            prelude.append("if isinstance(body, (bytes, bytearray, memoryview)):")
            prelude.append("    if content_type is None:")
            choices = ", ".join(op.request_binary)
            prelude.append("        raise InvalidArgumentError(\"content_type\", \"a file body "
                           f"needs its media type\", \"pass content_type: one of {choices}\")")
            prelude.append(f"    _a.choice(content_type, 'content_type', ({literal},))")
            prelude.append("    file, data = bytes(body), None")
            prelude.append("else:")
            prelude.append(f"    file, data = None, {_json_body(op)}")
        else:  # text would be sent JSON-quoted as the file
            prelude.append(f"file, data = _a.file_body(body, required={op.request_required}), "
                           "None")
        send_extra.append("content=file")
        send_extra.append("json=data")
        if json_types:
            send_extra.append(f"content_type=content_type if file is not None else "
                              f"{json.dumps(json_types[0])}")
        else:
            send_extra.append(f"content_type=_a.choice(content_type, 'content_type', ({literal},))")
    elif op.request_schema:
        prelude.append(f"data = {_json_body(op)}")
        send_extra.append("json=data")
        if json_types and json_types[0] != accept:
            send_extra.append(f"content_type={json.dumps(json_types[0])}")
    if op.host == "upload":
        send_extra.append("upload=True")
    if op.response_binary:  # the declared types decide: a file as bytes, JSON as its model
        ref = _model_ref(models, op.response_schema, op.area) if op.response_schema else ""
        entries = [f"{json.dumps(t.replace(' ', ''))}: "
                   f"{ref if JSON_TYPES.match(t) and ref else 'bytes'}"
                   for t in op.response_media_types]
        returns, cast = (f"{ref} | bytes" if ref else "bytes"), "{" + ", ".join(entries) + "}"
        if op.empty_success:
            returns += " | None"
            send_extra.append("optional=True")
    elif op.response_schema:
        ref = _model_ref(models, op.response_schema, op.area)
        returns, cast = ref, ref
        if op.response_variants:  # a model per media type: the answer's Content-Type picks
            refs = {t: _model_ref(models, name, op.area) for t, name in op.response_variants}
            returns = " | ".join(dict.fromkeys(refs.values()))
            cast = "{" + ", ".join(f"{json.dumps(t)}: {r}" for t, r in refs.items()) + "}"
        if op.empty_success:
            returns = f"{ref} | None"
            send_extra.append("optional=True")
    else:
        returns, cast = "None", "None"
    scopes = ", ".join(f"``{s}``" for s in op.scopes)
    args_doc = [f"{p.python_name}: {_short(p.description)}" for p in op.params
                if p.in_signature and p.description]
    view = OpView(
        name=op.name, method=op.method, path=op.path, doc_summary=_doc(op.summary),
        scopes=scopes, deprecated=op.deprecated, signature=path_args + required + optional,
        returns=returns,
        cast=cast, path_expr='f"' + path_expr + '"' if "{" in path_expr else json.dumps(path_expr),
        params=params, headers=headers, send_extra=send_extra, prelude=prelude,
        args_doc=args_doc, description=describe(op.description),
        deprecation=json.dumps(f"{op.method} {op.path} is deprecated by Allegro")
        if op.deprecated else "",
    )
    if op.response_binary and op.response_schema:
        _accept_overloads(op, view, returns)
    if op.paging:
        _paging_view(op, view, models)
    return view


def _accept_overloads(op: OpSpec, view: OpView, returns: str) -> None:
    """JSON beside a file type: ``accept`` picks the result, so each choice gets its overload
    (the default JSON answer is the model, a file type is ``bytes``)."""
    model, _, rest = returns.partition(" | bytes")
    json_types = [t for t in op.response_media_types if JSON_TYPES.match(t)]
    file_types = [t for t in op.response_media_types if not JSON_TYPES.match(t)]
    at = next(i for i, a in enumerate(view.signature) if a.startswith("accept:"))
    for kinds, result in ((json_types, model + rest), (file_types, "bytes" + rest)):
        literal = "Literal[" + ", ".join(json.dumps(t) for t in kinds) + "]"
        default = f" = {json.dumps(op.response_media_types[0])}" \
            if op.response_media_types[0] in kinds else ""
        signature = list(view.signature)
        signature[at] = f"accept: {literal}{default}"
        view.overloads.append((signature, result))


_CURSOR = {"offset": "offset", "page_id": "page_id", "event": "from_"}


def _paging_view(op: OpSpec, view: OpView, models: ModelSet) -> None:
    cursor = _CURSOR[op.paging or ""]
    names = [a.split(":", 1)[0] for a in view.signature]
    view.limit_expr = "limit" if "limit" in names else "None"
    view.paging = op.paging
    view.paging_signature = [a for a in view.signature if a.split(":", 1)[0] != cursor]
    view.paging_kwargs = [f'"{n}": {n}' for n in names if n not in (cursor, "limit")]
    view.page_type = view.returns
    view.item_type = _model_ref(models, op.items_schema, op.area) if op.items_schema else "Any"
    view.items_field = op.items_field or ""
    view.paging_note = {
        "offset": "``limit`` is the page size; stops at Allegro's offset window (A9).",
        "page_id": "follows ``nextPage.id`` until the last page.",
        "event": "continues ``from`` the last event's id until a short page.",
    }[op.paging or ""]


def render_area(area: str, ops: list[OpSpec], models: ModelSet, tag: str, header: str,
                enums: dict[tuple[str, ...], EnumSpec]) -> str:
    views = [op_view(op, models, enums) for op in ops]
    text = "\n".join(
        a for v in views for a in [v.returns, v.page_type, v.item_type, *v.signature]
    )
    used = sorted(set(re.findall(r"\b_(\w+)\.[A-Z]", text)) - {"e"})
    imports = [f"from allegro_async.api.models import {area if alias == 'models' else alias} "
               f"as _{alias}" for alias in used]
    return template("area.py.jinja").render(
        header=header, cls=class_name(area), area=area, tag=tag, count=len(ops), ops=views,
        model_imports=imports, uses_enums=re.search(r"\b_e\.[A-Z]", text) is not None,
    )
