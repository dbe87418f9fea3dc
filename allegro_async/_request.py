"""Building requests the way Allegro wants them: media types (A11), query values, bodies,
headers merged case-insensitively, and transport failures mapped to library errors."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from enum import Enum
from functools import lru_cache
from typing import Any, Literal, NoReturn, TypedDict

import pydantic

from allegro_async import _redact
from allegro_async._http import Auth, Request, Timeout, httpx
from allegro_async.config import (
    ACCEPT_LANGUAGES,
    BETA_MEDIA_TYPE,
    PUBLIC_MEDIA_TYPE,
    Environment,
    Origin,
    parse_origin,
)
from allegro_async.errors import (
    ConnectError,
    InvalidArgumentError,
    ProtocolError,
    RequestTimeoutError,
    TransportError,
)

MediaType = Literal["public", "beta"]


class RequestOptions(TypedDict, total=False):
    """Keyword options of :meth:`AllegroClient.request`."""

    params: Mapping[str, Any] | None
    json: Any
    content: bytes | None
    data: Mapping[str, Any] | None
    headers: Mapping[str, str] | None
    timeout: float | Timeout | None
    media_type: MediaType | str | None
    auth: Auth | None
    extensions: Mapping[str, Any] | None
    extra_headers: Mapping[str, str | None] | None
    extra_query: Mapping[str, Any] | None
    max_retries: int | None


class _NotGiven:
    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN: Any = _NotGiven()


class BearerToken(Auth):
    """The simplest auth: a fixed access token, sent as ``Authorization: Bearer``."""

    def __init__(self, access_token: str) -> None:
        _redact.register(access_token)
        self._header = f"Bearer {access_token}"

    def auth_flow(self, request: Request) -> Any:
        request.headers["Authorization"] = self._header
        yield request

    async def async_auth_flow(self, request: Request) -> Any:
        # the same, without httpx's wrapping of a sync flow (a second generator per request)
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return "BearerToken('***')"


def _media(media_type: MediaType | str | None) -> str:
    if media_type is None or media_type == "public":
        return PUBLIC_MEDIA_TYPE
    if media_type == "beta":
        return BETA_MEDIA_TYPE
    return media_type


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise InvalidArgumentError(
                "params", f"datetime {value.isoformat()} has no time zone",
                "pass a timezone-aware datetime, e.g. datetime.now(timezone.utc)",
            )
        return value.astimezone(_dt.timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, Enum):
        return value.value
    return value


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not params:
        return None
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple, set, frozenset)):
            out[key] = [_query_value(v) for v in value]
        else:
            out[key] = _query_value(value)
    return out


#: Parameter names whose values are secrets: registered for scrubbing when a call carries them.
_SECRET_FIELDS = frozenset(
    {"code", "client_secret", "refresh_token", "access_token", "device_code", "password",
     "code_verifier", "token"}
)


def _register_secrets(*mappings: Mapping[str, Any] | None) -> None:
    for mapping in mappings:
        if mapping:
            _redact.register(*(
                v for k, v in mapping.items()
                if isinstance(v, str) and str(k).lower() in _SECRET_FIELDS
            ))


def _merge_headers(base: Mapping[str, str], extra: Mapping[str, str] | None) -> dict[str, str]:
    """``base`` updated by ``extra``, matching names case-insensitively (A11: names vary in
    case), so an override replaces a default instead of sending both."""
    merged = dict(base)
    if extra:
        lowered = {k.lower() for k in extra}
        merged = {k: v for k, v in merged.items() if k.lower() not in lowered}
        merged.update(extra)
        for key, value in extra.items():
            if key.lower() == "authorization":
                # the credential after the scheme is a secret: keep it out of every message
                _redact.register(value.partition(" ")[2].strip() or value)
    return merged


def _merge_extra_headers(merged: dict[str, str], extra: Mapping[str, str | None] | None
                         ) -> tuple[dict[str, str], set[str]]:
    """``merged`` with a call's ``extra_headers``, and the lower-case names it leaves out (a
    value of ``None``), which the request must not carry whoever adds them."""
    if not extra:
        return merged, set()
    dropped = {k.lower() for k, v in extra.items() if v is None}
    merged = _merge_headers(merged, {k: v for k, v in extra.items() if v is not None})
    return {k: v for k, v in merged.items() if k.lower() not in dropped}, dropped


def _check_language(headers: Mapping[str, str] | None, field: str = "headers") -> None:
    for key, value in (headers or {}).items():
        if key.lower() == "accept-language" and value not in ACCEPT_LANGUAGES:
            raise InvalidArgumentError(
                field, f"Accept-Language {value!r} is not a language Allegro serves",
                f"use one of {', '.join(ACCEPT_LANGUAGES)}",
            )


def _raise_transport_error(exc: httpx.HTTPError, method: str, path: str) -> NoReturn:
    """Raise the library's exception for an httpx failure, keeping it as the cause."""
    if isinstance(exc, httpx.TimeoutException):
        raise RequestTimeoutError(
            f"timed out ({type(exc).__name__})", method=method, path=path
        ) from exc
    if isinstance(exc, httpx.ConnectError):
        raise ConnectError(f"could not connect: {exc}", method=method, path=path) from exc
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError,
                        httpx.LocalProtocolError)):
        raise ProtocolError(
            f"connection failed mid-request ({type(exc).__name__}: {exc})",
            method=method, path=path,
        ) from exc
    raise TransportError(f"{type(exc).__name__}: {exc}", method=method, path=path) from exc


