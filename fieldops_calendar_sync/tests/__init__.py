from . import test_installation
from . import test_tenancy
from . import test_operations
