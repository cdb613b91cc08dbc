"""Background and periodic work of the shared services (Huey)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from firegov.core import deadlines, notify


@db_task(retries=3, retry_delay=60)
def deliver_notifications(notification_ids):
    return notify.deliver_pending(notification_ids)


@db_periodic_task(crontab(minute="*"))
def run_deadlines():
    """The one periodic job of the deadline-and-escalation engine."""
    return deadlines.run_due()


@db_periodic_task(crontab(minute="*/10"))
def retry_deliveries():
    return notify.deliver_pending()
