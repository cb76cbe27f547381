from . import cipher
from . import providers
