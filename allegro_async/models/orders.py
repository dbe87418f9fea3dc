"""Checkout forms and everything inside them (spec schema ``CheckoutForm`` and its parts).

Each name here is the generated model of its schema (``allegro_async.api.models``), under the
name this library has always used: one model per schema. Ids are text, counts and quantities
``int``, amounts decimal strings; unknown fields are kept and unknown enum values tolerated.
``CheckoutForm.bought_at`` is a helper the generator attaches (``allegro_async/api/_helpers.py``).
"""

from __future__ import annotations

from allegro_async.api.models import ExternalId, Price
from allegro_async.api.models import order_management as _g

__all__ = [
    "BuyerAddress", "BuyerPreferences", "Carrier", "CarrierList", "CheckoutForm",
    "CheckoutFormBuyer", "CheckoutFormDelivery", "CheckoutFormFulfillment", "CheckoutFormInvoice",
    "CheckoutFormLineItem", "CheckoutFormList", "CheckoutFormNote", "CheckoutFormPayment",
    "CheckoutFormStatus", "CheckoutFormSummary", "DeliveryAddress", "DeliveryMethod",
    "ExternalId", "FulfillmentProvider", "FulfillmentStatus", "LineItemsSent", "MarketplaceRef",
    "OfferReference", "Price", "Shipment", "ShipmentLineItem", "ShipmentList", "ShipmentSummary",
]

#: ``CheckoutForm.status``.
CheckoutFormStatus = _g.CheckoutFormStatus
#: ``CheckoutForm.fulfillment.status``: the seller's side of the order.
FulfillmentStatus = _g.CheckoutFormFulfillmentStatus
#: ``fulfillment.shipmentSummary.lineItemsSent`` (S16): how many line items have a waybill.
LineItemsSent = _g.CheckoutFormFulfillmentShipmentSummaryLineItemsSent

CheckoutForm = _g.CheckoutForm
CheckoutFormList = _g.CheckoutForms
CheckoutFormBuyer = _g.CheckoutFormBuyerReference
BuyerPreferences = _g.BuyerPreferencesReference
BuyerAddress = _g.CheckoutFormBuyerAddressReference
CheckoutFormPayment = _g.CheckoutFormPaymentReference
CheckoutFormFulfillment = _g.CheckoutFormFulfillment
ShipmentSummary = _g.CheckoutFormFulfillmentShipmentSummary
FulfillmentProvider = _g.CheckoutFormFulfillmentProvider
CheckoutFormDelivery = _g.CheckoutFormDeliveryReference
DeliveryAddress = _g.CheckoutFormDeliveryAddress
DeliveryMethod = _g.CheckoutFormDeliveryMethod
CheckoutFormInvoice = _g.CheckoutFormInvoiceInfo
CheckoutFormLineItem = _g.CheckoutFormLineItem
OfferReference = _g.OfferReference
CheckoutFormNote = _g.CheckoutFormNoteReference
MarketplaceRef = _g.CheckoutFormMarketplace
CheckoutFormSummary = _g.CheckoutFormSummary
Carrier = _g.OrdersShippingCarrier
CarrierList = _g.OrdersShippingCarriersResponse
Shipment = _g.CheckoutFormAddWaybillCreated
ShipmentLineItem = _g.CheckoutFormAddWaybillCreatedLineItems
ShipmentList = _g.CheckoutFormOrderWaybillResponse
