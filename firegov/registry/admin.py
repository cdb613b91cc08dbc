from django.contrib import admin

from firegov.registry.models import Building, Community, FireLane, MicroFireStation, Unit


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "uscc", "place_type", "region", "key_unit", "status"]
    list_filter = ["place_type", "key_unit", "status"]
    search_fields = ["name", "uscc"]
    raw_id_fields = ["region", "department", "managers"]


admin.site.register(Building)
admin.site.register(Community)
admin.site.register(FireLane)
admin.site.register(MicroFireStation)
