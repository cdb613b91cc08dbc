"""Administration of what the pages do not edit: recusals (回避), corrections to plans, and, read
only, draws and inspections."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from firegov.core.models import AgencyKind
from firegov.inspections import draws
from firegov.inspections.models import Draw, DrawPlan, Inspection, Recusal


@admin.register(Recusal)
class RecusalAdmin(admin.ModelAdmin):
    list_display = ["inspector", "unit", "reason", "declared_at"]
    list_filter = ["reason"]
    search_fields = ["inspector__username", "inspector__last_name", "unit__name"]
    raw_id_fields = ["inspector", "unit"]


class DrawPlanForm(forms.ModelForm):
    class Meta:
        model = DrawPlan
        fields = ["agency", "year", "name", "rules", "publish_within_workdays"]

    def clean(self):
        data = super().clean()
        agency, year = data.get("agency"), data.get("year")
        if agency is not None and agency.kind != AgencyKind.BRIGADE:
            self.add_error("agency", _("Choose a brigade."))
        if year is not None and "rules" in data:
            try:
                draws.check_plan_rules(data["rules"], year)
            except ValidationError as exc:
                self.add_error(None, exc)
        return data


@admin.register(DrawPlan)
class DrawPlanAdmin(admin.ModelAdmin):
    """Plans are made on the draws page; here their rules can be corrected, checked by the draw
    kernel as on the page. A draw already committed keeps the rules it froze."""

    form = DrawPlanForm
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
