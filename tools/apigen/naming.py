"""Python names for the spec's tags, operations, parameters and schemas. Stable by design: a
name depends only on the spec text it is derived from, never on the order of generation."""

from __future__ import annotations

import keyword
import re

#: Suffixes Allegro's operationIds carry from their Java controllers ("getXUsingGET_1").
_OP_SUFFIX = re.compile(
    r"(?:Using)?(?:GET|POST|PUT|DELETE|PATCH|Get|Post|Put|Delete|Patch)?(?:_\d+)?$"
)
#: Names the generated modules use themselves; a schema or parameter must not shadow them.
RESERVED_CLASS_NAMES = frozenset(
    {"UUID", "Any", "Annotated", "Enum", "Field", "RootModel", "Literal", "Decimal", "ApiModel",
     "OpenEnum", "OpenIntEnum", "AwareDatetime", "IntEnum"}
)
#: Keywords every generated method has itself (the body, the media types, the per-call options).
RESERVED_PARAMS = frozenset({"self", "body", "accept", "content_type", "timeout", "headers",
                             "options", "extra_headers", "extra_query", "max_retries"})
#: Method names for operationIds that read badly once snake_cased: the area's name repeated
#: (``responsible_persons_responsible_persons_post``, ``batch_offer_modification.batch_...``),
#: words glued (``getoffer``), a typo (``ratest``), or a verb at the end
#: (``badge_applications_get_all``).
METHOD_NAMES = {
    "responsiblePersonsGET": "list_responsible_persons",
    "responsiblePersonsPOST": "create_responsible_person",
    "responsiblePersonsPUT": "update_responsible_person",
    "responsibleProducersGET": "list_responsible_producers",
    "responsibleProducerGET": "get_responsible_producer",
    "responsibleProducersPOST": "create_responsible_producer",
    "responsibleProducersPUT": "update_responsible_producer",
    "getofferAutomaticPricingModificationCommandStatusUsingGET":
        "get_offer_automatic_pricing_modification_command_status",
    "getofferAutomaticPricingModificationCommandTasksStatusesUsingGET":
        "get_offer_automatic_pricing_modification_command_tasks_statuses",
    "getListOfShippingRatestUsingGET": "get_list_of_shipping_rates",
    "batchOfferModificationUsingPOST": "create_offer_bulk_modification_command",
    "batchOfferModificationCommandStatusUsingGET": "get_offer_bulk_modification_command_status",
    "batchOfferModificationCommandTaskStatusesUsingGET":
        "get_offer_bulk_modification_command_task_statuses",
    "badgeApplications_get_all": "list_badge_applications",
    "badgeApplications_get_one": "get_badge_application",
    "badgeCampaigns_get_all": "list_badge_campaigns",
    "badgeOperations_get_one": "get_badge_operation",
    "offerRatingGET": "get_offer_rating",
    "marketplacesGET": "get_marketplaces",
}


def snake(text: str) -> str:
    """``getCheckoutForms`` / ``Offer tags`` / ``offer.id`` -> ``get_checkout_forms`` ..."""
    text = text.replace("'", "")
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()
    return re.sub(r"_+", "_", text)


def pascal(text: str) -> str:
    """A class name: ``Describes_listing_fee`` -> ``DescribesListingFee``."""
    parts = re.split(r"[^A-Za-z0-9]+", text)
    name = "".join(p[:1].upper() + p[1:] for p in parts if p)
    if not name or name[0].isdigit():
        name = "Model" + name
    return name


def area_name(tag: str) -> str:
    """The area (module and ``client.api`` attribute) of a spec tag."""
    return snake(tag)


def method_base(operation_id: str) -> str:
    """A readable method name from an operationId: controller suffixes dropped, or the name
    :data:`METHOD_NAMES` gives it."""
    if operation_id in METHOD_NAMES:
        return METHOD_NAMES[operation_id]
    stripped = _OP_SUFFIX.sub("", operation_id) or operation_id
    return snake(stripped)


def path_hint(path: str) -> str:
    """The last literal segments of a path, to tell apart operations whose ids read alike."""
    literal = [s for s in path.strip("/").split("/") if not s.startswith("{")]
    return snake("_".join(literal[-1:]))


def param_name(wire: str, taken: set[str]) -> str:
    """The keyword of a parameter (``offer.id`` -> ``offer_id``; ``from`` -> ``from_``)."""
    name = snake(wire) or "value"
    if name[0].isdigit():
        name = "p_" + name
    if keyword.iskeyword(name) or name in RESERVED_PARAMS:
        name += "_"
    while name in taken:
        name += "_"
    taken.add(name)
    return name
