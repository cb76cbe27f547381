"""Local emulators of Google Calendar, Microsoft Graph and their OAuth servers.

They speak the real wire protocols so that the real client libraries talk to
them unchanged: the product runs, demonstrates and is tested with no
credentials and no internet. Written from the providers' documentation; they
share no code with the engine or the clients, only with each other: ``kernel``
holds what both do alike, ``google`` and ``microsoft`` each provider's API, one
module per resource.
"""
