from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IotConfig(AppConfig):
    name = "firegov.iot"
    label = "iot"
    verbose_name = _("Fire monitoring")

    def ready(self):
        from auditlog.registry import auditlog

        from firegov.iot import models

        auditlog.register(models.Device, exclude_fields=["region_path", "sector", "online", "last_seen_at",
                                                          "clock_offset_s", "token_hash"])
        auditlog.register(models.Point, exclude_fields=["region_path", "last_value", "last_value_at", "last_seen_at",
                                                         "out_since", "out_count"])
        auditlog.register(models.Alarm, exclude_fields=["region_path", "sector", "count", "last_at", "changed_at"])
        auditlog.register(models.Forwarding, exclude_fields=["payload"])

        from firegov.iot import services

        services.connect()
