"""Odoo loads the addons' French, German and Spanish translations without a warning, and uses them."""

import os

from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationFileReader

from calsync.notices import ENGLISH, Notice

from ..tools.engine_words import words

SAMPLES = {
    "item_failed": {"label": "job FSO1", "problem": Notice.of("end_not_after_start")},
    "calendar_refused": {"error": "400"}, "event_unreadable": {"error": "x"}, "event_unusable": {"error": "x"},
    "change_not_applied": {"problem": Notice.of("end_not_after_start")},
    "job_changed": {"changes": (("notes", "a", "b"),)}, "job_owned_restored": {"changes": (("title", "B"),)},
    "mass_deletion_held": {"deletions": 4, "total": 6},
}

LANGS = ("fr_FR", "de_DE", "es_ES")


@tagged("post_install", "-at_install")
class TestTranslationsLoad(TransactionCase):
    def test_languages_load_without_warnings_and_translate(self):
        for code in LANGS:
            self.env["res.lang"]._activate_lang(code)
        addon = self.env["ir.module.module"].search([("name", "=", "fieldops_calendar_sync")])
        with self.assertNoLogs("odoo", level="WARNING"):
            addon._update_translations(list(LANGS), overwrite=True)

        field = self.env["ir.model.fields"]._get("fieldops.calendar.connection", "owner_schedule")
        expected = {"fr_FR": "À qui appartient le planning", "de_DE": "Wem der Zeitplan gehört",
                    "es_ES": "A quién pertenece la planificación"}
        for code, text in expected.items():
            self.assertEqual(field.with_context(lang=code).field_description, text)
        # a view term (the form's button) and a code term (_() at runtime, read from the .po files)
        form = self.env.ref("fieldops_calendar_sync.view_calendar_connection_form")
        self.assertIn("Synchroniser maintenant", form.with_context(lang="fr_FR").arch_db)
        self.assertIn("Jetzt synchronisieren", form.with_context(lang="de_DE").arch_db)
        self.assertEqual(self.env(context={"lang": "es_ES"})._("Calendar connected by %s.", "Ana"),
                         "Calendario conectado por Ana.")
        self.assertEqual(self.env(context={"lang": "en_US"})._("Calendar connected by %s.", "Ana"),
                         "Calendar connected by Ana.")

    def test_recurring_bridge_files_read_without_warnings(self):
        """The bridge is not installed in this database: Odoo's own .po reader goes through its files."""
        path = get_module_path("fieldops_calendar_sync_recurring")
        self.assertTrue(path, "the bridge addon is on the addons path")
        for lang in ("fr", "de", "es"):
            with self.assertNoLogs("odoo", level="WARNING"), \
                    open(os.path.join(path, "i18n", f"{lang}.po"), "rb") as handle:
                rows = [row for row in TranslationFileReader(handle, fileformat="po") if row["value"]]
            self.assertGreater(len(rows), 30)

    def test_the_engines_notices_read_in_the_users_language(self):
        """The engine says what happened as a notice; the addon words it (chatter, link errors, timeline)."""
        self.env["res.lang"]._activate_lang("fr_FR")
        addon = self.env["ir.module.module"].search([("name", "=", "fieldops_calendar_sync")])
        addon._update_translations(["fr_FR"], overwrite=True)
        french = self.env(context={"lang": "fr_FR"})
        changed = Notice.of("job_changed", changes=(("notes", "Fix the boiler", "Fix the boiler and the tap"),))
        self.assertEqual(words(self.env(context={"lang": "en_US"}), changed),
                         "The calendar changed this job: Notes: Fix the boiler → Fix the boiler and the tap")
        self.assertTrue(words(french, changed).startswith("Le calendrier a modifié cette intervention"),
                        words(french, changed))
        failed = Notice.of("item_failed", label="job FSO0001", problem=Notice.of("end_not_after_start"))
        self.assertIn("sa fin n'est pas après son début", words(french, failed))
        self.assertTrue(words(french, failed).startswith("Job FSO0001"), "the label is the addon's own text")
        self.assertEqual(words(french, "déjà écrit"), "déjà écrit", "text the addon wrote stays as it is")
        for code in ENGLISH:  # every code has its own translated sentence, none falls back to the English
            notice = Notice.of(code, **SAMPLES.get(code, {}))
            self.assertNotEqual(words(french, notice), str(notice), code)
