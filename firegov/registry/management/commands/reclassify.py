"""Recompute every unit's classification, e.g. after switching to a province's own rule table."""

from auditlog.context import set_actor
from django.core.management.base import BaseCommand
from django.db import transaction

from firegov.registry.models import Unit


class Command(BaseCommand):
    help = "Recompute the classification of every unit with the configured rule tables."

    def handle(self, *args, **options):
        changed = total = 0
        fields = ["key_unit", "high_risk", "crowded_place", "public_gathering", "high_rise", "super_high_rise",
                  "large_complex", "underground", "hazmat", "gaodidahua", "nine_small", "three_in_one"]
        with set_actor(None), transaction.atomic():
            for unit in Unit.objects.alive().select_related("region", "department").iterator(chunk_size=1000):
                before = [getattr(unit, f) for f in fields]
                unit.save()
                total += 1
                changed += before != [getattr(unit, f) for f in fields]
        self.stdout.write(f"{total} units reclassified, {changed} changed")
