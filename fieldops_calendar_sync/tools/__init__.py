from . import cipher, providers
