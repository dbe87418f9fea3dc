"""The per-call options every public call accepts (named as openai-python names them).

Generated operations, their ``iter_`` and ``with_raw_response`` twins, and the services all take
``**options: Unpack[CallOptions]`` and hand them on unchanged to
:meth:`AllegroClient.request_raw`, which is where they take effect.
"""

from __future__ import annotations

from collections.abc import Mapping

from typing_extensions import TypedDict

from allegro_async._http import Timeout

__all__ = ["CallOptions"]


class CallOptions(TypedDict, total=False):
    """Options of one call; each is optional and applies to this call only.

    - ``timeout``: seconds as a deadline for the whole call (token refresh, the 429 gate, the
      throttle queue, every attempt with its body, and the retries); past it,
      :class:`~allegro_async.errors.DeadlineExceededError` says what the call waited for and
      whether it was sent. An ``httpx.Timeout`` bounds the HTTP phases only; ``None`` waits
      without a bound. A service making several requests (a walk, a command) gives each
      request this deadline.
    - ``extra_headers``: headers added to (or overriding) the ones the call sets; a value of
      ``None`` is not sent.
    - ``extra_query``: query parameters added to the call's own, for a parameter Allegro added
      that the spec does not have yet.
    - ``max_retries``: how often a 5xx or a lost connection is retried (``0``: never).
    """

    timeout: float | Timeout | None
    extra_headers: Mapping[str, str | None]
    extra_query: Mapping[str, object]
    max_retries: int
