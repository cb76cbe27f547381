"""The convergence soak (issue #12): many jobs, a seeded random mix of edits and faults, then a proof.

Engine-level, no Odoo: the real provider clients talk real HTTP to both sandbox
emulators (quotas on), the Odoo side is a ``MemoryDatabase`` that rolls back to its
last commit when a worker dies, and a ledger of every edit says afterwards whether
anything was lost, duplicated or orphaned. ``python -m devtools.soak --help``.
"""
