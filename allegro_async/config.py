"""Where the client talks to: production, sandbox (A3) or a custom base such as the emulator."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, NamedTuple

from allegro_async.errors import InvalidArgumentError

EnvironmentName = Literal["production", "sandbox", "custom"]

#: Media type of the public API (A11); beta endpoints use :data:`BETA_MEDIA_TYPE`.
PUBLIC_MEDIA_TYPE = "application/vnd.allegro.public.v1+json"
#: Media type of beta endpoints (A11).
BETA_MEDIA_TYPE = "application/vnd.allegro.beta.v1+json"
#: Languages Allegro accepts in ``Accept-Language`` (A11).
ACCEPT_LANGUAGES = ("en-US", "pl-PL", "uk-UA", "sk-SK", "cs-CZ", "hu-HU")

#: The only authority an Allegro URL may have: a plain host name or IP (letters, digits,
#: dots, dashes; IPv6 in brackets) and an optional numeric port. Everything else (userinfo,
#: backslashes, percent escapes, spaces, non-ASCII) is refused: parsers disagree on those, and
#: a disagreement is how a bearer token ends up on another host.
_AUTHORITY = re.compile(
    r"(?P<host>[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::(?P<port>[0-9]{1,5}))?",
    re.IGNORECASE | re.ASCII,  # Unicode folding: [a-z] matches dotless i, Kelvin K
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


class Origin(NamedTuple):
    """Scheme, lower-case host and port (the scheme's default when the URL gives none)."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        shown = "" if _DEFAULT_PORTS[self.scheme] == self.port else f":{self.port}"
        return f"{self.scheme}://{self.host}{shown}"


def parse_origin(url: str) -> Origin:
    """The origin of an absolute http(s) URL, read strictly.

    Raises ``ValueError`` (with the reason) for anything but ``http(s)://host[:port]``
    followed by ``/``, ``?``, ``#`` or the end: userinfo, backslashes, percent escapes,
    empty or out-of-range ports, a trailing dot on the host. Upper-case letters are the same
    host (DNS ignores case) and are lower-cased.
    """
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in _DEFAULT_PORTS:
        raise ValueError("it is not an absolute http(s) URL")
    # RFC 3986: the authority ends at the first '/', '?' or '#'; anything odd before that
    # (a backslash browsers read as '/', an '@' of userinfo) makes the whole URL refused
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" in authority:
        raise ValueError("it carries userinfo ('user@host')")
    if "\\" in authority:
        raise ValueError("its host contains a backslash")
    if "%" in authority:
        raise ValueError("its host contains a percent escape")
    if authority.endswith(".") or ".:" in authority:
        raise ValueError("its host ends with a dot")
    found = _AUTHORITY.fullmatch(authority)
    if found is None:
        raise ValueError(f"its host {authority!r} is not a plain host name with an optional "
                         "port")
    port = int(found["port"]) if found["port"] is not None else _DEFAULT_PORTS[scheme]
    if not 0 < port < 65536:
        raise ValueError(f"its port {port} is out of range")
    return Origin(scheme, found["host"].lower().strip("[]"), port)


@dataclass(frozen=True)
class Environment:
    """An Allegro environment: the REST API base URL and the OAuth base URL.

    The OAuth endpoints live on ``allegro.pl``, not on the ``api.`` host (A3), so the two bases
    are separate. Use :meth:`production`, :meth:`sandbox` or :meth:`custom`::

        Environment.custom(api_url="http://127.0.0.1:8000", auth_url="http://127.0.0.1:8000")
    """

    name: EnvironmentName
    api_url: str
    auth_url: str

    def __post_init__(self) -> None:
        for field, value in (("api_url", self.api_url), ("auth_url", self.auth_url)):
            try:
                parse_origin(value)
            except ValueError as exc:
                raise InvalidArgumentError(
                    # the value is not echoed: a refused one may hold a password (userinfo)
                    field, f"the URL cannot be an Allegro base URL: {exc}",
                    "give e.g. 'http://127.0.0.1:8000' (scheme, host, optional port)",
                ) from None

    @property
    def origins(self) -> frozenset[Origin]:
        """Where this environment's requests may go, and so where the bearer token may be
        sent: the API origin, the OAuth origin, and the ``upload.`` sibling of an ``api.``
        host (binary uploads: ``upload.allegro.pl`` beside ``api.allegro.pl``)."""
        api, auth = parse_origin(self.api_url), parse_origin(self.auth_url)
        found = {api, auth}
        if api.host.startswith("api."):
            found.add(api._replace(host="upload." + api.host[len("api."):]))
        return frozenset(found)

    @classmethod
    def production(cls) -> Environment:
        """Allegro production: ``https://api.allegro.pl`` and ``https://allegro.pl``."""
        return cls("production", "https://api.allegro.pl", "https://allegro.pl")

    @classmethod
    def sandbox(cls) -> Environment:
        """Allegro sandbox (A3); its tokens do not work on production and vice versa (S8)."""
        return cls(
            "sandbox",
            "https://api.allegro.pl.allegrosandbox.pl",
            "https://allegro.pl.allegrosandbox.pl",
        )

    @classmethod
    def custom(cls, api_url: str, auth_url: str | None = None) -> Environment:
        """Any other base: the emulator, a proxy, a recording server.

        ``auth_url`` defaults to ``api_url`` (the emulator serves both on one host).
        """
        for field, value in (("api_url", api_url), ("auth_url", auth_url)):
            if value is not None and not (
                isinstance(value, str) and value.startswith(("http://", "https://"))
            ):
                raise InvalidArgumentError(
                    field, f"{value!r} is not an absolute http(s) URL",
                    "give e.g. 'http://127.0.0.1:8000'",
                )
        return cls("custom", api_url.rstrip("/"), (auth_url or api_url).rstrip("/"))

    @classmethod
    def coerce(cls, value: Environment | str) -> Environment:
        """Accept an :class:`Environment` or the names ``"production"`` / ``"sandbox"``."""
        if isinstance(value, Environment):
            return value
        if value == "production":
            return cls.production()
        if value == "sandbox":
            return cls.sandbox()
        raise InvalidArgumentError(
            "environment", f"{value!r} is not known",
            "use 'production', 'sandbox' or Environment.custom(api_url=..., auth_url=...)",
        )

    @property
    def upload_url(self) -> str:
        """Where binary uploads go (images, attachments): ``upload.`` beside the ``api.`` host;
        a custom base (the emulator) serves uploads itself."""
        scheme, _, host = self.api_url.partition("://")
        if host.startswith("api."):
            return f"{scheme}://upload.{host[len('api.'):]}"
        return self.api_url

    @property
    def authorize_url(self) -> str:
        """The authorization page (A3)."""
        return f"{self.auth_url}/auth/oauth/authorize"

    @property
    def token_url(self) -> str:
        """The token endpoint (A3)."""
        return f"{self.auth_url}/auth/oauth/token"

    @property
    def device_url(self) -> str:
        """The device-flow endpoint (A4)."""
        return f"{self.auth_url}/auth/oauth/device"
