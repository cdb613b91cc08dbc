"""Load the demo city (枣庄市): ``python -m django loaddemo [--units N] [--seed S]``."""

from django.core.management.base import BaseCommand, CommandError

from firegov.demo import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Load the demo city (Zaozhuang, Shandong) with its agencies, demo accounts and units. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, default=2000, help="number of units to generate (default 2000)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
        parser.add_argument("--no-history", action="store_true",
                            help="skip the year of inspections, hazards, draws and reports")

    def handle(self, *args, **options):
        from firegov.demo.loader import load_demo

        if options["units"] < 1:
            raise CommandError("--units must be at least 1")
        result = load_demo(stdout=self.stdout, units=options["units"], seed=options["seed"],
                           history=not options["no_history"])
        if result.get("loaded"):
            self.stdout.write(self.style.SUCCESS(
                f"演示账号 admin、zhidui、xuecheng、xuecheng_dd、tengzhou、tengzhou_dd、jiaoyu、danwei、jiankong、wangge，"
                f"密码 {DEMO_PASSWORD} / demo accounts as listed, password {DEMO_PASSWORD}"
            ))
