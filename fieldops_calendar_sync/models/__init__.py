from . import (
    calendar_channel,
    calendar_conflict,
    calendar_connection,
    calendar_connection_actions,
    calendar_connection_auth,
    calendar_link,
    calendar_notification,
    calendar_sync_jobs,
    fsm_order,
    oauth_session,
    res_config_settings,
)
