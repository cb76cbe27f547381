from . import oauth
from . import webhooks
from . import readiness
