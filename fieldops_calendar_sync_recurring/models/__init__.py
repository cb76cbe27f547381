from . import calendar_series
from . import calendar_connection
from . import fsm_order
from . import fsm_recurring
