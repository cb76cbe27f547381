"""What both provider emulators do alike: HTTP serving and dispatch, the control API, OAuth bookkeeping,
quotas and concurrency limits, the fault switch, the state file, webhook delivery, TLS and the call log.

Each provider's wire format (paths, bodies, error shapes, the numbers of its limits)
stays in ``calsync.sandbox.google`` / ``calsync.sandbox.microsoft``.
"""
