"""README.rst and static/description/index.html of each addon, generated from its readme/ fragments.

The layout is the one OCA's readme generator (``oca-gen-addon-readme``, maintainer-tools, which is
not on PyPI) produces: title, a generated-file notice with a digest of the sources, maturity and
licence, the description, a table of contents, then Configuration, Usage, Known issues / Roadmap,
Changelog, Bug Tracker and Credits (Authors, Contributors, Other credits, Maintainers) from the
fragments that exist. index.html is README.rst rendered by docutils, as the addon's description
page in Odoo's Apps. ``--check`` fails when a committed file is not what the fragments give.

Usage: ``python -m devtools.addon_readme [--check] [ADDON_DIR ...]`` (default: both addons).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADDONS = ("fieldops_calendar_sync", "fieldops_calendar_sync_recurring")
# (fragment, section title, level): level 1 is a section, level 2 a subsection of Credits
SECTIONS = (
    ("CONFIGURE", "Configuration", 1),
    ("USAGE", "Usage", 1),
    ("ROADMAP", "Known issues / Roadmap", 1),
    ("HISTORY", "Changelog", 1),
)
CREDITS = (("CONTRIBUTORS", "Contributors"), ("CREDITS", "Other credits"))
ISSUES_URL = "the project's issue tracker"


def underline(title: str, char: str, over: bool = False) -> str:
    line = char * len(title)
    return f"{line}\n{title}\n{line}" if over else f"{title}\n{line}"


def fragments(addon_dir: str) -> dict[str, str]:
    found = {}
    readme = os.path.join(addon_dir, "readme")
    for name in sorted(os.listdir(readme)) if os.path.isdir(readme) else ():
        stem, ext = os.path.splitext(name)
        if ext == ".rst":
            with open(os.path.join(readme, name)) as handle:
                found[stem] = handle.read().strip()
    return found


def manifest(addon_dir: str) -> dict:
    with open(os.path.join(addon_dir, "__manifest__.py")) as handle:
        return ast.literal_eval(handle.read())


def readme_rst(addon_dir: str) -> str:
    parts = fragments(addon_dir)
    info = manifest(addon_dir)
    digest = hashlib.sha256(repr((sorted(parts.items()), sorted(info.items(), key=str))).encode()).hexdigest()
    status = info.get("development_status", "Beta")
    out = [
        underline(info["name"], "=", over=True),
        "",
        "..",
        "   !! This file is generated from readme/ by devtools/addon_readme.py !!",
        "   !! changes will be overwritten: edit the fragments instead.        !!",
        f"   !! source digest: sha256:{digest}",
        "",
        f"**Maturity:** {status} | **License:** {info['license']} | **Version:** {info['version']}",
        "",
        parts.get("DESCRIPTION", info.get("summary", "")),
        "",
        "**Table of contents**",
        "",
        ".. contents::",
        "   :local:",
        "",
    ]
    for fragment, title, _level in SECTIONS:
        if parts.get(fragment):
            out += [underline(title, "="), "", parts[fragment], ""]
    out += [underline("Bug Tracker", "="), "",
            f"Bugs are tracked in {ISSUES_URL}. Please say which version of the addon, of Odoo and of the",
            "provider (Google or Microsoft) you saw the problem with, and how to reproduce it.", ""]
    out += [underline("Credits", "="), "", underline("Authors", "-"), ""]
    out += [f"* {author.strip()}" for author in info.get("author", "").split(",") if author.strip()]
    out.append("")
    for fragment, title in CREDITS:
        if parts.get(fragment):
            out += [underline(title, "-"), "", parts[fragment], ""]
    out += [underline("Maintainers", "-"), "",
            f"This addon is maintained by {info.get('author', 'its authors')}.", ""]
    return "\n".join(out)


def index_html(rst: str) -> str:
    from docutils.core import publish_string

    html = publish_string(rst, writer_name="html4css1", settings_overrides={
        "embed_stylesheet": False, "stylesheet_path": "", "output_encoding": "unicode",
        "report_level": 2, "halt_level": 2, "_disable_config": True})
    # Odoo 17+ warns at install that an XML declaration in an HTML description is deprecated
    if html.startswith("<?xml"):
        html = html.split("\n", 1)[1]
    return html if html.endswith("\n") else html + "\n"


def outputs(addon_dir: str) -> dict[str, str]:
    rst = readme_rst(addon_dir)
    return {"README.rst": rst, os.path.join("static", "description", "index.html"): index_html(rst)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.addon_readme", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if a generated file is out of date")
    parser.add_argument("addons", nargs="*", default=[os.path.join(ROOT, name) for name in ADDONS])
    args = parser.parse_args(argv)
    stale = []
    for addon_dir in args.addons:
        for relative, text in outputs(addon_dir).items():
            path = os.path.join(addon_dir, relative)
            current = None
            if os.path.exists(path):
                with open(path) as handle:
                    current = handle.read()
            if current == text:
                continue
            if args.check:
                stale.append(os.path.relpath(path, ROOT))
            else:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as handle:
                    handle.write(text)
                print(f"wrote {os.path.relpath(path, ROOT)}")
    if stale:
        print("out of date (run python -m devtools.addon_readme): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
