"""Where the client talks to: production, sandbox (A3) or a custom base such as the emulator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from allegro_async.errors import InvalidArgumentError

EnvironmentName = Literal["production", "sandbox", "custom"]

#: Media type of the public API (A11); beta endpoints use :data:`BETA_MEDIA_TYPE`.
PUBLIC_MEDIA_TYPE = "application/vnd.allegro.public.v1+json"
#: Media type of beta endpoints (A11).
BETA_MEDIA_TYPE = "application/vnd.allegro.beta.v1+json"
#: Languages Allegro accepts in ``Accept-Language`` (A11).
ACCEPT_LANGUAGES = ("en-US", "pl-PL", "uk-UA", "sk-SK", "cs-CZ", "hu-HU")


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
