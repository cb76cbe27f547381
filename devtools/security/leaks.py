"""Phase 4: the leak scan of the database dump, the filestore, the sessions and the logs."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import time

from devtools.security.common import DB, Needles, say

# -- 4. leak scan ------------------------------------------------------------------------------------------------
COPY_RE = re.compile(r"^COPY ([\w.\"]+) \((.*)\) FROM stdin;$")


def scan_dump(path, needles, results, key):
    """Every COPY row (table, column, row id) and everything else (large objects, sequences...) of the dump."""
    hits = []
    rows_by_table = {}
    table, columns = None, []
    key_needles = Needles({key: "encryption key"})
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if table is not None:
                if line == "\\.\n":
                    table = None
                    continue
                rows_by_table[table] = rows_by_table.get(table, 0) + 1
                if needles.find_text(line) or key_needles.find_text(line):
                    cells = line.rstrip("\n").split("\t")
                    row_id = cells[columns.index("id")] if "id" in columns else "?"
                    for index, cell in enumerate(cells):
                        for kind, form in sorted(set(needles.find_text(cell) + key_needles.find_text(cell))):
                            column = columns[index] if index < len(columns) else "?"
                            hits.append(f"{table}.{column} id={row_id}: {kind} ({form})")
                continue
            match = COPY_RE.match(line)
            if match:
                table = match.group(1).replace("public.", "").strip('"')
                columns = [c.strip().strip('"') for c in match.group(2).split(",")]
                continue
            for kind, form in needles.find_text(line) + key_needles.find_text(line):
                hits.append(f"dump line {number} (outside table data): {kind} ({form})")
    return hits, rows_by_table


def scan_files(paths, needles, key):
    hits, scanned = [], 0
    key_needles = Needles({key: "encryption key"})
    for path in paths:
        if not os.path.exists(path):
            continue
        walk = [(path, [], [os.path.basename(path)])] if os.path.isfile(path) else os.walk(path)
        for folder, _dirs, files in walk:
            for name in files:
                full = os.path.join(folder, name) if os.path.isdir(path) else path
                with open(full, "rb") as handle:
                    data = handle.read()
                scanned += 1
                found = needles.find_bytes(data) + key_needles.find_bytes(data)
                if found and data.count(b"\n") > 1:  # a log: say which lines
                    for number, line in enumerate(data.split(b"\n"), 1):
                        for kind, form in needles.find_bytes(line) + key_needles.find_bytes(line):
                            hits.append(f"{os.path.relpath(full, os.path.dirname(path))}:{number}: {kind} ({form})")
                else:
                    hits.extend(f"{os.path.relpath(full, os.path.dirname(path))}: {kind} ({form})"
                                for kind, form in found)
    return hits, scanned


def scanner_self_check(product, needles, by_value, results):
    """The scan finds what it should: the sandbox's info file holds both client secrets by design, and a
    made-up dump row hides a token in base64 at an odd offset and in hex."""
    hits, _scanned = scan_files([product.info_path], needles, product.key)
    kinds = sorted({line.rsplit(": ", 1)[-1] for line in hits})
    results.add("scanner self-check: the sandbox's own info file (client secrets in clear, by design)",
                f"found {kinds}", "both client secrets found",
                any("google client secret" in k for k in kinds) and any("microsoft client secret" in k for k in kinds))
    token = next(v for v, k in by_value.items() if "refresh token" in k)
    hidden = base64.b64encode(b"{x" + token.encode() + b"}").decode()
    fake = os.path.join(product.home, "selfcheck.sql")
    with open(fake, "w") as handle:
        handle.write(f"COPY public.demo (id, note, blob) FROM stdin;\n7\t{hidden}\t\\\\x{token.encode().hex()}\n\\.\n")
    found, _rows = scan_dump(fake, needles, results, product.key)
    results.add("scanner self-check: a refresh token in base64 at an odd offset and in hex, in a dump row",
                "; ".join(found) or "not found", "found, with table, column and row id",
                len(found) >= 2 and all(line.startswith("demo.") and "id=7" in line for line in found))
    os.remove(fake)


def leak_scan(product, world, results):
    results.section("leak scan", "4. Scanning the database, the filestore and the logs for every secret")
    issued = product.control("google", "secrets")["secrets"] + product.control("microsoft", "secrets")["secrets"]
    by_value = {item["value"]: item["kind"] for item in issued}
    by_value.update(getattr(world, "secret_extras", {}))  # secrets made by the suite itself (an uploaded key)
    needles = Needles(by_value)
    scanner_self_check(product, needles, by_value, results)
    counts = {}
    for kind in by_value.values():
        counts[kind] = counts.get(kind, 0) + 1
    say("secrets to look for: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) +
        ", the encryption key; each raw, URL-encoded, base64 (3 alignments, standard and URL-safe) and hex")
    dump = os.path.join(product.home, "dump.sql")
    started = time.monotonic()
    subprocess.run([os.path.join(product.cluster.bin, "pg_dump"), "-h", "127.0.0.1", "-p", str(product.cluster.port),
                    "-U", "postgres", "--no-owner", "-f", dump, DB], check=True)
    size = os.path.getsize(dump)
    hits, rows = scan_dump(dump, needles, results, product.key)
    blobs = product.scalar("SELECT count(*) FROM pg_largeobject_metadata")
    focus = ["queue_job", "mail_tracking_value", "mail_message", "ir_attachment", "ir_logging",
             "ir_config_parameter", "fieldops_calendar_connection", "fieldops_calendar_channel",
             "fieldops_calendar_notification", "fieldops_calendar_oauth_session", "mail_activity"]
    say("  rows scanned in the tables most likely to hold one: " +
        ", ".join(f"{t} {rows.get(t, 0)}" for t in focus))
    results.add(f"pg_dump of the whole database ({size // 1024} KB, {len(rows)} tables, "
                f"{sum(rows.values())} rows, {blobs} large objects; {time.monotonic() - started:.1f} s)",
                f"{len(hits)} hit(s)" + (": " + "; ".join(hits[:20]) if hits else ""), "no secret", not hits)
    for line in hits[20:]:
        say(f"  also: {line}")
    filestore = os.path.join(product.data_dir, "filestore")
    sessions = os.path.join(product.data_dir, "sessions")
    hits, scanned = scan_files([filestore], needles, product.key)
    results.add(f"filestore (attachments stored as files): {scanned} files", f"{len(hits)} hit(s)" +
                (": " + "; ".join(hits[:20]) if hits else ""), "no secret", not hits)
    hits, scanned = scan_files([sessions], needles, product.key)
    results.add(f"HTTP session store: {scanned} files", f"{len(hits)} hit(s)" +
                (": " + "; ".join(hits[:20]) if hits else ""), "no secret", not hits)
    for label, path in (("Odoo server log (HTTP access lines included)", product.odoo_log),
                        ("Odoo install log", product.install_log), ("sandbox log", product.sandbox_log),
                        ("PostgreSQL log", os.path.join(product.cluster.directory, "postgres.log"))):
        lines = 0
        if os.path.exists(path):
            with open(path, "rb") as handle:
                lines = sum(1 for _line in handle)
        hits, _scanned = scan_files([path], needles, product.key)
        results.add(f"{label}: {lines} lines", f"{len(hits)} hit(s)" + (": " + "; ".join(hits[:20]) if hits else ""),
                    "no secret", not hits)
