from django.contrib import admin

from firegov.campaigns.models import Campaign, Phase, ProgressReport, Task


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "issuer", "region", "starts_on", "ends_on", "status", "public"]
    list_filter = ["kind", "status", "public"]
    search_fields = ["name"]
    inlines = [PhaseInline]
    readonly_fields = ["parent", "created_by"]
    fields = ["name", "kind", "issuer", "region", "starts_on", "ends_on", "description", "public", "status", "parent",
              "created_by"]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    """Read-only: tasks are added through the campaign services (codes, scope checks)."""

    list_display = ["code", "title", "campaign", "lead", "due_on", "status"]
    list_filter = ["status"]
    search_fields = ["title", "code"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ProgressReport)
class ProgressReportAdmin(admin.ModelAdmin):
    """Read-only: reports move through their lifecycle in the services only."""

    list_display = ["task", "agency", "period", "percent", "status"]
    list_filter = ["status", "period"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
