"""Microsoft Outlook / 365 connector (msal + Microsoft Graph); registers itself on import."""

from .auth import MsalAuth, MsalTokenProvider
from .connector import MANIFEST, OutlookConnector
from .oauth import OutlookOAuthClient

__all__ = ["MANIFEST", "MsalAuth", "MsalTokenProvider", "OutlookConnector", "OutlookOAuthClient"]
