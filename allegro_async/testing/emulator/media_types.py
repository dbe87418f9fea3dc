"""Which vnd media types each operation serves (A11), derived from Allegro's OpenAPI specs.

Most operations serve only ``application/vnd.allegro.public.v1+json``; the table lists the
others: beta-only operations, operations serving both, and operations whose spec declares no
body at all (either is accepted). The specs are not shipped with the package, so the table is
generated once and committed; ``tests/emulator/test_media_types.py`` checks it against the
specs when they are present. Regenerate with::

    python -m allegro_async.testing.emulator.media_types ../shared/spec/allegro-openapi.yaml \\
        ../shared/spec/allegro-openapi-2020-legacy.yaml
"""

from __future__ import annotations

import sys
from typing import Any

from allegro_async.config import BETA_MEDIA_TYPE, PUBLIC_MEDIA_TYPE

PUBLIC = (PUBLIC_MEDIA_TYPE,)
BETA = (BETA_MEDIA_TYPE,)
BOTH = (PUBLIC_MEDIA_TYPE, BETA_MEDIA_TYPE)
#: Paths the 2020 legacy spec describes (S22); everything else comes from the main spec.
LEGACY_PREFIXES = ("/sale/offer-variants",)
_METHODS = ("get", "post", "put", "patch", "delete")

#: "METHOD /template" -> accepted vnd types, for every operation that is not public-only.
MEDIA_TYPES: dict[str, tuple[str, ...]] = {
    # -- generated: python -m allegro_async.testing.emulator.media_types (do not edit) --
    "DELETE /fulfillment/advance-ship-notices/{id}": BOTH,
    "DELETE /messaging/messages/{messageId}": BOTH,
    "DELETE /order/refund-claims/{claimId}": BOTH,
    "DELETE /sale/offer-additional-services/groups/{groupId}/translations/{language}": BOTH,
    "DELETE /sale/offer-variants/{setId}": BOTH,
    "DELETE /sale/offers/{offerId}": BOTH,
    "DELETE /sale/price-automation/rules/{ruleId}": BOTH,
    "GET /affiliate/conversions/cps": BETA,
    "GET /charity/fundraising-campaigns": BETA,
    "GET /fulfillment/advance-ship-notices/{id}/labels": BOTH,
    "GET /messaging/message-attachments/{attachmentId}": BOTH,
    "GET /order/customer-returns": BETA,
    "GET /order/customer-returns/{customerReturnId}": BETA,
    "GET /sale/issues": BETA,
    "GET /sale/issues/attachments/{attachmentId}": BOTH,
    "GET /sale/issues/{issueId}": BETA,
    "GET /sale/issues/{issueId}/chat": BETA,
    "GET /sale/offer-variants": BETA,
    "GET /sale/offer-variants/{setId}": BETA,
    "GET /sale/tax-settings": BOTH,
    "GET /sale/user-ratings": BOTH,
    "GET /sale/user-ratings/{ratingId}": BOTH,
    "GET /users/{userId}/ratings-summary": BOTH,
    "POST /order/customer-returns/{customerReturnId}/rejection": BETA,
    "POST /sale/issues/attachments": BETA,
    "POST /sale/issues/{issueId}/message": BETA,
    "POST /sale/issues/{issueId}/status": BOTH,
    "POST /sale/offer-bulk-modification-commands": BETA,
    "PUT /fulfillment/advance-ship-notices/{id}/cancel": BOTH,
    "PUT /sale/issues/attachments/{attachmentId}": BETA,
    "PUT /sale/offer-variants/{setId}": BOTH,
}


def accepted(method: str, template: str) -> tuple[str, ...]:
    """The vnd media types an operation serves (public-only unless the table says more)."""
    return MEDIA_TYPES.get(f"{method} {template}", PUBLIC)


def derive(spec: dict[str, Any], *, legacy: bool = False) -> dict[str, tuple[str, ...]]:
    """The non-public-only operations of one parsed spec (``legacy``: only its S22 paths)."""
    out: dict[str, tuple[str, ...]] = {}
    for path, operations in spec.get("paths", {}).items():
        if path.startswith(LEGACY_PREFIXES) != legacy:
            continue
        for method in _METHODS:
            operation = operations.get(method)
            if operation is None:
                continue
            found: set[str] = set()
            for response in operation.get("responses", {}).values():
                found.update((response.get("content") or {}).keys())
            found.update(((operation.get("requestBody") or {}).get("content") or {}).keys())
            # the spec has one "public.v1 +json" typo: compare without spaces
            vnd = {t.replace(" ", "") for t in found} & set(BOTH)
            kind = BOTH if vnd == set(BOTH) or not vnd else (BETA if vnd == set(BETA) else None)
            if kind is not None:
                out[f"{method.upper()} {path}"] = kind
    return dict(sorted(out.items()))


def _render(table: dict[str, tuple[str, ...]]) -> str:
    names = {BETA: "BETA", BOTH: "BOTH"}
    return "\n".join(f'    "{key}": {names[kind]},' for key, kind in table.items())


if __name__ == "__main__":  # pragma: no cover - a development-time generator
    import yaml

    with open(sys.argv[1], encoding="utf-8") as f:
        table = derive(yaml.load(f, Loader=yaml.CSafeLoader))
    if len(sys.argv) > 2:
        with open(sys.argv[2], encoding="utf-8") as f:
            table.update(derive(yaml.load(f, Loader=yaml.CSafeLoader), legacy=True))
    print(_render(dict(sorted(table.items()))))
