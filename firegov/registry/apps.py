from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "firegov.registry"
    label = "registry"
    verbose_name = _("Premises registry")

    def ready(self):
        from auditlog.registry import auditlog

        from firegov.registry import models, services

        auditlog.register(models.Unit, m2m_fields={"managers"},
                          exclude_fields=["updated_at", "classification", "classified_with", "region_path"])
        auditlog.register(models.Building)
        auditlog.register(models.Community, exclude_fields=["updated_at", "region_path"])
        auditlog.register(models.FireLane, exclude_fields=["region_path"])
        auditlog.register(models.MicroFireStation, exclude_fields=["region_path"])
        services.connect()
