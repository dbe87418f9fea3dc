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
RESERVED_PARAMS = frozenset({"self", "body", "accept", "content_type", "timeout", "headers"})


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
    """A readable method name from an operationId: controller suffixes dropped."""
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
