"""Compile the translation catalogues with polib (no gettext binaries needed at install time)."""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


def catalogues():
    for locale_dir in settings.LOCALE_PATHS:
        yield from sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po"))


def compiled_bytes(po_path: Path) -> bytes:
    po = polib.pofile(str(po_path))
    tmp = po_path.with_suffix(".mo.tmp")
    po.save_as_mofile(str(tmp))
    data = tmp.read_bytes()
    tmp.unlink()
    return data


class Command(BaseCommand):
    help = "Compile every .po catalogue of firegov into its .mo file."

    def handle(self, *args, **options):
        for po_path in catalogues():
            po_path.with_suffix(".mo").write_bytes(compiled_bytes(po_path))
            self.stdout.write(f"compiled {po_path}")
