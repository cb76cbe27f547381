"""The addons' French, German and Spanish translations are complete and safe to load.

Every term of each addon's regenerated ``.pot`` has, in each language, a ``msgstr`` that is not
empty, not fuzzy, not a copy of the ``msgid`` (apart from devtools.i18n's allow-lists of product
names, codes and words spelt the same in that language), and keeps the msgid's placeholders:
a missing ``%(name)s`` raises at runtime, an extra one too. Read with a small .po reader of our
own, so the engine's environment needs neither babel nor polib.
"""

from __future__ import annotations

import ast
import os
import re
from collections import Counter

import pytest

from devtools.i18n import ADDONS, LANGS, identical_allowed

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# printf placeholders as Odoo's _() formats them (%s, %d, %(name)s, %%) and str.format ones ({name})
PLACEHOLDER = re.compile(r"%%|%\([a-z_]+\)[sdfr]|%[sdfr]|\{[a-z_]*\}")


def read_po(path: str) -> dict[str, tuple[str, set[str]]]:
    """msgid -> (msgstr, flags) for every entry but the header; obsolete (#~) entries are skipped."""
    entries, flags, field, parts = {}, set(), None, {"msgid": [], "msgstr": []}

    def close():
        msgid = "".join(parts["msgid"])
        if field is not None and msgid:
            entries[msgid] = ("".join(parts["msgstr"]), set(flags))

    with open(path, encoding="utf-8") as handle:
        for raw in handle:
            line = raw.strip()
            if line.startswith("#,"):
                flags.update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith(("msgid ", "msgstr ")):
                if line.startswith("msgid "):
                    close()
                    parts = {"msgid": [], "msgstr": []}
                    flags = flags if field is None or field == "msgid" else set()
                field, _, text = line.partition(" ")
                parts[field].append(ast.literal_eval(text))
            elif line.startswith('"') and field:
                parts[field].append(ast.literal_eval(line))
            elif not line:
                close()
                field, flags, parts = None, set(), {"msgid": [], "msgstr": []}
    close()
    return entries


def placeholders(text: str) -> Counter:
    return Counter(PLACEHOLDER.findall(text))


def test_the_reader_reads_what_it_should(tmp_path):
    sample = tmp_path / "x.po"
    sample.write_text('msgid ""\nmsgstr ""\n"Language: fr\\n"\n\n#, python-format\nmsgid "a %s"\nmsgstr ""\n'
                      '"b %s "\n"c"\n\nmsgid "d"\nmsgstr "e \\"f\\""\n\n#~ msgid "gone"\n#~ msgstr "parti"\n',
                      encoding="utf-8")
    assert read_po(str(sample)) == {"a %s": ("b %s c", {"python-format"}), "d": ('e "f"', set())}
    assert placeholders("%(a)s %s %% {b} 5%") == Counter({"%(a)s": 1, "%s": 1, "%%": 1, "{b}": 1})


@pytest.mark.parametrize("addon", ADDONS)
def test_each_template_has_terms(addon):
    assert len(read_po(os.path.join(ROOT, addon, "i18n", f"{addon}.pot"))) > 10


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("addon", ADDONS)
def test_every_term_is_translated_with_its_placeholders(addon, lang):
    template = read_po(os.path.join(ROOT, addon, "i18n", f"{addon}.pot"))
    path = os.path.join(ROOT, addon, "i18n", f"{lang}.po")
    assert os.path.exists(path), f"{addon} has no {lang}.po: run devtools/i18n.py"
    translated = read_po(path)
    with open(path, encoding="utf-8") as handle:
        header = handle.read(2000)
    assert f'"Language: {lang}\\n"' in header and "charset=UTF-8" in header and "Plural-Forms: nplurals=" in header
    problems = []
    for msgid in template:
        msgstr, flags = translated.get(msgid, ("", set()))
        if not msgstr.strip():
            problems.append(f"untranslated: {msgid!r}")
        elif "fuzzy" in flags:
            problems.append(f"fuzzy: {msgid!r}")
        elif msgstr == msgid and not identical_allowed(msgid, lang):
            problems.append(f"a copy of the msgid: {msgid!r}")
        elif placeholders(msgstr) != placeholders(msgid):
            problems.append(f"placeholders differ: {msgid!r} -> {msgstr!r}")
    problems += [f"not in the template (obsolete): {msgid!r}" for msgid in translated if msgid not in template]
    assert not problems, f"{len(problems)} problem(s) in {addon}/i18n/{lang}.po:\n" + "\n".join(problems)
