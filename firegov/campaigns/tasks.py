"""Periodic work of campaigns: last month's dispatch sheets and last quarter's bulletins (Huey)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from firegov.campaigns import services


@db_periodic_task(crontab(minute="10", hour="1", day="1"))
@lock_task("campaigns-monthly")  # several workers each schedule it: one at a time, and a rerun finds all done
def monthly_documents():
    """On the first of each month: every running campaign's dispatch sheet of the month before,
    at the start of a quarter its bulletin of the quarter before, and the due days of last
    month's progress reports (reminded and escalated by the deadline engine)."""
    return {"documents": services.store_periodic_documents(), "report_deadlines": services.register_report_deadlines()}
