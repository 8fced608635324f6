"""Fakes of remote APIs, served on loopback so the real client libraries run in tests.

Common helpers any fake may use:
- `tests.fakes.server.LoopbackServer`: serve a WSGI app on 127.0.0.1 (ephemeral port) in a
  thread, with `start()`, `stop()` and `base_url`.
- `tests.fakes.server.LoopbackFake`: the base of a remote-API fake that serves itself: that
  lifecycle (also as a `with` block), a lock, and an ordered notification thread.

Fakes:
- `tests.fakes.google_calendar.FakeGoogleCalendar` (+ `google_calendar_store`, `google_oauth`):
  Google Calendar v3 and Google's OAuth 2.0 server; pytest fixture `google_calendar_fake`.
- `tests.fakes.graph.FakeGraph` (+ `graph_store`, `microsoft_identity`): Microsoft Graph
  calendar API and the Microsoft identity platform; pytest fixture `graph_fake`.
- `tests.fakes.zoho.FakeZoho` (+ `zoho_store`, `zoho_accounts`): Zoho CRM v8 and Zoho Accounts,
  one loopback server per data centre; fixtures in `tests/connectors/zoho_fixtures.py`.
"""
