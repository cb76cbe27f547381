"""Running one provider's soak and printing the results as a table, for the CLI and the test."""

from __future__ import annotations

from .providers import KITS
from .run import Soak

FAILING = ("mismatches", "duplicates", "lost_edits", "orphans", "owed")


def soak_one(provider: str, seed: int, jobs: int, ops: int, tls) -> dict:
    kit = KITS[provider](tls).start()
    try:
        return Soak(kit, seed, jobs, ops).run()
    finally:
        kit.stop()


def table(results: list[dict]) -> str:
    """Operations by kind, faults by kind, then the verdict, one column per provider."""
    names = [r["provider"] for r in results]
    width = max(14, *(len(n) for n in names))
    lines = []

    def row(label, values):
        lines.append(f"{label:<34}" + "".join(f"{v!s:>{width}}" for v in values))

    row("", names)
    row("seed / jobs / ops", [f"{r['seed']}/{r['jobs']}/{r['ops']}" for r in results])
    for title, key in (("operations", "op_counts"), ("faults (fired)", "fault_counts"),
                       ("job layer saw", "outcomes")):
        lines.append(title)
        for kind in sorted({k for r in results for k in r[key]}):
            row("  " + kind, [r[key].get(kind, 0) for r in results])
    lines.append("result")
    for kind in (*FAILING, "in_review", "fields_in_review", "unexplained_conflicts"):
        row("  " + kind, [r["counts"].get(kind, 0) for r in results])
    row("  edits tracked", [r["edits"] for r in results])
    row("  Retry-After honoured (s)", [f"{r['throttle_wait']:.0f}" for r in results])
    row("  soak wall time (s)", [f"{r['soak_seconds']:.1f}" for r in results])
    row("  time to converge (s)", [f"{r['converge_seconds']:.2f}" for r in results])
    row("  rounds to converge", [r["converge_rounds"] for r in results])
    return "\n".join(lines)


def failed(result: dict) -> bool:
    return any(result["counts"].get(k, 0) for k in FAILING)
