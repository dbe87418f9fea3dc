"""Checking what a 2xx answer is before it becomes a result (hand-written).

A file operation (labels, PDFs, CSV) must never hand back a web page, an error body or a body
still compressed as "the file"; an operation that declares both JSON and a file type must
parse the JSON and hand back the file. The declared media types come from the spec, through
the generated ``cast_to`` mapping (media type -> result type).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from allegro_async._http import Response, httpx
from allegro_async._redact import scrub
from allegro_async._response import CODINGS_CHECKED
from allegro_async.errors import UnexpectedContentError

#: Content codings httpx decodes in this installation (``br`` needs brotli, ``zstd``
#: zstandard); ``gzip`` and ``deflate`` are always decoded (the body-bounding transport).
_DECODERS = getattr(getattr(httpx, "_decoders", None), "SUPPORTED_DECODERS", None)
DECODABLE = frozenset({"identity", "gzip", "x-gzip", "deflate", *(_DECODERS or ())})
#: Declared types that stand for "any file": the answer's own type is not checked.
ANY_FILE = frozenset({"*/*", "application/octet-stream"})
_JSON = re.compile(r"^application/(?:[\w.+-]*\+)?json$")
_HTML = frozenset({"text/html", "application/xhtml+xml"})
_INSTALL = {"br": "brotli", "zstd": "zstandard"}


def media_type(response: Response) -> str:
    """The answer's media type without parameters, lower case (``""`` when not given)."""
    value: str = response.headers.get("content-type", "")
    return value.split(";", 1)[0].strip().lower()


def is_json(kind: str) -> bool:
    """True for ``application/json`` and every ``...+json`` type (Allegro's included)."""
    return bool(_JSON.match(kind))


def _sniff(content: bytes) -> str:
    """What an untyped body looks like: ``"html"``, ``"json"`` or ``""``."""
    head = content[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "html"
    if head[:1] in (b"{", b"["):
        return "json"
    return ""


def _excerpt(response: Response, kind: str) -> str:
    textual = kind.startswith("text/") or is_json(kind) or kind in _HTML or kind == ""
    content = response.content
    if not textual or not content:
        return ""
    text = " ".join(scrub(content[:2048].decode("utf-8", "replace")).split())
    return text[:120]


def _fail(response: Response, message: str, hint: str, *, kind: str,
          encoding: str = "") -> UnexpectedContentError:
    request = response.request
    return UnexpectedContentError(
        f"{request.method} {request.url.path}: {message}",
        status_code=response.status_code, content_type=kind, content_encoding=encoding,
        excerpt="" if encoding else _excerpt(response, kind), hint=hint,
        trace_id=response.headers.get("trace-id"),
    )


def check_encoding(response: Response) -> None:
    """Raise :class:`UnexpectedContentError` when the body is still encoded with a coding
    this installation cannot decode (httpx passes such a body on as it came).

    An answer read through the client's own stack was checked by its body-bounding transport
    (which refuses every coding it cannot decode within the limit, before the body is read):
    it is not looked at again. This check is for an ``http_client`` of the user's, used as
    it is (``throttle=False, retry=False``)."""
    if response.extensions.get(CODINGS_CHECKED):
        return
    header = response.headers.get("content-encoding", "")
    codings = [c.strip().lower() for c in header.split(",") if c.strip()]
    unknown = [c for c in codings if c not in DECODABLE]
    if not unknown or not response.content:
        return
    package = _INSTALL.get(unknown[0])
    fix = (f"install `{package}` so httpx decodes {unknown[0]!r}" if package else
           f"no decoder for {unknown[0]!r} is known")
    raise _fail(
        response, f"the body is still {header.strip()}-encoded", kind=media_type(response),
        encoding=header.strip(),
        hint=f"the server compressed the answer with a coding the client did not offer; {fix}, "
             "or find the proxy that re-encodes answers",
    )


def pick(response: Response, declared: Mapping[str, Any]) -> Any:
    """The result type for this answer among the declared ``{media type: type}``, or
    :class:`UnexpectedContentError` for an error page or an undeclared type."""
    kind = media_type(response)
    normalised = {k.replace(" ", "").lower(): v for k, v in declared.items()}
    if kind in normalised:
        return normalised[kind]
    json_types = [v for k, v in normalised.items() if is_json(k)]
    looks = "html" if kind in _HTML else "json" if is_json(kind) else \
        _sniff(response.content) if not kind else ""
    if looks == "json" and json_types:
        return json_types[0]  # application/json for Allegro's own JSON type: the same body
    names = ", ".join(declared)
    if looks == "html":
        raise _fail(response, "expected a file, got a web page", kind=kind,
                    hint="a maintenance, login or proxy page answered instead of Allegro; "
                         "retry later, and check the client's base URL and proxies")
    if looks == "json":
        raise _fail(response, "expected a file, got JSON", kind=kind,
                    hint="Allegro answered with a JSON body (often its errors[]) where the "
                         f"operation declares {names}; read the excerpt for the cause")
    if ANY_FILE & set(normalised) or not kind:
        files = [v for k, v in normalised.items() if not is_json(k)]
        if files:
            return files[0]
    raise _fail(response, f"the operation declares {names}", kind=kind,
                hint="the answer's type is none of the declared ones; pass accept= with the "
                     "type you want where the method offers a choice, or report the change")
