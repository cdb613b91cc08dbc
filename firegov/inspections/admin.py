"""Administration of what the pages do not edit: recusals (回避) and, read only, plans and draws."""

from django.contrib import admin

from firegov.inspections.models import Draw, DrawPlan, Inspection, Recusal


@admin.register(Recusal)
class RecusalAdmin(admin.ModelAdmin):
    list_display = ["inspector", "unit", "reason", "declared_at"]
    list_filter = ["reason"]
    search_fields = ["inspector__username", "inspector__last_name", "unit__name"]
    raw_id_fields = ["inspector", "unit"]


@admin.register(DrawPlan)
class DrawPlanAdmin(admin.ModelAdmin):
    list_display = ["name", "agency", "year", "publish_within_workdays"]
    raw_id_fields = ["agency"]


@admin.register(Draw)
class DrawAdmin(admin.ModelAdmin):
    """Draws are made on their page; here they can only be read (a draw is never changed)."""

    list_display = ["plan", "period", "state", "seed_sha256", "committed_at", "drawn_at"]
    list_filter = ["state"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ["unit", "kind", "status", "completed_at"]
    list_filter = ["kind", "status"]
    search_fields = ["unit__name"]
    raw_id_fields = ["unit", "agency", "agencies", "inspectors", "signature", "assignment", "created_by"]

    def has_change_permission(self, request, obj=None):
        return False  # inspections change through their lifecycle on the pages and the API
