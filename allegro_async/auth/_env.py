"""The ``ALLEGRO_*`` environment variables that :meth:`AllegroApp.from_env
<allegro_async.auth.app.AllegroApp.from_env>` and ``allegro-async login`` read: the one table of
them (:data:`ENV_VARIABLES`), each checked with the variable named in its error (URLs: https on
Allegro's hosts, or http on loopback), and turned into ``AllegroApp``'s keywords.

Public through :mod:`allegro_async.auth.app`.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

from allegro_async._redact import Secret
from allegro_async.auth.tokens import FileTokenStore
from allegro_async.config import Environment
from allegro_async.errors import InvalidArgumentError

#: The most processes ``ALLEGRO_PROCESSES`` may name: S1's burst of 100 split further leaves
#: each process less than one request.
MAX_PROCESSES = 100
_ALLEGRO_DOMAINS = ("allegro.pl", "allegrosandbox.pl")

#: Every environment variable the library reads, with its meaning: the one table that
#: :meth:`AllegroApp.from_env` and ``allegro-async login`` share (docs/fastapi.md shows it).
ENV_VARIABLES: dict[str, str] = {
    "ALLEGRO_CLIENT_ID": "the app's Client ID (required)",
    "ALLEGRO_CLIENT_SECRET": "the app's Client Secret (required)",
    "ALLEGRO_ENVIRONMENT": "production (default), sandbox, an https URL on allegro.pl or "
                           "allegrosandbox.pl, or an http URL on loopback (the emulator)",
    "ALLEGRO_TOKEN_FILE": "the sellers' tokens in a FileTokenStore at this path",
    "ALLEGRO_REDIS_URL": "one request budget of the Client ID shared through Redis by "
                         "ALLEGRO_PROCESSES processes",
    "ALLEGRO_PROCESSES": f"how many processes share the Redis budget (1 to {MAX_PROCESSES}, "
                         "default 1)",
    "ALLEGRO_REDIRECT_URI": "the registered redirect URI: https, or http on loopback",
}


def _env(environ: Mapping[str, str], name: str) -> str:
    return environ.get(name, "").strip()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _checked_url(name: str, value: str, *, allegro_hosts: bool) -> urllib.parse.SplitResult:
    """``value`` split, or an error naming ``name``: https (on Allegro's hosts when
    ``allegro_hosts``), or http on a loopback host only; no user info, query or fragment."""
    fix = ("use production, sandbox, an https URL on allegro.pl or allegrosandbox.pl, or "
           "http://127.0.0.1:<port> for the emulator" if allegro_hosts
           else "give the redirect URI registered for the app: https://..., or "
                "http://127.0.0.1:<port>/... while developing")
    try:
        parts = urllib.parse.urlsplit(value)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        raise InvalidArgumentError(name, f"{value!r} is not a URL", fix) from None
    problem = None
    if parts.scheme not in ("http", "https") or not host:
        problem = "is not an http(s) URL"
    elif parts.username is not None or parts.password is not None:
        problem = "carries user info"
    elif parts.fragment or "#" in value or (allegro_hosts and (parts.query or "?" in value)):
        problem = "has a query or fragment"
    elif parts.scheme == "http" and not _is_loopback(host):
        problem = "is plain http to a host other than loopback"
    elif (parts.scheme == "https" and allegro_hosts and not _is_loopback(host)
          and not any(host == d or host.endswith("." + d) for d in _ALLEGRO_DOMAINS)):
        problem = "is not on allegro.pl or allegrosandbox.pl"
    if problem is not None:
        raise InvalidArgumentError(name, f"{value!r} {problem}", fix)
    return parts


def environment_from_env(environ: Mapping[str, str]) -> Environment:
    """The :class:`~allegro_async.config.Environment` that ``ALLEGRO_ENVIRONMENT`` names
    (production when unset). A URL's ``api.`` host keeps OAuth on the host without ``api.``
    (as Allegro does, A3); any other host serves both (the emulator)."""
    where = _env(environ, "ALLEGRO_ENVIRONMENT") or "production"
    if where in ("production", "sandbox"):
        return Environment.coerce(where)
    if not where.startswith(("http://", "https://")):
        raise InvalidArgumentError(
            "ALLEGRO_ENVIRONMENT", f"{where!r} is not an environment",
            "use production, sandbox, or a base URL such as http://127.0.0.1:8000",
        )
    parts = _checked_url("ALLEGRO_ENVIRONMENT", where, allegro_hosts=True)
    api_url = where.rstrip("/")
    for named in (Environment.production(), Environment.sandbox()):
        if api_url.lower() == named.api_url:
            return named  # Allegro's own base URL: the named environment, with its rules
    auth_url = api_url
    if parts.hostname and parts.hostname.lower().startswith("api."):
        auth_url = api_url.replace(parts.netloc, parts.netloc[len("api."):], 1)
    return Environment.custom(api_url=api_url, auth_url=auth_url)


def token_file_from_env(environ: Mapping[str, str]) -> str | None:
    """``ALLEGRO_TOKEN_FILE``, or ``None`` when unset."""
    return _env(environ, "ALLEGRO_TOKEN_FILE") or None


def _processes_from_env(environ: Mapping[str, str]) -> int:
    raw = _env(environ, "ALLEGRO_PROCESSES") or "1"
    # ASCII digits only: "²".isdigit() is true, and int() then raises a bare ValueError.
    count = int(raw) if re.fullmatch(r"[0-9]{1,9}", raw) else 0
    if not 1 <= count <= MAX_PROCESSES:
        raise InvalidArgumentError(
            "ALLEGRO_PROCESSES", f"{raw!r} is not a whole number from 1 to {MAX_PROCESSES}",
            "give how many processes share the Client ID (e.g. 4); past "
            f"{MAX_PROCESSES} each process's share of the Client ID's burst is below one request",
        )
    return count


def _redirect_uri_from_env(environ: Mapping[str, str]) -> str | None:
    value = _env(environ, "ALLEGRO_REDIRECT_URI")
    if value:
        _checked_url("ALLEGRO_REDIRECT_URI", value, allegro_hosts=False)
    return value or None


def _env_options(environ: Mapping[str, str], options: dict[str, Any]) -> dict[str, Any]:
    """AllegroApp's keywords from ``ALLEGRO_*`` variables, under explicit ``options``."""
    out: dict[str, Any] = {}  # the client secret in it wrapped: the dict is a local
    for name, key in (("ALLEGRO_CLIENT_ID", "client_id"),
                      ("ALLEGRO_CLIENT_SECRET", "client_secret")):
        value = _env(environ, name)
        if not value and key not in options:
            raise InvalidArgumentError(
                name, "is not set",
                f"export {name} (from the app's page on apps.developer.allegro.pl), or pass "
                f"{key}= to AllegroApp.from_env()",
            )
        out[key] = Secret(value) if key == "client_secret" else value
    if "environment" not in options:
        out["environment"] = environment_from_env(environ)
    token_file = token_file_from_env(environ)
    if token_file is not None and "store" not in options:
        out["store"] = FileTokenStore(token_file)
    redirect_uri = _redirect_uri_from_env(environ)
    if redirect_uri is not None:
        out["redirect_uri"] = redirect_uri
    processes = _processes_from_env(environ)
    redis_url = _env(environ, "ALLEGRO_REDIS_URL")
    if redis_url and "throttle" not in options:
        from allegro_async.throttle.redis import RedisThrottle

        out["throttle"] = RedisThrottle(redis_url, client_id=out.get("client_id")
                                        or options["client_id"],
                                        processes=processes)
    out.update(options)
    return out
