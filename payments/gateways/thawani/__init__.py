"""Thawani (an Omani licensed payment gateway): hosted checkout sessions behind our plugin contract.

`client.py` is the outgoing HTTP, `webhooks.py` verification and parsing, `mapping.py` Thawani's
words onto ours, `plugin.py` the `ThawaniGateway`. Tests run against `tests/thawani_server.py`,
which answers as described below.

What we built to, and how sure we are, is kept here and nowhere else: `CONFIRMED` (found in
Thawani's own documentation page or agreeing across several independent public integrations),
`ASSUMPTIONS` (seen in one source only, or nowhere; the code follows them and says so).

Sources read (public copies):
  [doc]   developer.thawani.om, "Thawani Checkout API Documentation" (Thawani's own page)
  [node]  thawani-nodejs 1.0.2 (npm, op-3/thawani-nodejs-docs): types, checkout, webhooks.js
  [w7sh]  w7shdev/thawani (npm thawani-node): session, refund, PaymentTransactions endpoints
  [jkb]   jkbroot/thawani (Laravel): CheckoutSessions, Refunds, ThawaniService
  [phz]   PhazeRoOman/thawani-for-woocommerce: RestAPI, WC_Gateway_ThawaniGateway
  [afaq]  afaq-innovation-ai/thawani-pay-for-woocommerce: Api/Client, ApiException, Webhooks,
          PaymentSync, LineItems, Gateway::process_refund
  [net]   ghulamostafa/ThawaniSDKNET (NuGet ThawaniPaySDK) README
  Also two unrelated web shops' webhook handlers (Next.js) that verify the same signature.
  Thawani publishes no official SDK ([doc]: "Thawani does NOT supply any plugin").
"""

from payments.gateways import register
from payments.gateways.thawani.plugin import ThawaniGateway, ThawaniNotConfigured

register(ThawaniGateway.name, ThawaniGateway)

CONFIRMED = {
    "hosts": "UAT https://uatcheckout.thawani.om, production https://checkout.thawani.om, the "
    "API under /api/v1 [doc, phz, w7sh, afaq, jkb]",
    "auth": "header thawani-api-key: <secret key> [doc, jkb, afaq]; 401 for a refused key [afaq]",
    "create": "POST /checkout/session {client_reference_id, mode: 'payment', products: [{name, "
    "unit_amount, quantity}], success_url, cancel_url, metadata} [doc, node, jkb, afaq]; "
    "optional customer_id, save_card_on_success, expire_in_minutes [node, afaq]",
    "envelope": "every answer is {success, code, description, data} [afaq, phz, jkb]",
    "session": "data: session_id, client_reference_id, products, total_amount, currency, "
    "success_url, cancel_url, payment_status ('unpaid' | 'paid' | 'cancelled'), mode, invoice, "
    "metadata, created_at, expire_at [node, net, phz]",
    "amounts": "integers in baisa (1 OMR = 1000 baisa) [doc example, afaq]; OMR only [afaq]",
    "metadata": "at most 10 fields [doc]; production approval needs the customer's name, "
    "phone and e-mail in it [doc, afaq]",
    "hosted_page": "{host}/pay/{session_id}?key={publishable key} [w7sh, afaq, jkb]",
    "retrieve": "GET /checkout/session/{session_id} [w7sh, jkb, afaq]; "
    "GET /checkout/reference/{client_reference_id} [w7sh, jkb, afaq, node]",
    "cancel": "POST /checkout/{session_id}/cancel (not …/session/{id}/cancel) [jkb, afaq]",
    "payments": "GET /payments?checkout_invoice={invoice}&limit&skip lists the attempts; the "
    "captured one has status 'successful' and carries payment_id, masked_card, card_type [afaq, "
    "w7sh]",
    "refunds": "POST /refunds {payment_id, reason, metadata} [w7sh, node, jkb]; GET "
    "/refunds/{id}, GET /refunds?limit&skip [w7sh, jkb, afaq]",
    "webhook_signature": "headers thawani-signature and thawani-timestamp; signature = hex "
    "HMAC-SHA256(webhook secret, raw body + '-' + timestamp) [node webhooks.js, afaq, and two "
    "unrelated shops]; the timestamp is Unix seconds [afaq]",
    "webhook_body": "{event_type, data}; checkout.completed carries the session (payment_status, "
    "client_reference_id) [afaq, one shop]",
    "result_codes": "4003 not found (also for an empty payments lookup), 4004 already exists, "
    "4200 card rejected, 4201 insufficient funds, 4300 refund not allowed, 4301 already "
    "refunded [afaq]",
    "idempotency": "no idempotency key is documented or used by any source",
}

