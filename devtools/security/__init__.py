"""The security suite, one module per phase (run it with ``python3 -m devtools.security_suite``)."""
