from . import test_installation
from . import test_tenancy
from . import test_operations
from . import test_sync_google
from . import test_sync_microsoft
from . import test_connect_and_secrets
from . import test_webhooks_google
from . import test_conflict_review
