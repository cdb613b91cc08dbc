from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "firegov.campaigns"
    label = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self):
        from auditlog.registry import auditlog

        from firegov.campaigns import models, services

        auditlog.register(models.Campaign, exclude_fields=["region_path"])
        auditlog.register(models.Phase)
        auditlog.register(models.Task, exclude_fields=["region_path", "sort_key"], m2m_fields={"cooperating"})
        auditlog.register(models.Milestone)
        auditlog.register(models.ProgressReport)
        auditlog.register(models.Target)
        auditlog.register(models.TargetValue)
        auditlog.register(models.Measure)
        auditlog.register(models.Accountability, m2m_fields={"tasks"})
        services.connect()
