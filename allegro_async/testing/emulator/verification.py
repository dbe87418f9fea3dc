"""Emulator: the device-flow verification page (A4), where a user approves or denies a code.

Allegro's page is ``allegro.pl/skojarz-aplikacje``; the emulator serves it at
:data:`VERIFICATION_PATH` (under ``/auth/``, so a browser's ``Accept: text/html`` is not held
to the API's media types, A11). ``GET`` shows the code with Approve and Deny buttons (or a
field to type the code); ``POST`` (a form: ``code``, ``action=approve|deny``, optional
``seller`` as index, id or login) answers it, as ``OAuthState.approve_device`` does::

    curl -d code=AB12CD34 http://127.0.0.1:PORT/auth/skojarz-aplikacje
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from allegro_async.testing.emulator.http import emulator_of

if TYPE_CHECKING:
    from allegro_async.testing.emulator.core import Emulator, Seller

VERIFICATION_PATH = "/auth/skojarz-aplikacje"


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><meta charset='utf-8'><title>Allegro emulator - {title}</title>"
        f"<h1>{title}</h1>{body}", status_code=status)


async def _show(request: Request) -> Response:
    emulator = emulator_of(request)
    code = request.query_params.get("code", "")
    if not code:
        return _page("Connect an application", (
            f"<form method='post' action='{VERIFICATION_PATH}'>"
            "<label>Code <input name='code' autofocus></label>"
            "<button name='action' value='approve'>Approve</button></form>"))
    sellers = "".join(
        f"<option value='{html.escape(s.id)}'>{html.escape(s.login)} ({html.escape(s.id)})"
        "</option>" for s in emulator.sellers)
    shown = html.escape(code)
    return _page("Connect an application", (
        f"<p>The application <b>{html.escape(emulator.client_id)}</b> asks for access with "
        f"the code <b>{shown}</b>.</p>"
        f"<form method='post' action='{VERIFICATION_PATH}'>"
        f"<input type='hidden' name='code' value='{shown}'>"
        f"<label>Log in as <select name='seller'>{sellers}</select></label> "
        "<button name='action' value='approve'>Approve</button> "
        "<button name='action' value='deny'>Deny</button></form>"))


def seller_of(emulator: Emulator, ref: object) -> Seller | None:
    """A seller from a form or JSON value: index, id or login (``None`` when not given)."""
    if ref is None or ref == "":
        return None
    if isinstance(ref, int) and not isinstance(ref, bool):
        try:
            return emulator.sellers[ref]
        except IndexError:
            raise KeyError(f"no seller {ref!r} in this emulator") from None
    text = str(ref)
    try:
        return emulator.seller(text)
    except KeyError:
        if text.isdigit():  # not an id: an index
            return seller_of(emulator, int(text))
        raise


async def _answer(request: Request) -> Response:
    emulator = emulator_of(request)
    # Parsed by hand: starlette's form parser needs python-multipart, not a dependency.
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    code = form.get("code", "").strip().upper()
    action = form.get("action", "approve")
    if action not in ("approve", "deny"):
        return _page("Unknown action", "<p>Use approve or deny.</p>", 400)
    try:
        seller = seller_of(emulator, form.get("seller"))
    except KeyError:
        return _page("Unknown seller", "<p>Pick one of the emulator's sellers.</p>", 400)
    try:
        if action == "deny":
            emulator.oauth.deny_device(code)
        else:
            emulator.oauth.approve_device(code, seller)
    except KeyError:
        return _page("Unknown code", f"<p>No pending request has the code "
                     f"<b>{html.escape(code)}</b>; check it and try again.</p>", 404)
    done = "approved" if action == "approve" else "denied"
    return _page(f"Request {done}", "<p>You can return to the application.</p>")


def routes() -> list[BaseRoute]:
    """The verification page's routes."""
    return [
        Route(VERIFICATION_PATH, _show, methods=["GET"]),
        Route(VERIFICATION_PATH, _answer, methods=["POST"]),
    ]
