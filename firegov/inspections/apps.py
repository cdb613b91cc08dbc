from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "firegov.inspections"
    label = "inspections"
    verbose_name = _("Inspections")

    def ready(self):
        from auditlog.registry import auditlog

        from firegov.inspections import models, services

        auditlog.register(models.Inspection, m2m_fields={"inspectors", "agencies"},
                          exclude_fields=["region_path", "sector", "updated_at"])
        auditlog.register(models.InspectionAnswer)
        auditlog.register(models.DrawPlan)
        auditlog.register(models.Draw)
        auditlog.register(models.Recusal)
        services.connect()
