"""``python -m devtools.soak [--short] [--seed N] [--jobs N] [--ops N] [--provider google|microsoft|both]``.

Prints one table per run and exits 1 when any provider ends with a mismatch, a
duplicate, a lost edit, an orphan or owed work.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time

from calsync.sandbox.kernel.tls import make_tls_material

from .report import failed, soak_one, table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="30 jobs, 300 operations (the test suite's size)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int)
    parser.add_argument("--ops", type=int)
    parser.add_argument("--provider", choices=("google", "microsoft", "both"), default="both")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    jobs = args.jobs or (30 if args.short else 500)
    ops = args.ops or (300 if args.short else 10000)
    providers = ("google", "microsoft") if args.provider == "both" else (args.provider,)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="soak-tls-") as tmp:
        tls = make_tls_material(tmp)
        results = [soak_one(p, args.seed, jobs, ops, tls) for p in providers]
    print(table(results))
    print(f"total wall time {time.monotonic() - started:.1f} s")
    for result in results:
        for problem in result["problems"][:40]:
            print(f"{result['provider']}: {problem}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=1, default=str)
    return 1 if any(failed(r) for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
