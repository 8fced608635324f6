"""Google Calendar connector (google-api-python-client); registers itself on import."""

from .connector import MANIFEST, GoogleCalendarConnector

__all__ = ["MANIFEST", "GoogleCalendarConnector"]
