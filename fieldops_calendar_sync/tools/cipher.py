"""The token cipher, keyed from the Odoo config file or the environment, never from the database."""

import os

from odoo import _
from odoo.exceptions import UserError
from odoo.tools import config

from calsync.crypto import TokenCipher
from calsync.errors import ConfigurationError

CONFIG_KEY = "fieldops_calendar_sync_key"


def get_cipher():
    """The cipher for secrets at rest; raises a UserError an admin can act on when no key is configured."""

    try:
        return TokenCipher.from_config(config.get(CONFIG_KEY), env=os.environ)
    except ConfigurationError:
        raise UserError(
            _(
                "No encryption key is configured for calendar credentials. Add "
                "'fieldops_calendar_sync_key' to the Odoo configuration file (or set the environment "
                "variable FIELDOPS_CALENDAR_SYNC_KEY) and restart Odoo. See the README's admin guide."
            )
        ) from None