ASSUMPTIONS = {
    "partial_refunds": "POST /refunds takes an optional `amount` in baisa for a partial refund "
    "[afaq only; the other SDKs send payment_id, reason, metadata]; without it Thawani would "
    "refund in full. Thawani refuses more than what is left (afaq's 4300/4301).",
    "refund_answer": "data: refund_id, payment_id, amount, status, reason, metadata, created_at "
    "[afaq reads refund_id and status]. The status words are not documented: we map successful/"
    "succeeded/refunded → succeeded, failed → failed, cancelled → canceled, anything else → "
    "pending (mapping.REFUND_STATUSES).",
    "refund_listing": "GET /refunds has no payment_id filter documented: list_refunds pages "
    "through the merchant's refunds (100 a page) and keeps those of the payment_id.",
    "refund_key": "our refund key is kept in the refund's metadata as `refund_key`; a retry "
    "finds the refund by it instead of making a second (Thawani has no idempotency keys).",
    "events": "event types: checkout.created, checkout.completed, payment.succeeded, "
    "payment.failed [afaq], refund.succeeded, refund.failed [node types only; afaq: 'event names "
    "are not documented']. payment.* data is the attempt (payment_id, status, amount, "
    "masked_card, card_type, reason) with session_id and checkout_invoice; refund.* data is the "
    "refund object (so an event about a refund names no session). Other types are parsed as "
    "kind 'other'.",
    "event_id": "Thawani sends no event id: we derive thawani:<sha256(type|object id|status)>, "
    "so a re-delivery of the same fact has the same id; an `event_id`/`id` at the top of the "
    "body would be used instead.",
    "failed_attempt": "a declined card leaves the session unpaid and payable again on the same "
    "page [afaq], so payment.failed maps to pending with failure_code 'card_declined'.",
    "expired": "Thawani has no 'expired' payment_status in any SDK: an unpaid session whose "
    "expire_at has passed is our 'expired'.",
    "reference": "client_reference_id accepts our string references [every SDK sends strings; "
    "[doc] calls it 'Numerical']; GET /checkout/reference/{ref} answers the one (latest) session "
    "for it, 4003 when none. Whether Thawani refuses a second session with the same reference "
    "is unknown, so start_payment looks up before it creates.",
    "http_statuses": "refusals come with HTTP 4xx (400 invalid, 401 key, 404 unknown); success "
    "with 2xx. A 4003 result code is read as 404 whatever the HTTP status; a 2xx with "
    "success=false as 400. 5xx, 409 and 429 are transient (GatewayUnavailable).",
    "limits": "unit_amount 1 – 5,000,000,000 baisa, quantity 1 – 100, ≤ 100 products, name ≤ "
    "40 characters [afaq's LineItems: 'Thawani constraints (Create Session)']; no minimum "
    "payment beyond 1 baisa is documented. We send one product line carrying the whole amount.",
    "cancel_answer": "cancelling a cancelled session succeeds again; a paid one is refused (4xx).",
    "tolerance": "Thawani documents no timestamp tolerance: we accept ±300 seconds.",
    "create_answer": "a created session is answered 200 with code 2004 and the session in data; "
    "only success and data are read.",
}

__all__ = ["ASSUMPTIONS", "CONFIRMED", "ThawaniGateway", "ThawaniNotConfigured"]
