from . import test_installation, test_tenancy
