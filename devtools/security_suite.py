"""Security suite: the running product attacked over real HTTP, then its database and logs scanned for secrets.

    python3 -m devtools.security_suite [--require-odoo] [--keep]

Needs Odoo 18 where the test command finds it (otherwise prints SKIPPED and exits 0, or 1 with
``--require-odoo``). Starts its own PostgreSQL cluster, the sandbox providers and a real Odoo
server (threaded, queue_job's runner on) with the addon and its demo data, in a temporary
directory; Odoo logs at info, the addon and the engine at debug, to files that are scanned.

First it makes the product hold real secrets, the way an administrator would: client secrets
entered in Settings, Google and Microsoft calendars connected through the OAuth code flow
(browser -> sandbox authorize -> the addon's callback) in two companies, jobs pushed, calendar
edits pulled through real webhooks, access tokens refreshed, Google channels renewed and Graph
subscriptions reauthorized and recreated. Then, printing one row per attempt
("what was tried -> outcome (expected)"):

1. webhooks: forged, replayed, cross-tenant, stopped-channel, malformed and oversized
   notifications, Graph validation-handshake abuse; each must be refused with a 4xx, recorded as
   rejected, and queue no work; genuine duplicates are acknowledged once and act once;
2. OAuth: tampered, forged, replayed (after success and after a failed exchange), another user's
   state, code without state, callback after logout and after the sign-in expired;
3. probing as company A's dispatcher and as company B's user (given export rights, B also the
   queue-job manager group, to be the strongest realistic attacker): every model of the addon,
   queue jobs, mail tracking values, messages and attachments (search_read, read across companies,
   write, unlink, export_data, /web/export/csv and xlsx, /web/content, /web/image, reports, mail
   routes), every public method of the addon through call_kw, the wizards with another company's
   records; a secret must never come back, not even encrypted; then (3b) as a visitor with no
   session: the addon's models, buttons, pages, exports, binary routes and OAuth callbacks;
4. leak scan: a plain pg_dump of the whole database (every table and column, large objects),
   the filestore and session store, the Odoo, install, sandbox and PostgreSQL logs, for every
   secret the sandbox issued or was handed (listed by its ``secrets`` control action), raw,
   URL-encoded, base64 (any alignment) and hex, and for the encryption key.

Exits non-zero on any failed row or leak; prints where a leak is (file / table, column, row id),
never the secret.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from devtools import odoo_env  # noqa: E402
from devtools.security.common import Needles, Product, Results, say  # noqa: E402
from devtools.security.leaks import leak_scan  # noqa: E402
from devtools.security.oauth import attack_oauth  # noqa: E402
from devtools.security.probes import probe_anonymous, probe_user  # noqa: E402
from devtools.security.setup import setup  # noqa: E402
from devtools.security.webhooks import attack_webhooks  # noqa: E402


# -- main -----------------------------------------------------------------------------------------------------------
def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m devtools.security_suite", description=__doc__.split("\n\n")[0])
    parser.add_argument("--require-odoo", action="store_true",
                        default=os.environ.get("FIELDOPS_REQUIRE_ODOO", "") not in ("", "0"))
    parser.add_argument("--keep", action="store_true", help="keep the working directory (database, logs, dump)")
    args = parser.parse_args(argv)
    odoo, why = odoo_env.find_odoo()
    if odoo is None:
        say(f"SKIPPED: {why}")
        return 1 if args.require_odoo else 0
    try:
        import psycopg2  # noqa: F401
        import requests  # noqa: F401
    except ImportError:  # run again under Odoo's Python, which has both
        if os.environ.get("FIELDOPS_SECURITY_REEXEC"):
            raise
        os.execve(odoo.python,  # noqa: S606 (Odoo's own interpreter, our own module)
                  [odoo.python, "-m", "devtools.security_suite", *(argv or sys.argv[1:])],
                  odoo_env.process_env(FIELDOPS_SECURITY_REEXEC="1"))
    started = time.monotonic()
    home = tempfile.mkdtemp(prefix="fieldops-security-")
    say(f"working directory {home}")
    product = Product(odoo, home)
    results = Results()
    try:
        product.start()
        world = setup(product, results)
        issued = product.control("google", "secrets")["secrets"] + product.control("microsoft", "secrets")["secrets"]
        world.needles = Needles({item["value"]: item["kind"] for item in issued})
        attack_webhooks(product, world, results)
        attack_oauth(product, world, results)
        probe_user(product, world, results, world.dispatcher, world.company_a, world.company_b,
                   "company A's dispatcher")
        probe_user(product, world, results, world.northwind, world.company_b, world.company_a,
                   "company B's user (manager)")
        probe_anonymous(product, world, results)
        product.wait_quiet()
        leak_scan(product, world, results)
    except Exception as exc:  # a broken run is a failed run, with its reason
        import traceback

        traceback.print_exc()
        results.section("suite", "The suite itself")
        results.add("running the suite to the end", f"stopped: {exc}", "completed", False)
    finally:
        product.stop()
        if args.keep:
            say(f"kept {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)
    print(f"\nSummary ({time.monotonic() - started:.0f} s):\n{results.summary()}")
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
