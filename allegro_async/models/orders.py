"""Checkout forms and everything inside them (spec schema ``CheckoutForm`` and its parts).

Each model subclasses its generated counterpart in ``allegro_async.api.models`` (so every
field of the spec is there, typed) and keeps this library's name, helpers and stricter types:
ids stay ``str`` (the generated ones are ``UUID``), counts and quantities ``int``. Unknown
fields are kept and unknown enum values tolerated (:class:`~allegro_async.models.base.OpenEnum`).
"""

from __future__ import annotations

import datetime as _dt

from allegro_async.api.models import ExternalId as _ExternalId
from allegro_async.api.models import Price as _Price
from allegro_async.api.models import order_management as _g
from allegro_async.models.base import AllegroModel, OpenEnum

# AllegroModel as second base keeps ``isinstance(x, AllegroModel)`` true and gives the fields
# narrowed here their camelCase alias. Narrowing a list field needs ``type: ignore``: a list
# of the subclass is not a list of the base class to mypy (lists are invariant).


class CheckoutFormStatus(OpenEnum):
    """``CheckoutForm.status``."""

    BOUGHT = "BOUGHT"
    FILLED_IN = "FILLED_IN"
    READY_FOR_PROCESSING = "READY_FOR_PROCESSING"
    CANCELLED = "CANCELLED"


class FulfillmentStatus(OpenEnum):
    """``CheckoutForm.fulfillment.status``: the seller's side of the order."""

    NEW = "NEW"
    PROCESSING = "PROCESSING"
    READY_FOR_SHIPMENT = "READY_FOR_SHIPMENT"
    READY_FOR_PICKUP = "READY_FOR_PICKUP"
    SENT = "SENT"
    PICKED_UP = "PICKED_UP"
    CANCELLED = "CANCELLED"
    SUSPENDED = "SUSPENDED"
    RETURNED = "RETURNED"


class LineItemsSent(OpenEnum):
    """``fulfillment.shipmentSummary.lineItemsSent`` (S16): how many line items have a
    waybill."""

    NONE = "NONE"
    SOME = "SOME"
    ALL = "ALL"


class Price(_Price, AllegroModel):
    """An amount (a decimal string, as Allegro sends it) and an ISO 4217 currency."""

    amount: str
    currency: str


class ExternalId(_ExternalId, AllegroModel):
    """The seller's own id (signature) of an offer."""


class BuyerPreferences(_g.BuyerPreferencesReference, AllegroModel):
    """The buyer's preferences."""


class BuyerAddress(_g.CheckoutFormBuyerAddressReference, AllegroModel):
    """The buyer's address on the checkout form."""


class CheckoutFormBuyer(_g.CheckoutFormBuyerReference, AllegroModel):
    """``CheckoutFormBuyerReference``."""

    preferences: BuyerPreferences | None = None
    address: BuyerAddress | None = None


class CheckoutFormPayment(_g.CheckoutFormPaymentReference, AllegroModel):
    """``CheckoutFormPaymentReference``; one payment id in several forms marks a combination
    (S12)."""

    id: str  # type: ignore[assignment]  # compared with event and filter ids as text
    finished_at: _dt.datetime | None = None
    paid_amount: Price | None = None
    reconciliation: Price | None = None


class ShipmentSummary(_g.CheckoutFormFulfillmentShipmentSummary, AllegroModel):
    """``CheckoutFormFulfillmentShipmentSummary``."""

    line_items_sent: LineItemsSent | None = None  # type: ignore[assignment]


class FulfillmentProvider(_g.CheckoutFormFulfillmentProvider, AllegroModel):
    """Who fulfils the order: ``SELLER`` or ``ALLEGRO``."""


class CheckoutFormFulfillment(_g.CheckoutFormFulfillment, AllegroModel):
    """``CheckoutFormFulfillment``: the seller's status and the shipment summary."""

    status: FulfillmentStatus | None = None  # type: ignore[assignment]
    shipment_summary: ShipmentSummary | None = None
    provider: FulfillmentProvider | None = None