def _dump_body(body: Any) -> Any:
    # a model's own rule (a generated model sends what was set, explicit nulls included)
    if isinstance(body, pydantic.BaseModel):
        to_api = getattr(body, "to_api", None)
        if callable(to_api):
            return to_api()
        return body.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return body


#: An absolute URL: a scheme, then ``://`` (any scheme: non-http ones are refused, not
#: mistaken for a relative path).
_ABSOLUTE = re.compile(r"[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def _is_absolute(path: str) -> bool:
    return _ABSOLUTE.match(path) is not None


def _allegro_url(url: str, environment: Environment, field: str = "path") -> str:
    """``url`` if it may carry the bearer token: its exact origin (scheme, host, port) is one
    of the environment's (:attr:`Environment.origins`); else :class:`InvalidArgumentError`.

    The authority is read strictly (:func:`~allegro_async.config.parse_origin`), and httpx's
    reading must agree with ours, so a URL two parsers see differently is refused, not sent.
    """
    allowed = ", ".join(sorted(str(o) for o in environment.origins))
    fix = f"pass a path relative to the API, or a URL on {allowed}"
    try:
        origin = parse_origin(url)
        parsed = httpx.URL(url)
    except (ValueError, httpx.InvalidURL) as exc:
        # the URL itself is not echoed: a refused one may carry a password (userinfo)
        raise InvalidArgumentError(field, f"the URL is refused: {exc}", fix) from None
    if origin not in environment.origins:
        raise InvalidArgumentError(
            field, f"{origin} is not one of this environment's hosts", fix)
    if _httpx_origin(parsed) != origin:
        raise InvalidArgumentError(
            field, f"the URL is read as {_httpx_origin(parsed)} by httpx, not as {origin}", fix)
    return url


@lru_cache(maxsize=256)
def _parsed(url: str) -> httpx.URL:
    return httpx.URL(url)


def parse_url(url: str) -> httpx.URL | str:
    """``url`` parsed by httpx, the parse kept for the next request to the same URL (httpx
    URLs are immutable; parsing is most of what building a request costs). One with a query
    is handed on as it is: it seldom repeats, and it may carry a secret."""
    return url if "?" in url or "#" in url else _parsed(url)


def _httpx_origin(url: httpx.URL) -> Origin:
    """The origin httpx will connect to (ASCII host, default port filled in)."""
    scheme = url.scheme
    port = url.port if url.port is not None else (443 if scheme == "https" else 80)
    return Origin(scheme, url.raw_host.decode("ascii", "replace").lower(), port)


def _check_token(access_token: str | None) -> None:
    if access_token is not None and not access_token.strip():
        raise InvalidArgumentError(
            "access_token", "the token is empty",
            "give the seller's access token, or leave access_token out and pass auth=",
        )
