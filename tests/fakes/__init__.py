"""Fakes of remote APIs, served on loopback so the real client libraries run in tests.

Common helpers any fake may use:
- `tests.fakes.server.LoopbackServer`: serve a WSGI app on 127.0.0.1 (ephemeral port) in a
  thread, with `start()`, `stop()` and `base_url`.

Fakes:
- `tests.fakes.google_calendar.FakeGoogleCalendar` (+ `google_calendar_store`, `google_oauth`):
  Google Calendar v3 and Google's OAuth 2.0 server; pytest fixture `google_calendar_fake`.
"""
