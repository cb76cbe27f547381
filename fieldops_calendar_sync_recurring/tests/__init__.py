from . import test_recurring_series
