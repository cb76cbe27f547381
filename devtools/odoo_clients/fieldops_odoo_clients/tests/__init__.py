from . import test_google_client, test_microsoft_client, test_strict_expected_failure
