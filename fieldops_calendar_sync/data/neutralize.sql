-- A neutralized copy of a production database must not sync, and must not touch production's
-- provider channels: disconnect locally only, wiping tokens, cursors and channel secrets.
UPDATE fieldops_calendar_connection
   SET state = 'disconnected',
       token_encrypted = NULL,
       sync_cursor = NULL,
       pull_requested = false,
       token_expires_at = NULL;
UPDATE fieldops_calendar_channel
   SET state = 'stopped',
       token_hash = NULL;
DELETE FROM fieldops_calendar_oauth_session;
UPDATE ir_config_parameter
   SET value = ''
 WHERE key IN ('fieldops_calendar_sync.google_client_secret', 'fieldops_calendar_sync.microsoft_client_secret');
-- busy times are read from the calendars just disconnected: a copy keeps none of them
DELETE FROM fieldops_calendar_busy;
