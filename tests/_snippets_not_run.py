# ruff: noqa: E501 - a key quotes a line of the docs as it is
"""Docs blocks that do not run, on pages whose text is edited elsewhere: keyed by page and one
line of the block (unique among the page's blocks), with the reason, checked by
tests/test_docs_snippets.py exactly as an in-page ``<!-- snippet: no-run REASON: words -->``
mark is. Moving an entry into its page as that mark changes nothing else."""

from __future__ import annotations

NOT_RUN_ELSEWHERE: dict[tuple[str, str], tuple[str, str]] = {
    ('README.md',
     'from allegro_async import AllegroApp, FileTokenStore, FileCursorStore'):
        ('endless', "it follows a seller's event stream, which never ends"),
    ('docs/api.md',
     'zpl = await client.api.advance_ship_notices.get_advance_ship_notice_labels('):
        ('fragment', 'uses notice_id from the text around it'),
    ('docs/api.md',
     'from allegro_async import WalkStalledError'):
        ('fragment', 'uses handle from the text around it'),
    ('docs/api.md',
     'image = await client.api.images_and_attachments.upload_offer_image('):
        ('files', "it uploads the reader's own images"),
    ('docs/api.md',
     'labels = await client.api.shipment_management.get_shipment_labels('):
        ('fragment', 'uses shipment_id from the text around it'),
    ('docs/api.md',
     'from allegro_async import UnexpectedContentError'):
        ('emulator', 'the emulator answers the CSV stock report with 406'),
    ('docs/auth.md',
     'from allegro_async.auth.app import AllegroApp'):
        ('credentials', 'the device flow needs a real app and a seller at a browser'),
    ('docs/auth.md',
     '# auth/flows.py'):
        ('library', "quotes the library's code"),
    ('docs/auth.md',
     'flows = OAuthFlows(CLIENT_ID, CLIENT_SECRET, environment="sandbox",'):
        ('fragment', 'uses redirect_url from the text around it'),
    ('docs/auth.md',
     'headers = {"Content-Type": "application/x-www-form-urlencoded",'):
        ('library', "quotes the library's code"),
    ('docs/auth.md',
     '_, headers, body = self._client_auth.prepare("POST", url, headers, body)   # authlib: Basic'):
        ('library', "quotes the library's code"),
    ('docs/auth.md',
     'def show(device):'):
        ('fragment', 'uses DeviceAccessDenied, DeviceCodeExpired from the text around it'),
    ('docs/auth.md',
     '# auth/flows.py, poll_device'):
        ('library', "quotes the library's code"),
    ('docs/auth.md',
     '# auth/httpx_auth.py, RefreshingAuth.refresh'):
        ('library', "quotes the library's code"),
    ('docs/auth.md',
     '# auth/httpx_auth.py, RefreshingAuth._send_refresh'):
        ('library', "quotes the library's code"),
    ('docs/auth.md',
     '# auth/_token.py, Token.refresh_margin'):
        ('library', "quotes the library's code"),
    ('docs/auth.md',
     '# auth/_file_store.py, FileTokenStore._remove_stale_temp_files'):
        ('library', "quotes the library's code"),
    ('docs/auth.md',
     'from allegro_async import AllegroApp'):
        ('credentials', "from_env() reads a real app's ALLEGRO_* variables"),
    ('docs/auth.md',
     'if claims.is_app_token and any(_matches(path, p) for p in USER_RESOURCES):'):
        ('library', "quotes the library's code"),
    ('docs/auth.md',
     '# auth/loopback.py, LoopbackCatcher._handle'):
        ('library', "quotes the library's code"),
    ('docs/auth.md',
     '# auth/flows.py, OAuthFlows.exchange_code'):
        ('library', "quotes the library's code"),
    ('docs/auth.md',
     'needed = write_scope if writing else read_scope'):
        ('library', "quotes the library's code"),
    ('docs/auth.md',
     'if target is not None and token.environment in _HOSTS.values() and token.environment != target:'):
        ('library', "quotes the library's code"),
    ('docs/auth.md',
     'import logging'):
        ('fragment', 'uses file_handler from the text around it'),
    ('docs/auth.md',
     '# _redact.py, _found_in'):
        ('library', "quotes the library's code"),
    ('docs/client.md',
     'Environment.production().origins'):
        ('raises', 'it shows the InvalidArgumentError of a foreign URL'),
    ('docs/client.md',
     'await client.request("GET", "/sale/some-beta-resource", media_type="beta")'):
        ('emulator', 'a placeholder path, which the emulator answers with 404'),
    ('docs/client.md',
     'raw = await client.request_raw("POST", "/sale/product-offers", json=body)'):
        ('fragment', 'uses body from the text around it'),
    ('docs/client.md',
     'http = httpx.AsyncClient(proxy="http://proxy.internal:3128", limits=httpx.Limits(max_connections=20))'):
        ('transport', 'it brings its own http_client'),
    ('docs/emulator.md',
     'try:'):
        ('fragment', 'uses DropConnection, receive, request, scope from the text around it'),
    ('docs/emulator.md',
     'expected = _b64(hmac.new(self._key(self.environment), signing_input, "sha256").digest())'):
        ('fragment', 'uses OAuthError, S8_MESSAGE, _b64, hmac from the text around it'),
    ('docs/emulator.md',
     'emulator.faults.add(route="GET /order/events", status=503, probability=0.1, retry_after=2)'):
        ('fragment', 'uses Emulator, FaultsConfig from the text around it'),
    ('docs/emulator.md',
     'recorder = ConformanceRecorder()'):
        ('fragment', 'uses ConformanceRecorder, check, recording from the text around it'),
    ('docs/errors.md',
     'from allegro_async import UnprocessableEntityError'):
        ('fragment', 'uses body from the text around it'),
    ('docs/errors.md',
     'from allegro_async import DraftsLimitError'):
        ('fragment', 'uses draft from the text around it'),
    ('docs/offers.md',
     'async with AllegroClient(access_token=token) as client:'):
        ('broken', "'New title' is under the 12 characters the library asks"),
    ('docs/offers.md',
     'from allegro_async.services.offers import OperationPendingError'):
        ('broken', "'Blue kettle' is under the 12 characters the library asks"),
    ('docs/offers.md',
     'location = _operation_url(client, location, "location")  # off Allegro\'s hosts: refused now'):
        ('fragment', 'uses OperationPendingError, ProductOffer, _OPERATION_PATH, _operation_url from the text around it'),
    ('docs/offers.md',
     'moment = _args.future(scheduled_for, "scheduled_for", now, "S17: Allegro answers "'):
        ('fragment', 'uses _args, now, publication, scheduled_for from the text around it'),
    ('docs/offers.md',
     'await client.offers.publish(draft_ids, scheduled_for=datetime.now(timezone.utc) + timedelta(hours=2))'):
        ('fragment', 'uses draft_ids from the text around it'),
    ('docs/offers.md',
     'from allegro_async.errors import DraftsLimitError'):
        ('fragment', 'uses new_offer from the text around it'),
    ('docs/offers.md',
     '# Made once, before any attempt: every retry of a chunk reuses its id (S20).'):
        ('fragment', 'uses PlannedCommand, chunks, kind, self from the text around it'),
    ('docs/offers.md',
     'from allegro_async.services.bulk import BulkJournal'):
        ('fragment', 'uses new_titles from the text around it'),
    ('docs/offers.md',
     "if journal.is_done(offer_id, change):     # this very change, the offer's latest entry"):
        ('fragment', 'uses BulkItemResult, _contains, change, journal from the text around it'),
    ('docs/offers.md',
     'if self.per_hour is not None and len(self._slots) == self.per_hour:'):
        ('fragment', 'uses self from the text around it'),
    ('docs/offers.md',
     'from allegro_async.api.models import SaleProductDto'):
        ('fragment', 'uses product_id from the text around it'),
    ('docs/offers.md',
     'import warnings'):
        ('emulator', "the emulator's offers already belong to variant sets (422)"),
    ('docs/offers.md',
     'result = await client.offer_variants.move_offers('):
        ('fragment', 'uses new_id, old_id from the text around it'),
    ('docs/orders.md',
     'async for delivery in client.orders.events(start="beginning", follow=False):'):
        ('emulator', 'a checkout form id the emulator does not hold (404)'),
    ('docs/orders.md',
     'if delivery.gone is not None:                  # CheckoutFormGone'):
        ('fragment', 'uses store from the text around it'),
    ('docs/orders.md',
     'await client.orders.add_shipment(form.id, "INPOST", waybill, set_sent=True,'):
        ('fragment', 'uses StaleRevisionError, waybill from the text around it'),
    ('docs/orders.md',
     'async with client.orders.events(start="now", types=["READY_FOR_PROCESSING",'):
        ('endless', 'it follows the order event stream, which never ends'),
    ('docs/orders.md',
     'from allegro_async.errors import IncompleteListingError'):
        ('fragment', 'uses handle from the text around it'),
    ('docs/throttling.md',
     'throttle = Throttle()'):
        ('fragment', 'uses app_token, seller_token, seller_tokens from the text around it'),
    ('docs/throttling.md',
     '# allegro_async/throttle/transport.py, ThrottledTransport._admit (abridged)'):
        ('library', "quotes the library's code"),
    ('docs/throttling.md',
     '# allegro_async/throttle/transport.py (abridged)'):
        ('library', "quotes the library's code"),
    ('docs/throttling.md',
     '# allegro_async/throttle/transport.py'):
        ('library', "quotes the library's code"),
    ('docs/throttling.md',
     '# allegro_async/throttle/rules.py (abridged)'):
        ('library', "quotes the library's code"),
    ('docs/throttling.md',
     'client = AllegroClient(access_token=token,'):
        ('fragment', 'uses body from the text around it'),
    ('docs/throttling.md',
     '# allegro_async/throttle/redis.py, RedisGate.wait (abridged)'):
        ('library', "quotes the library's code"),
    ('docs/auth.md',
     'token = await browser_login(flows, webbrowser.open, port=8765)  # register http://127.0.0.1:8765/callback'):
        ('credentials', 'it waits for a seller to log in at a browser'),
}
