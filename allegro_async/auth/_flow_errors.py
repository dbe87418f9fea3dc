"""How an authorization ends without a token: :class:`AuthorizationError` (the authorize step,
S4, a state mismatch), :class:`AuthorizationCodeError` (Allegro refused the code), the device
flow's :class:`DeviceFlowError` family (A4), and the S4 hint for Allegro's error page.

Public through :mod:`allegro_async.auth.flows`, which every class names as its module (so
pickles and reprs name ``allegro_async.auth.flows``).
"""

from __future__ import annotations

from typing import Any

from allegro_async.errors import AllegroError, APIError, BadRequestError


class AuthorizationError(AllegroError):
    """The authorization step failed before any token was issued (S4, a state mismatch, the
    seller refusing). ``error`` is the OAuth error code when Allegro sent one."""

    def __init__(self, message: str, *, error: str | None = None, hint: str | None = None):
        self.error = error
        self.hint = hint
        super().__init__(f"{message}\nHint: {hint}" if hint else message)


class AuthorizationCodeError(AuthorizationError, BadRequestError):
    """Allegro's token endpoint refused the authorization code (400 ``invalid_grant``): no
    token was issued, and the seller must authorize again.

    ``reason`` says why: ``"expired_or_used"`` (a code lives about 10 seconds and works once,
    S4), ``"redirect_mismatch"`` (the ``redirect_uri`` differs from the authorization
    request's) or ``"verifier_mismatch"`` (the PKCE verifier is not this authorization's).
    Also a :class:`~allegro_async.errors.BadRequestError` carrying Allegro's answer
    (``status_code``, ``oauth_error``, ``trace_id``).
    """

    def __init__(self, *, reason: str = "expired_or_used", **answer: Any) -> None:
        self.reason = reason
        self.error = answer.get("oauth_error")
        APIError.__init__(self, **answer)

    def _compose(self) -> str:
        return "authorization failed: Allegro refused the authorization code: " + super()._compose()

    @classmethod
    def from_answer(cls, exc: APIError, hint: str | None = None) -> AuthorizationCodeError:
        """The error for Allegro's refusal ``exc``; ``hint`` replaces the usual one."""
        if exc.mentions("redirect uri"):
            reason, usual = "redirect_mismatch", (
                "the redirect_uri sent with the code differs from the one of the authorization "
                "request: send the same one, exactly as registered for the app")
        elif exc.mentions("code verifier"):
            reason, usual = "verifier_mismatch", (
                "the PKCE code_verifier is not the one of this authorization: exchange the code "
                "with the AuthorizationRequest that made its URL")
        else:
            reason, usual = "expired_or_used", (
                "the authorization code expired (it lives about 10 seconds) or was used "
                "already: start the authorization again and exchange the new code at once")
        return cls(reason=reason, status_code=exc.status_code, method=exc.method,
                   path=exc.path, errors=exc.errors, oauth_error=exc.oauth_error,
                   oauth_error_description=exc.oauth_error_description,
                   trace_id=exc.trace_id, hint=hint or usual, body_text=exc.body_text,
                   response=exc.response)


class DeviceFlowError(AllegroError):
    """The device flow ended without a token (A4)."""


class DeviceAccessDenied(DeviceFlowError):
    """The seller refused the device code (A4 ``access_denied``)."""


class DeviceCodeExpired(DeviceFlowError):
    """The device code was used already or expired (A4 ``Invalid device code``, or
    ``expires_in`` passed)."""

def s4_hint(redirect_uri: str) -> str:
    """The hint for Allegro's error page after an authorize request (S4)."""
    return (
        f"Allegro shows an error page with an error number when redirect_uri "
        f"({redirect_uri!r}) differs from the registered one in any character (scheme, host, "
        "port, path, trailing slash). Register it exactly, or pass the registered one."
    )


# Their public home, as before the split: pickles, reprs and tracebacks name it.
for _public in (AuthorizationError, AuthorizationCodeError, DeviceFlowError, DeviceAccessDenied,
                DeviceCodeExpired, s4_hint):
    _public.__module__ = "allegro_async.auth.flows"
del _public
