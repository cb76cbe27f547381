from . import adapters
from . import controllers
from . import models
from . import tools
from . import wizard
from .hooks import uninstall_hook

tools.log_redaction.install()
