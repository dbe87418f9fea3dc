"""Request and response helpers shared by the emulator's routes: Allegro-shaped errors (A7),
media types (A11), and who is calling."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from allegro_async.config import BETA_MEDIA_TYPE, PUBLIC_MEDIA_TYPE

if TYPE_CHECKING:
    from allegro_async.testing.emulator.core import Emulator

VND_TYPES = (PUBLIC_MEDIA_TYPE, BETA_MEDIA_TYPE)


class ApiError(Exception):
    """Raise from a route to answer with Allegro's ``{"errors": [...]}`` shape (A7), in the
    media type and shape the operation declares for the status."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        path: str | None = None,
        details: str | None = None,
        user_message: str | None = None,
        metadata: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        refusal: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        #: What a request check refused ("path", "param", "range", "media", "json", "body"):
        #: the answer then takes a status the operation documents for it (``refusals``).
        self.refusal = refusal
        self.body: dict[str, Any] = {
            "errors": [
                {
                    "code": code,
                    "message": message,
                    "details": details,
                    "path": path,
                    "userMessage": user_message or message,
                    "metadata": metadata or {},
                }
            ]
        }
        self.headers = headers or {}


def validation_error(message: str, path: str | None = None) -> ApiError:
    """The 422 ``VALIDATION_ERROR`` Allegro answers to a body or parameter breaking a rule."""
    return ApiError(422, "VALIDATION_ERROR", message, path=path)


def _name_problem(name: str, problem: str) -> ApiError:
    return validation_error(f"{name} {problem}", name)


def int_query(
    request: Request,
    name: str,
    default: int,
    low: int,
    high: int,
    refuse: Callable[[str, str], ApiError] = _name_problem,
) -> int:
    """The integer query parameter ``name`` (``default`` when absent) within ``low..high``.

    A non-integer or out-of-range value raises ``refuse(name, problem)``; the default is a 422
    ``"<name> <problem>"``. Areas whose Allegro endpoints word it otherwise pass their own.
    """
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise refuse(name, "must be an integer") from None
    if not low <= value <= high:
        raise refuse(name, f"must be between {low} and {high}")
    return value


class DropConnection(Exception):
    """Raise from a route or middleware to drop the connection without a response
    (in-process: ``httpx.RemoteProtocolError``; under uvicorn: the socket is aborted)."""


class OAuthError(Exception):
    """Raise from an auth route (or token check) to answer with the OAuth shape (A7)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.body = {"error": error, "error_description": description}


@dataclass(frozen=True)
class Principal:
    """Who a request is from: the app (``user_id is None``) or a seller."""

    client_id: str
    user_id: str | None
    scopes: tuple[str, ...]
    token_id: str


def emulator_of(request: Request) -> Emulator:
    """The :class:`Emulator` serving this request."""
    return request.app.state.emulator  # type: ignore[no-any-return]


def media_type_of(request: Request) -> str:
    """The media type to answer with: the vnd type the client accepted that the operation
    serves (chosen by the front door, A11)."""
    chosen = request.scope.get("allegro.media_type")
    if isinstance(chosen, str):
        return chosen
    accept = request.headers.get("accept", "")
    return BETA_MEDIA_TYPE if BETA_MEDIA_TYPE in accept else PUBLIC_MEDIA_TYPE


def json_response(
    request: Request,
    data: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A JSON response with the Allegro media type."""
    body = b"" if data is None else json.dumps(data, separators=(",", ":")).encode()
    return Response(body, status_code=status, headers=headers, media_type=media_type_of(request))


def principal(request: Request) -> Principal:
    """The verified caller; raises the 401 Allegro would give otherwise (S8, expiry)."""
    cached = request.scope.get("allegro.principal")
    if isinstance(cached, Principal):
        return cached
    found = emulator_of(request).tokens.verify_header(request.headers.get("authorization"))
    request.scope["allegro.principal"] = found
    return found


def require_user(request: Request) -> Principal:
    """The calling seller; app tokens are refused as on Allegro (A6)."""
    who = principal(request)
    if who.user_id is None:
        raise ApiError(
            403, "AccessDenied", "User name from JWT cannot be empty",
            user_message="This resource needs a user's token.",
        )
    return who


async def json_body(request: Request) -> Any:
    """The parsed JSON body, or a 400 Allegro-shaped error."""
    raw = await request.body()
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        raise ApiError(400, "JsonParseException", "Invalid JSON in request body") from None
