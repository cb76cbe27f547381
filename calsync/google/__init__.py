"""Google Calendar provider: OAuth (google-auth-oauthlib), the Calendar v3 client, error mapping."""

from .client import GoogleCalendarClient
from .config import GoogleConfig

__all__ = ["GoogleCalendarClient", "GoogleConfig"]
