"""The order models are the generated ones (one model per schema): every part of a checkout
form is typed, and the library's names, helpers and text ids stay."""

from __future__ import annotations

from allegro_async.api.models import order_management as generated
from allegro_async.models.orders import CheckoutForm, CheckoutFormList, Price, ShipmentList

from .conftest import load_spec
from .test_models import _example


def _form() -> CheckoutForm:
    return CheckoutForm.model_validate(
        _example(load_spec(), {"$ref": "#/components/schemas/CheckoutForm"}))


def test_checkout_form_is_the_generated_model_with_str_ids() -> None:
    form = _form()
    assert CheckoutForm is generated.CheckoutForm and type(form) is generated.CheckoutForm
    assert isinstance(form.id, str) and isinstance(form.line_items[0].id, str)
    assert isinstance(form.line_items[0].quantity, int)
    assert isinstance(form.summary.total_to_pay, Price)
    assert form.bought_at == form.line_items[0].bought_at


def test_parts_that_were_dicts_are_typed() -> None:
    form = _form()
    assert form.delivery is not None and form.invoice is not None
    assert isinstance(form.delivery.pickup_point, generated.CheckoutFormDeliveryPickupPoint)
    assert isinstance(form.delivery.time, generated.CheckoutFormDeliveryTime)
    assert isinstance(form.invoice.address, generated.CheckoutFormInvoiceAddress)
    item = form.line_items[0]
    assert isinstance(item.tax, generated.CheckoutFormLineItemTax)
    assert isinstance(item.offer.product_set, generated.OfferProductSetReference)


def test_lists_hold_the_library_models() -> None:
    spec = load_spec()
    page = CheckoutFormList.model_validate(
        _example(spec, {"$ref": "#/components/schemas/CheckoutForms"}))
    assert CheckoutFormList is generated.CheckoutForms and isinstance(page, CheckoutFormList)
    assert type(page.checkout_forms[0]) is CheckoutForm
    assert isinstance(page.count, int)
    shipments = ShipmentList.model_validate(
        _example(spec, {"$ref": "#/components/schemas/CheckoutFormOrderWaybillResponse"}))
    assert isinstance(shipments, generated.CheckoutFormOrderWaybillResponse)


def test_order_event_is_the_generated_model_and_keeps_the_a8_key() -> None:
    from allegro_async.models.events import OrderEvent, OrderEventsList

    spec = load_spec()
    page = OrderEventsList.model_validate(
        _example(spec, {"$ref": "#/components/schemas/OrderEventsList"}))
    event = page.events[0]
    assert isinstance(page, generated.OrderEventsList)
    assert OrderEvent is generated.OrderEvent and type(event) is OrderEvent
    assert isinstance(event.order.line_items[0].id, str)
    assert isinstance(event.order.buyer.preferences, generated.BuyerPreferencesReference)
    assert event.dedup_key.startswith(f"{event.checkout_form_id}|{event.type.value}|")
