"""Bring hazard and major-hazard deadlines of an older database up to the present rules."""

from auditlog.context import set_actor
from django.core.management.base import BaseCommand

from firegov.hazards.services import backfill_deadlines


class Command(BaseCommand):
    help = ("Set the re-inspection date and deadline of hazards under a rectification order, and the "
            "service deadline of determined major-hazard cases, where an older firegov left them out. "
            "Safe to run again.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count what would change, change nothing")

    def handle(self, *args, dry_run=False, **options):
        with set_actor(None):
            counts = backfill_deadlines(dry_run=dry_run)
        verb = "would be brought up to date" if dry_run else "brought up to date"
        self.stdout.write(f"{counts['hazards']} hazards and {counts['cases']} major-hazard cases {verb}; "
                          f"{counts['progress']} listed cases asked for their monthly progress report")
