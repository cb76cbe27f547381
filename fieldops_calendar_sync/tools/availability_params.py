"""The system parameters of availability (issue #26): how far ahead busy times are read, and the working day.

Settings write them (``res.config.settings``), the busy refresh and the free-slot finder read them; the
names, bounds and the way hours are shown live here so that neither imports the other.
"""

# how far ahead busy times are read and free slots looked for, in days
WINDOW_PARAM = "fieldops_calendar_sync.busy_window_days"
# one day at least; at most 62 (Graph refuses a getSchedule of 63 days or more, and a longer look ahead
# costs requests at every refresh for times nobody dispatches yet)
WINDOW_MIN_DAYS, WINDOW_MAX_DAYS = 1, 62
# the working day, decimal hours of the worker's wall clock (8.5 is 08:30)
WORK_START_PARAM = "fieldops_calendar_sync.working_hours_start"
WORK_END_PARAM = "fieldops_calendar_sync.working_hours_end"


def hours_text(hours):
    """Decimal hours as the forms show them (8.5 is 08:30; a duration past a day as 26:00); negative values
    as typed."""
    minutes = round(abs(hours) * 60)
    return f"{'-' if hours < 0 else ''}{minutes // 60:02d}:{minutes % 60:02d}"
