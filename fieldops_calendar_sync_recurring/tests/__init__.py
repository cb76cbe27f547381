from . import test_recurring_series
from . import test_every_screen
from . import test_recurring_frequencies
