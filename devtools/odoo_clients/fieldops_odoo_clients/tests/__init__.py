from . import test_google_client
