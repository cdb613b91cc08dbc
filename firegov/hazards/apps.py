from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HazardsConfig(AppConfig):
    name = "firegov.hazards"
    label = "hazards"
    verbose_name = _("Hazards")

    def ready(self):
        from auditlog.registry import auditlog

        from firegov.hazards import models, services

        auditlog.register(models.Hazard, exclude_fields=["region_path", "sector", "updated_at"])
        auditlog.register(models.HazardDocument)
        auditlog.register(models.MajorHazardCase, exclude_fields=["region_path", "updated_at"])
        auditlog.register(models.PublicReport, exclude_fields=["updated_at"])
        services.connect()
