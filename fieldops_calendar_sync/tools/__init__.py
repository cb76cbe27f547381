from . import cipher
from . import log_redaction
