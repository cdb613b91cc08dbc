"""Administration: reward tiers (举报奖励标准) are configured here; the ledger is read only (its
statuses change through the lifecycle on the pages and the API, never by editing rows)."""

from django.contrib import admin

from firegov.hazards.models import Hazard, HazardDocument, MajorHazardCase, PublicReport, RewardTier


@admin.register(RewardTier)
class RewardTierAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "severity", "urgent", "amount"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Hazard)
class HazardAdmin(ReadOnlyAdmin):
    list_display = ["pk", "unit", "category", "status", "due_at"]
    list_filter = ["status", "source", "severity"]
    search_fields = ["unit__name", "description"]


admin.site.register(HazardDocument, ReadOnlyAdmin)
admin.site.register(MajorHazardCase, ReadOnlyAdmin)
admin.site.register(PublicReport, ReadOnlyAdmin)
