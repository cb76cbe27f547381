from . import cipher
from . import providers
from . import log_redaction
