"""One connection, one provider job at a time: a PostgreSQL session advisory lock per connection.

A session lock survives the engine's per-batch commits and goes away with the session if the
worker dies, so a crashed job never leaves its calendar locked. Keys are namespaced so that our
locks never collide with another module's.
"""

LOCK_NAMESPACE = 0x46C5  # "FC": keeps our advisory locks apart from other modules'


def lock_key(connection_id: int) -> int:
    return (LOCK_NAMESPACE << 32) | connection_id


def try_lock(cr, key: int) -> bool:
    """Take the lock if no session holds it; never waits."""
    cr.execute("SELECT pg_try_advisory_lock(%s)", (key,))
    return bool(cr.fetchone()[0])


def unlock(cr, key: int) -> None:
    cr.execute("SELECT pg_advisory_unlock(%s)", (key,))


def held_by_anyone(cr, key: int) -> bool:
    """Some session of this database holds the lock (read from pg_locks, never taken)."""
    # a bigint advisory key shows in pg_locks as its high half (classid) and low half (objid), objsubid 1
    cr.execute(
        "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
        "AND classid = %s::oid AND objid = %s::oid "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1",
        (key >> 32, key & 0xFFFFFFFF))
    return bool(cr.fetchone())


def is_free(cr, key: int) -> bool:
    """No session holds the lock (taken and given back at once to tell)."""
    free = try_lock(cr, key)
    if free:
        unlock(cr, key)
    return free
