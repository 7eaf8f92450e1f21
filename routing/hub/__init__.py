"""The text hub: every text in and out passes through here (R6–R11, R14, R17).

Public (other apps import these, docs/architecture.md): `delivery` (the inbound hand-off by delivery
mode), `outbound` (sending a text without an agent's room), `optout`. The rest is the hub's own:
`inbound` (the webhook's text, stored once), `rooms` (a room's life: timer, close, expiry, forced
disconnect), `outbox` (the carrier call, retries, status callbacks), `webchat`, `carriers/`,
`webhooks` and `asgi` (the HTTP entry points). The hub never imports a delivery mode's code.
"""
