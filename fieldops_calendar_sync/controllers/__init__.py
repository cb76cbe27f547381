from . import oauth
from . import webhooks
