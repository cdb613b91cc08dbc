from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "firegov.core"
    label = "core"
    verbose_name = _("Organisation and shared services")

    def ready(self):
        from auditlog.registry import auditlog

        from firegov.core import models, worktime  # noqa: F401 - connects the calendar signal

        auditlog.register(models.Region)
        auditlog.register(models.Agency)
        auditlog.register(models.User, exclude_fields=["password", "last_login"])
        auditlog.register(models.CalendarDay)
        auditlog.register(models.DocumentKind)
        auditlog.register(models.EscalationPolicy)
        auditlog.register(models.Attachment)
