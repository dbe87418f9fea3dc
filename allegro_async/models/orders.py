"""Checkout forms and everything inside them (spec schema ``CheckoutForm`` and its parts).

Field names follow the spec's properties in snake_case; unknown fields are kept and unknown
enum values tolerated (:class:`~allegro_async.models.base.OpenEnum`).
"""

from __future__ import annotations

import datetime as _dt

from pydantic import Field

from allegro_async.models.base import AllegroModel, OpenEnum


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


class Price(AllegroModel):
    """An amount (a decimal string, as Allegro sends it) and an ISO 4217 currency."""

    amount: str
    currency: str


class ExternalId(AllegroModel):
    """The seller's own id (signature) of an offer."""

    id: str | None = None


class BuyerPreferences(AllegroModel):
    """The buyer's preferences."""

    language: str | None = None


class BuyerAddress(AllegroModel):
    """The buyer's address on the checkout form."""

    street: str | None = None
    city: str | None = None
    post_code: str | None = None
    country_code: str | None = None


class CheckoutFormBuyer(AllegroModel):
    """``CheckoutFormBuyerReference``."""

    id: str
    email: str
    login: str
    guest: bool
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    personal_identity: str | None = None
    phone_number: str | None = None
    preferences: BuyerPreferences | None = None
    address: BuyerAddress | None = None


class CheckoutFormPayment(AllegroModel):
    """``CheckoutFormPaymentReference``; one payment id in several forms marks a combination
    (S12)."""

    id: str
    type: str
    provider: str | None = None
    finished_at: _dt.datetime | None = None
    paid_amount: Price | None = None
    reconciliation: Price | None = None
    features: list[str] | None = None


class ShipmentSummary(AllegroModel):
    """``CheckoutFormFulfillmentShipmentSummary``."""

    line_items_sent: LineItemsSent | None = None


class FulfillmentProvider(AllegroModel):
    """Who fulfils the order: ``SELLER`` or ``ALLEGRO``."""

    id: str | None = None


class CheckoutFormFulfillment(AllegroModel):
    """``CheckoutFormFulfillment``: the seller's status and the shipment summary."""

    status: FulfillmentStatus | None = None
    shipment_summary: ShipmentSummary | None = None
    provider: FulfillmentProvider | None = None


class DeliveryAddress(AllegroModel):
    """``CheckoutFormDeliveryAddress``."""

    first_name: str
    last_name: str
    street: str
    city: str
    zip_code: str
    country_code: str
    company_name: str | None = None
    phone_number: str | None = None
    modified_at: str | None = None


class DeliveryMethod(AllegroModel):
    """``CheckoutFormDeliveryMethod``."""

    id: str | None = None
    name: str | None = None


class CheckoutFormDelivery(AllegroModel):
    """``CheckoutFormDeliveryReference``; nested parts Allegro adds often stay as dicts."""

    address: DeliveryAddress | None = None
    method: DeliveryMethod | None = None
    pickup_point: dict[str, object] | None = None
    cost: Price | None = None
    time: dict[str, object] | None = None
    smart: bool | None = None
    cancellation: dict[str, object] | None = None
    calculated_number_of_packages: int | None = None


class CheckoutFormInvoice(AllegroModel):
    """``CheckoutFormInvoiceInfo``."""

    required: bool
    address: dict[str, object] | None = None
    due_date: str | None = None
    features: list[str] | None = None


class OfferReference(AllegroModel):
    """``OfferReference``: the offer a line item was bought from."""

    id: str
    name: str
    external: ExternalId | None = None
    product_set: dict[str, object] | None = None
    hs_number: str | None = None


class CheckoutFormLineItem(AllegroModel):
    """``CheckoutFormLineItem``."""

    id: str
    offer: OfferReference
    quantity: int
    original_price: Price
    price: Price
    deposit: dict[str, object] | None = None
    reconciliation: dict[str, object] | None = None
    selected_additional_services: list[dict[str, object]] | None = None
    vouchers: list[dict[str, object]] | None = None
    tax: dict[str, object] | None = None
    bought_at: _dt.datetime | None = None
    discounts: list[dict[str, object]] | None = None
    serial_numbers: dict[str, object] | None = None


class CheckoutFormNote(AllegroModel):
    """``CheckoutFormNoteReference``."""

    text: str | None = None


class MarketplaceRef(AllegroModel):
    """A marketplace id (``allegro-pl``, ``allegro-cz``, ...)."""

    id: str


class CheckoutFormSummary(AllegroModel):
    """``CheckoutFormSummary``."""

    total_to_pay: Price


class CheckoutForm(AllegroModel):
    """``CheckoutForm``: one order as the buyer completed it.

    ``revision`` changes on every change; pass it to
    :meth:`~allegro_async.services.orders.OrdersService.set_fulfillment` (S13).
    """

    id: str
    buyer: CheckoutFormBuyer
    status: CheckoutFormStatus
    line_items: list[CheckoutFormLineItem]
    surcharges: list[CheckoutFormPayment]
    summary: CheckoutFormSummary
    message_to_seller: str | None = None
    payment: CheckoutFormPayment | None = None
    fulfillment: CheckoutFormFulfillment | None = None
    delivery: CheckoutFormDelivery | None = None
    invoice: CheckoutFormInvoice | None = None
    note: CheckoutFormNote | None = None
    marketplace: MarketplaceRef | None = None
    updated_at: str | None = None
    revision: str | None = None

    @property
    def bought_at(self) -> _dt.datetime | None:
        """The latest line item's ``boughtAt`` (what ``lineItems.boughtAt`` filters on)."""
        times = [item.bought_at for item in self.line_items if item.bought_at is not None]
        return max(times) if times else None


class CheckoutFormList(AllegroModel):
    """``CheckoutForms``: one page of ``GET /order/checkout-forms``."""

    checkout_forms: list[CheckoutForm]
    count: int
    total_count: int


class Carrier(AllegroModel):
    """``OrdersShippingCarrier``: a carrier id to use in :meth:`add_shipment`."""

    id: str | None = None
    name: str | None = None


class CarrierList(AllegroModel):
    """``OrdersShippingCarriersResponse``."""

    carriers: list[Carrier] = Field(default_factory=list)


class ShipmentLineItem(AllegroModel):
    """A line item in a shipment."""

    id: str | None = None


class Shipment(AllegroModel):
    """``CheckoutFormAddWaybillCreated``: a waybill added to a checkout form (S14)."""

    id: str | None = None
    waybill: str | None = None
    carrier_id: str | None = None
    carrier_name: str | None = None
    line_items: list[ShipmentLineItem] | None = None
    created_at: str | None = None


class ShipmentList(AllegroModel):
    """``CheckoutFormOrderWaybillResponse``."""

    shipments: list[Shipment] = Field(default_factory=list)
