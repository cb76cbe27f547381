from . import calendar_series
from . import calendar_connection
from . import calendar_link
from . import fsm_order
from . import fsm_recurring
from . import fsm_frequency
