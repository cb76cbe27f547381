"""Refresh the addons' translation templates and merge every translation against them.

    /opt/odoo18/venv/bin/python -m devtools.i18n [--check] [--no-export] [--lang fr,de,es]

Installs both addons in a scratch database on a private PostgreSQL cluster, exports each addon's
``i18n/<addon>.pot`` with ``odoo-bin --i18n-export``, then merges each ``i18n/<lang>.po`` against
its new template: translations of unchanged msgids stay, new msgids come in empty, obsolete ones
go. Prints, per file, the terms still untranslated or identical to their msgid. ``--check`` exits 1
when a file is incomplete; ``--no-export`` merges against the committed templates (no Odoo run).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

from devtools import odoo_env
from devtools.pgcluster import PgCluster, free_port

ROOT = odoo_env.ROOT
ADDONS = ("fieldops_calendar_sync", "fieldops_calendar_sync_recurring")
LANGS = ("fr", "de", "es")
LANG_NAMES = {"fr": "French", "de": "German", "es": "Spanish"}
PLURAL_FORMS = {"fr": "nplurals=2; plural=(n > 1);", "de": "nplurals=2; plural=(n != 1);",
                "es": "nplurals=2; plural=(n != 1);"}
# terms whose right translation is the msgid itself: product names, protocol terms, codes, pure formats
ALLOW_IDENTICAL = frozenset({
    "Google", "Google Calendar", "Microsoft", "Microsoft 365", "Microsoft 365 / Outlook", "ID", "iCalUID",
    "Nonce", "https://erp.example.com", "%(job)s: %(kind)s", "%s h", "%s min", "%s s",
    "Google Workspace", "%(status)s: %(who)s", '<span invisible="not fieldops_my_calendar_account"> · </span>',
})
# words spelt the same in the language itself (checked one by one; keep this short)
SAME_IN_LANGUAGE = {
    "fr": frozenset({"Messages", "Minute", "Options", "Quota", "Total", "Validation", "notes", "Tenant"}),
    "de": frozenset({"Minute", "Name", "Problem", "Revision", "Status", "Teams", "Token"}),
    "es": frozenset({"Error", "Token", "Total"}),
}


def identical_allowed(msgid: str, lang: str) -> bool:
    return msgid in ALLOW_IDENTICAL or msgid in SAME_IN_LANGUAGE.get(lang, ())


def polib():
    import polib as module  # in Odoo's Python (Odoo's requirements pull it in)
    return module


def addon_dir(addon: str) -> str:
    return os.path.join(ROOT, addon, "i18n")


def export_templates() -> None:
    """Install both addons in a scratch database and export one .pot per addon."""
    odoo, why = odoo_env.find_odoo()
    if odoo is None:
        sys.exit(why)
    oca = odoo_env.prepare(odoo, log=print)
    workdir = tempfile.mkdtemp(prefix="fieldops-i18n-")
    cluster = PgCluster()
    try:
        cluster.start()
        config = os.path.join(workdir, "odoo.conf")
        odoo_env.write_config(config, odoo, oca, cluster, data_dir=os.path.join(workdir, "data"),
                              http_port=free_port(), extra={"workers": "0"})
        base = [*odoo.odoo_bin, "-c", config, "-d", "fieldops_i18n", "--stop-after-init", "--log-level", "warn"]
        print("installing " + " and ".join(ADDONS) + " in a scratch database")
        subprocess.run([*base, "-i", ",".join(ADDONS)], check=True, env=odoo_env.process_env(), cwd=workdir)
        for addon in ADDONS:
            os.makedirs(addon_dir(addon), exist_ok=True)
            target = os.path.join(addon_dir(addon), f"{addon}.pot")
            subprocess.run([*base, f"--i18n-export={target}", f"--modules={addon}"], check=True,
                           env=odoo_env.process_env(), cwd=workdir)
            print(f"exported {os.path.relpath(target, ROOT)} ({len(polib().pofile(target))} terms)")
    finally:
        cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def merge(addon: str, lang: str) -> str:
    """Merge ``<lang>.po`` against the template (creating it if absent); returns its path."""
    pot = polib().pofile(os.path.join(addon_dir(addon), f"{addon}.pot"))
    path = os.path.join(addon_dir(addon), f"{lang}.po")
    po = polib().pofile(path) if os.path.exists(path) else polib().POFile()
    po.merge(pot)
    for entry in po.obsolete_entries():
        po.remove(entry)
    po.metadata = {**pot.metadata, **{k: v for k, v in po.metadata.items() if k in ("Last-Translator",)},
                   "Language": lang, "Language-Team": LANG_NAMES[lang],
                   "Content-Type": "text/plain; charset=UTF-8", "Content-Transfer-Encoding": "8bit",
                   "Plural-Forms": PLURAL_FORMS[lang]}
    po.header = pot.header
    po.save(path)
    return path


def problems(path: str, lang: str) -> list[str]:
    """The terms of a .po that are empty, fuzzy, or a copy of their msgid outside the allow-list."""
    found = []
    for entry in polib().pofile(path):
        if not entry.msgstr.strip():
            found.append(f"untranslated: {entry.msgid!r}")
        elif "fuzzy" in entry.flags:
            found.append(f"fuzzy: {entry.msgid!r}")
        elif entry.msgstr == entry.msgid and not identical_allowed(entry.msgid, lang):
            found.append(f"identical: {entry.msgid!r}")
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a translation is incomplete")
    parser.add_argument("--no-export", action="store_true", help="merge against the committed templates")
    parser.add_argument("--lang", default=",".join(LANGS), help="languages to merge (default: fr,de,es)")
    args = parser.parse_args(argv)
    if not args.no_export:
        export_templates()
    incomplete = False
    for addon in ADDONS:
        for lang in args.lang.split(","):
            path = merge(addon, lang)
            found = problems(path, lang)
            incomplete |= bool(found)
            print(f"{os.path.relpath(path, ROOT)}: {len(found)} term(s) to translate")
            for line in found:
                print("    " + line)
    return 1 if args.check and incomplete else 0


if __name__ == "__main__":
    sys.exit(main())
