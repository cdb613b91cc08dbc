"""Periodic monitoring jobs (Huey)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from firegov.iot import services


@db_periodic_task(crontab(minute="*"))
def mark_silent_devices():
    """Every minute: devices silent for three report intervals go offline with an alarm."""
    return services.mark_silent()
