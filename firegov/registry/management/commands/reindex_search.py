"""Rebuild the units' search keys, after writes that bypassed ``Unit.save()`` (raw SQL, a restore)."""

from django.core.management.base import BaseCommand

from firegov.registry.search import reindex


class Command(BaseCommand):
    help = "Rebuild the two-character search keys of every unit (unit search by name and address)."

    def handle(self, *args, **options):
        written = reindex(progress=lambda units, keys: self.stdout.write(f"\r{keys} keys", ending=""))
        self.stdout.write(f"\n{written} search keys written")
