"""Microsoft 365 / Outlook provider: msal OAuth and the Microsoft Graph calendar client."""

from .client import GraphCalendarClient
from .config import MicrosoftConfig

__all__ = ["GraphCalendarClient", "MicrosoftConfig"]