class DeliveryAddress(_g.CheckoutFormDeliveryAddress, AllegroModel):
    """``CheckoutFormDeliveryAddress``."""


class DeliveryMethod(_g.CheckoutFormDeliveryMethod, AllegroModel):
    """``CheckoutFormDeliveryMethod``."""


class CheckoutFormDelivery(_g.CheckoutFormDeliveryReference, AllegroModel):
    """``CheckoutFormDeliveryReference``: address, method, pickup point, cost, times."""

    address: DeliveryAddress | None = None
    method: DeliveryMethod | None = None
    cost: Price | None = None


class CheckoutFormInvoice(_g.CheckoutFormInvoiceInfo, AllegroModel):
    """``CheckoutFormInvoiceInfo``."""


class OfferReference(_g.OfferReference, AllegroModel):
    """``OfferReference``: the offer a line item was bought from."""

    external: ExternalId | None = None


class CheckoutFormLineItem(_g.CheckoutFormLineItem, AllegroModel):
    """``CheckoutFormLineItem``."""

    id: str  # type: ignore[assignment]
    offer: OfferReference
    quantity: int  # items are counted whole
    original_price: Price
    price: Price
    bought_at: _dt.datetime | None = None


class CheckoutFormNote(_g.CheckoutFormNoteReference, AllegroModel):
    """``CheckoutFormNoteReference``."""


class MarketplaceRef(_g.CheckoutFormMarketplace, AllegroModel):
    """A marketplace id (``allegro-pl``, ``allegro-cz``, ...)."""


class CheckoutFormSummary(_g.CheckoutFormSummary, AllegroModel):
    """``CheckoutFormSummary``."""

    total_to_pay: Price


class CheckoutForm(_g.CheckoutForm, AllegroModel):
    """``CheckoutForm``: one order as the buyer completed it.

    ``revision`` changes on every change; pass it to
    :meth:`~allegro_async.services.orders.OrdersService.set_fulfillment` (S13).
    """

    id: str  # type: ignore[assignment]
    buyer: CheckoutFormBuyer
    status: CheckoutFormStatus  # type: ignore[assignment]
    line_items: list[CheckoutFormLineItem]  # type: ignore[assignment]
    surcharges: list[CheckoutFormPayment]  # type: ignore[assignment]
    summary: CheckoutFormSummary
    payment: CheckoutFormPayment | None = None
    fulfillment: CheckoutFormFulfillment | None = None
    delivery: CheckoutFormDelivery | None = None
    invoice: CheckoutFormInvoice | None = None
    note: CheckoutFormNote | None = None
    marketplace: MarketplaceRef | None = None

    @property
    def bought_at(self) -> _dt.datetime | None:
        """The latest line item's ``boughtAt`` (what ``lineItems.boughtAt`` filters on)."""
        times = [item.bought_at for item in self.line_items if item.bought_at is not None]
        return max(times) if times else None


class CheckoutFormList(_g.CheckoutForms, AllegroModel):
    """``CheckoutForms``: one page of ``GET /order/checkout-forms``."""

    checkout_forms: list[CheckoutForm]  # type: ignore[assignment]
    count: int
    total_count: int


class Carrier(_g.OrdersShippingCarrier, AllegroModel):
    """``OrdersShippingCarrier``: a carrier id to use in :meth:`add_shipment`."""


class CarrierList(_g.OrdersShippingCarriersResponse, AllegroModel):
    """``OrdersShippingCarriersResponse``."""

    carriers: list[Carrier] = []  # type: ignore[assignment]


class ShipmentLineItem(_g.CheckoutFormAddWaybillCreatedLineItems, AllegroModel):
    """A line item in a shipment."""


class Shipment(_g.CheckoutFormAddWaybillCreated, AllegroModel):
    """``CheckoutFormAddWaybillCreated``: a waybill added to a checkout form (S14)."""

    line_items: list[ShipmentLineItem] | None = None  # type: ignore[assignment]


class ShipmentList(_g.CheckoutFormOrderWaybillResponse, AllegroModel):
    """``CheckoutFormOrderWaybillResponse``."""

    shipments: list[Shipment] = []  # type: ignore[assignment]
