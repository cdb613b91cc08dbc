"""Fail when a translatable string has no zh_Hans translation, is fuzzy, or the .mo is stale.

Re-extracts the strings (makemessages, needs gettext's xgettext) so that a string added to the code
without a translation is caught, then checks the catalogue and its compiled form.
"""

import shutil
import tempfile
from pathlib import Path

import polib
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from firegov.core.management.commands.buildmessages import compiled_bytes

LOCALE = "zh_Hans"


class Command(BaseCommand):
    help = "Check that every string is translated to Simplified Chinese and the compiled catalogue is current."

    def handle(self, *args, **options):
        locale_dir = Path(settings.LOCALE_PATHS[0])
        po_path = locale_dir / LOCALE / "LC_MESSAGES" / "django.po"
        if not po_path.exists():
            raise CommandError(f"{po_path} is missing")
        with tempfile.TemporaryDirectory() as tmp:
            backup = Path(tmp) / "django.po"
            shutil.copy(po_path, backup)
            try:
                call_command("makemessages", locale=[LOCALE], no_obsolete=True, no_location=True, verbosity=0)
                problems = self.problems(polib.pofile(str(po_path)))
            finally:
                shutil.copy(backup, po_path)
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.read_bytes() != compiled_bytes(po_path):
            problems.append(f"{mo_path} is missing or stale: run `make messages`")
        if problems:
            for line in problems:
                self.stderr.write(line)
            raise CommandError(f"{len(problems)} translation problem(s)")
        self.stdout.write("translations complete")

    @staticmethod
    def problems(po) -> list[str]:
        found = []
        for entry in po:
            if entry.obsolete:
                continue
            if "fuzzy" in entry.flags:
                found.append(f"fuzzy: {entry.msgid!r}")
            elif entry.msgid_plural:
                if not all(entry.msgstr_plural.values()):
                    found.append(f"untranslated: {entry.msgid!r}")
            elif not entry.msgstr:
                found.append(f"untranslated: {entry.msgid!r}")
        return found
