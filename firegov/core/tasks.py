"""Background and periodic work of the shared services (Huey)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from firegov.core import deadlines, maintenance, notify


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


@db_periodic_task(crontab(minute="30", hour="3"))
def refresh_planner_statistics():
    """SQLite keeps no planner statistics unless asked: without them it may read a whole table where
    an index answers in milliseconds (measured: the overdue hazard list, 9 s → 26 ms). PostgreSQL's
    autovacuum does this itself."""
    return maintenance.refresh_statistics()
