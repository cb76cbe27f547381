"""Developer tooling: the test command, the run command and their private PostgreSQL cluster.

Not part of the product: nothing here is imported by ``calsync`` or the addon.
"""
