"""Periodic monitoring jobs (Huey)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from firegov.iot import forwarding, services


@db_periodic_task(crontab(minute="*"))
def mark_silent_devices():
    """Every minute: devices silent for three report intervals go offline with an alarm."""
    return services.mark_silent()


@db_periodic_task(crontab(minute="*"))
def retry_forwardings():
    """Every minute: forwardings to 119 that failed for a passing reason are sent again."""
    return forwarding.retry_pending()


@db_periodic_task(crontab(minute="*/10"))
def raise_device_hazards():
    """Conditions that have lasted beyond their limit, and repeated false alarms, become hazards."""
    return len(services.raise_hazards())


@db_periodic_task(crontab(minute="5"))
def sample_monitoring_rates():
    """Hourly: per-unit online and false-alarm rates."""
    return services.sample_rates()
