from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from firegov.core import deadlines
from firegov.core.models import (
    Agency,
    Attachment,
    CalendarDay,
    Deadline,
    Delivery,
    DocumentKind,
    EscalationPolicy,
    Notification,
    Region,
    User,
)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "code", "path", "official_code"]
    list_filter = ["level", "official_code"]
    search_fields = ["name", "code"]
    raw_id_fields = ["parent"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "sector", "region", "doc_prefix"]
    list_filter = ["kind", "sector"]
    search_fields = ["name"]
    raw_id_fields = ["region", "parent"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "last_name", "first_name", "role", "agency", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    fieldsets = BaseUserAdmin.fieldsets + ((_("firegov"), {"fields": ("agency", "role", "phone")}),)
    raw_id_fields = ["agency"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name", "source"]
    list_filter = ["kind"]


@admin.register(DocumentKind)
class DocumentKindAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "word", "digits"]


class PolicyForm(admin.ModelAdmin.form):
    def clean_steps(self):
        steps = self.cleaned_data["steps"]
        try:
            deadlines.validate_steps(steps)
        except deadlines.PolicyError as exc:
            raise ValidationError(str(exc)) from exc
        return steps


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    form = PolicyForm
    list_display = ["code", "name"]


@admin.register(Deadline)
class DeadlineAdmin(admin.ModelAdmin):
    list_display = ["title", "purpose", "due_at", "state", "next_fire_at"]
    list_filter = ["state", "purpose"]
    readonly_fields = [f.name for f in Deadline._meta.fields]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["subject", "recipient", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
    readonly_fields = [f.name for f in Notification._meta.fields]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["notification", "channel", "status", "attempts", "updated_at"]
    list_filter = ["channel", "status"]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "sha256", "size", "mime_type", "uploaded_by", "uploaded_at"]
    readonly_fields = [f.name for f in Attachment._meta.fields]

    def has_change_permission(self, request, obj=None):
        return False  # evidence is never edited
